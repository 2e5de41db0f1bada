import GRDB

/// A row of `log_view`: what this node, as a witness, has seen of another node's
/// log: the last checkpoint it cosigned, and the largest any peer showed it.
struct LogViewRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "log_view"

    var origin: String
    var cosigned: String?
    var seen: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, cosigned, seen
    }

    init(origin: String, cosigned: String?, seen: String?) {
        self.origin = origin
        self.cosigned = cosigned
        self.seen = seen
    }

    init(row: Row) throws {
        origin = try row.requireText(CodingKeys.origin.rawValue, "a log view row")
        cosigned = try row.optionalText(CodingKeys.cosigned.rawValue, "a log view row")
        seen = try row.optionalText(CodingKeys.seen.rawValue, "a log view row")
    }
}
