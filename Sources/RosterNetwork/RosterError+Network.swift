import RosterCore

/// What goes wrong in talking to a peer, beside the domain's codes.
extension RosterError.Code {
    /// A peer that cannot be reached, does not answer in time, refuses, or is not the pinned key.
    public static let unreachable = Self(rawValue: "unreachable")
    public static let timeout = Self(rawValue: "timeout")
    public static let peerRefused = Self(rawValue: "peer-refused")
    public static let pinMismatch = Self(rawValue: "pin-mismatch")
    /// A peer that answered, but not as the protocol says (a clock that does not follow, a page too large).
    public static let badAnswer = Self(rawValue: "bad-answer")
    public static let syncIncomplete = Self(rawValue: "sync-incomplete")
}
