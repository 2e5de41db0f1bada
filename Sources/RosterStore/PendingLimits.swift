import GRDB
import RosterCore

/// How much may wait for its causal past. An honest sync delivers in causal order
/// and leaves almost nothing pending; these bounds are for the peer that sends
/// operations whose past never comes. Past a bound an operation is refused with a
/// reason and counted (`roster pending`, `status`); an operation once accepted as
/// pending is never dropped. The numbers are documented in docs/sync.md.
public enum PendingLimits {
    /// Operations of one origin.
    public static let perOrigin = 10_000
    /// Operations of one agency's replicas: a quarter of the total, so that agencies
    /// whose replicas send what never applies (two at once, or three) leave room for
    /// the others' operations that wait.
    public static let perAgency = 25_000
    /// Operations delivered by one peer (or by `import`).
    public static let perSource = 50_000
    /// Operations in all, and their bytes.
    public static let total = 100_000
    public static let totalBytes = 256 << 20
}

/// The pending counters a batch checks, read once from `pending_usage` (which
/// triggers keep) and carried forward as the batch adds to them.
struct PendingUsage {
    private var operations: [String: Int] = [:]
    private var bytes = 0

    init(_ db: Database, origins: Set<String>, source: String) throws {
        let scopes = ["*", "source " + source] + origins.map { "origin " + $0 } + Set(origins.map(Origin.agency)).map { "agency " + $0 }
        let usage = try Cell.decoding("pending_usage") {
            try PendingUsageRecord.filter(scopes.contains(PendingUsageRecord.CodingKeys.scope)).fetchAll(db)
        }
        for scope in usage {
            operations[scope.scope] = Int(clamping: scope.operations)
            if scope.scope == "*" { bytes = Int(clamping: scope.bytes) }
        }
    }

    /// Why `operation` may not wait, or nil if it may; counts it if it may.
    mutating func admit(_ operation: SignedOperation, waitingFor dot: String, source: String) -> RosterError? {
        let origin = operation.operation.origin
        let agency = Origin.agency(of: origin)
        let bounds = [
            ("origin " + origin, PendingLimits.perOrigin, "of \(origin)"),
            ("agency " + agency, PendingLimits.perAgency, "of agency \(agency)"),
            ("source " + source, PendingLimits.perSource, "from \(source)"),
            ("*", PendingLimits.total, "in all"),
        ]
        for (scope, bound, what) in bounds where operations[scope, default: 0] >= bound {
            return RosterError(.pendingFull, "operation \(operation.dot) waits for \(dot), but \(bound) operations \(what) already wait: "
                + "refused, send it again once \(dot) has come")
        }
        guard bytes + operation.bytes.count <= PendingLimits.totalBytes else {
            return RosterError(.pendingFull, "operation \(operation.dot) waits for \(dot), but \(PendingLimits.totalBytes >> 20) MiB of operations already wait: "
                + "refused, send it again once \(dot) has come")
        }
        for (scope, _, _) in bounds { operations[scope, default: 0] += 1 }
        bytes += operation.bytes.count
        return nil
    }
}
