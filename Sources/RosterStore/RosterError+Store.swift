import RosterCore

/// What goes wrong with the data folder and the database, beside the domain's codes.
extension RosterError.Code {
    /// SQLite or the file system failed (a full disk, a busy or damaged database).
    public static let storage = Self(rawValue: "storage")
    public static let nodeExists = Self(rawValue: "node-exists")
    public static let noNode = Self(rawValue: "no-node")
    /// An operation refused because a pending bound was reached (`PendingLimits`).
    public static let pendingFull = Self(rawValue: "pending-full")
    /// A known peer's descriptor with another endpoint or TLS pin, added without `--replace`.
    public static let peerChanged = Self(rawValue: "peer-changed")
}
