import GRDB

/// A row of `pending_usage`: operations and bytes pending in one scope (`*`,
/// `origin X`, `agency X`, `source X`), kept by the schema's triggers.
struct PendingUsageRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "pending_usage"

    var scope: String
    var operations: Int64
    var bytes: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case scope, operations, bytes
    }
}
