/// The error every Roster module throws: tests compare the `code`, people read
/// the `reason`, which names what is wrong and what to do next. Core's codes are
/// the domain's; the store and the network add their own (`RosterError+Store`,
/// `RosterError+Network`), and each edge maps codes to what it answers.
public struct RosterError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let malformedJSON = Code(rawValue: "malformed-json")
        public static let malformedOperation = Code(rawValue: "malformed-operation")
        public static let invalidResource = Code(rawValue: "invalid-resource")
        public static let invalidField = Code(rawValue: "invalid-field")
        public static let badSignature = Code(rawValue: "bad-signature")
        public static let unsupportedAlgorithm = Code(rawValue: "unsupported-algorithm")
        public static let forbiddenTarget = Code(rawValue: "forbidden-target")
        public static let unknownEntry = Code(rawValue: "unknown-entry")
        public static let revokedEntry = Code(rawValue: "revoked-entry")
        /// A public suffix or a very wide network, added without `--broad`.
        public static let broadEntry = Code(rawValue: "broad-entry")
        public static let equivocation = Code(rawValue: "equivocation")
        /// An agency this node has not pinned, or has distrusted.
        public static let untrustedAgency = Code(rawValue: "untrusted-agency")
        /// A replica no verified enrol of its agency endorses in the operation's causal past.
        public static let notEnrolled = Code(rawValue: "not-enrolled")
        /// Not verifiable yet: the enrol or the key events it follows have not arrived.
        /// Not kept; a later sync brings it again.
        public static let notYetVerifiable = Code(rawValue: "not-yet-verifiable")
        /// An operation of a replica past the seq its agency retired it at: void.
        public static let retired = Code(rawValue: "retired")
        public static let badKey = Code(rawValue: "bad-key")
        /// A signature of a suite this machine cannot verify yet (GOST without its
        /// engine): neither valid nor forged, so kept, never applied.
        public static let suiteUnavailable = Code(rawValue: "suite-unavailable")
        public static let badInput = Code(rawValue: "bad-input")
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    /// Equality is by code only, so that rewording a reason breaks no caller.
    public static func == (lhs: RosterError, rhs: RosterError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
