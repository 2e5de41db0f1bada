import GRDB

/// A row of `log_conflict`: a proof that a node showed two histories of its log,
/// two checkpoints of one size with different roots, both signed by its key.
struct LogConflictRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "log_conflict"

    var origin: String
    var first: String
    var second: String
    /// An operator has looked into it (`roster peers resume`): sync with its node goes on.
    var acknowledged = false

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, first, second, acknowledged
    }

    init(origin: String, first: String, second: String) {
        self.origin = origin
        self.first = first
        self.second = second
    }

    init(row: Row) throws {
        origin = try row.requireText(CodingKeys.origin.rawValue, "a log conflict row")
        first = try row.requireText(CodingKeys.first.rawValue, "a log conflict row")
        second = try row.requireText(CodingKeys.second.rawValue, "a log conflict row")
        acknowledged = try row.requireFlag(CodingKeys.acknowledged.rawValue, "a log conflict row")
    }
}
