import GRDB

/// A row of `log_leaf`: leaf `leaf` of the node's log is the operation at
/// `position`, whose text it logged (`body` keeps that text once the row holds
/// another).
struct LogLeafRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "log_leaf"

    var leaf: Int64
    var position: Int64
    var body: String?

    init(row: Row) throws {
        leaf = try row.requireInteger(CodingKeys.leaf.rawValue, "a leaf of the log")
        position = try row.requireInteger(CodingKeys.position.rawValue, "a leaf of the log")
        body = try row.optionalText(CodingKeys.body.rawValue, "a leaf of the log")
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case leaf, position, body
    }
}
