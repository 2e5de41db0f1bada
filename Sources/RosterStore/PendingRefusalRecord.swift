import GRDB

/// A row of `pending_refused`: how many operations of an origin were refused at a
/// pending bound, and the last reason.
struct PendingRefusalRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "pending_refused"

    var origin: String
    var operations: Int64
    var reason: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, operations, reason
    }
}
