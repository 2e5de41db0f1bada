import GRDB
import RosterCore

/// A row of `pending`: a verified operation waiting for the dot it lacks
/// (`waitsOrigin`, `waitsSeq`) or for its time (`waitsUntil`, Unix seconds), and
/// who delivered it. Bounded by `PendingLimits`, counted in `pending_usage`.
struct PendingRecord: Encodable, PersistableRecord {
    static let databaseTableName = "pending"

    var origin: String
    var seq: Int64
    var waitsOrigin: String?
    var waitsSeq: Int64?
    var source: String
    var body: String
    var waitsUntil: Int64?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, seq, waitsOrigin = "waits_origin", waitsSeq = "waits_seq", source, body, waitsUntil = "waits_until"
    }

    /// An operation that waits for `dot`.
    init(_ operation: SignedOperation, waitingFor dot: Dot, source: String) {
        origin = operation.operation.origin
        seq = Int64(operation.operation.seq)
        waitsOrigin = dot.origin
        waitsSeq = Int64(dot.seq)
        self.source = source
        body = operation.text
    }

    /// An operation signed with a suite this machine cannot verify yet: filed under
    /// the suite (`suite:NAME` where a dot's origin would be), unverified.
    init(unverifiable operation: SignedOperation, suite: Suite, source: String) {
        origin = operation.operation.origin
        seq = Int64(operation.operation.seq)
        waitsOrigin = Self.marker(of: suite)
        waitsSeq = 0
        self.source = source
        body = operation.text
    }

    static func marker(of suite: Suite) -> String { "suite:" + suite.rawValue }

    /// The suite a row waits for, if it waits for one.
    static func suite(ofMarker text: String?) -> Suite? {
        guard let text, text.hasPrefix("suite:") else { return nil }
        return Suite(rawValue: String(text.dropFirst("suite:".count)))
    }

    /// An operation signed too far ahead of this node's clock: it waits for its time.
    init(early operation: SignedOperation, source: String) {
        origin = operation.operation.origin
        seq = Int64(operation.operation.seq)
        waitsUntil = operation.operation.time.seconds
        self.source = source
        body = operation.text
    }
}
