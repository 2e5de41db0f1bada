import GRDB

/// A row of `pending_usage`: operations and bytes pending in one scope (`*`,
/// `origin X`, `agency X`, `source X`), kept by the schema's triggers.
struct PendingUsageRecord: FetchableRecord, TableRecord {
    static let databaseTableName = "pending_usage"

    var scope: String
    var operations: Int64
    var bytes: Int64

    init(row: Row) throws {
        scope = try row.requireText(CodingKeys.scope.rawValue, "pending_usage")
        operations = try row.requireInteger(CodingKeys.operations.rawValue, "pending_usage")
        bytes = try row.requireInteger(CodingKeys.bytes.rawValue, "pending_usage")
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case scope, operations, bytes
    }
}
