import GRDB

/// A row of `meta`: a derived value kept between runs (the digest cache's clock,
/// digest and generation).
struct MetaRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meta"

    var key: String
    var value: String

    init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    init(row: Row) throws {
        key = try row.requireText(CodingKeys.key.rawValue, "a meta row")
        value = try row.requireText(CodingKeys.value.rawValue, "a meta row")
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case key, value
    }
}
