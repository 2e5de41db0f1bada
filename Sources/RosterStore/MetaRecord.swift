import GRDB

/// A row of `meta`: a derived value kept between runs (the digest cache's clock,
/// digest and generation).
struct MetaRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meta"

    var key: String
    var value: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case key, value
    }
}
