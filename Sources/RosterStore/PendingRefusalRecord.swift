import GRDB

/// A row of `pending_refused`: how many operations of an origin were refused at a
/// pending bound, and the last reason.
struct PendingRefusalRecord: FetchableRecord, TableRecord {
    static let databaseTableName = "pending_refused"

    var origin: String
    var operations: Int64
    var reason: String

    init(row: Row) throws {
        origin = try row.requireText(CodingKeys.origin.rawValue, "a pending_refused row")
        operations = try row.requireInteger(CodingKeys.operations.rawValue, "a pending_refused row")
        reason = try row.requireText(CodingKeys.reason.rawValue, "a pending_refused row")
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, operations, reason
    }
}
