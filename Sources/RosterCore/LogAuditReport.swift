/// What an auditor found reading a node's log from its first leaf: what the log
/// holds, counted the way an oversight body asks (by agency, category, authority),
/// and every finding, one line each. An empty `findings` means every leaf verified,
/// chained and came after its causal past, and the log gives the checkpoint's root.
public struct LogAuditReport: Sendable {
    /// Counts of one agency's entries in the roster the log gives.
    public struct Agency: Sendable, Equatable {
        public var operations = 0
        public var entries = 0
        public var revoked = 0
        /// Fingerprints of the agency's first keys, when the auditor did not pin them
        /// but took them from the log: its operations verify against those keys only.
        public var learnedRoots: [String] = []
    }

    public var size: Int64 = 0
    public var operations = 0
    /// Operations of replicas their agency retired, past the seq it retired them at:
    /// applied before the retire arrived, kept as history, outside the roster.
    public var void = 0
    public var entries = 0
    public var revoked = 0
    public var agencies: [String: Agency] = [:]
    /// Entries in the roster by category, and by the authority their basis names.
    public var categories: [String: Int] = [:]
    public var authorities: [String: Int] = [:]
    /// Entries whose basis names no statute or is dated after the entry was listed.
    public var incompleteBasis = 0
    public var incompleteExamples: [String] = []
    public var revocationReasons: [String: Int] = [:]
    /// Agencies that signed two different key events under one number.
    public var equivocations: [String] = []
    /// Other agencies whose nodes cosigned the checkpoint, with keys their key events enrolled.
    public var witnesses: [String] = []
    /// Those of them whose root the auditor pinned: the ones `--witnesses` counts.
    public var pinnedWitnesses: [String] = []
    public var findings: [String] = []

    public init() {}

    /// The most findings kept: a hostile log must not grow the report without bound.
    public static let maximumFindings = 1000

    public mutating func find(_ finding: String) {
        if findings.count < Self.maximumFindings {
            findings.append(finding)
        } else if findings.count == Self.maximumFindings {
            findings.append("… and more findings, not listed")
        }
    }
}
