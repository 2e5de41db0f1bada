import GRDB
import RosterCore

/// A row of `agency`: an agency this node trusts, by the pin the trust account
/// leaves it, with its current keys as its key events leave them.
struct AgencyRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "agency"

    var name: String
    var root: String
    /// `AgencyKeys.json` as canonical JSON; nil before the agency's first key event.
    var keys: String?
    var distrusted: Bool

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case name, root = "root_sha256", keys, distrusted
    }

    init(name: String, agency: Trust.Agency) {
        self.name = name
        root = agency.root
        keys = agency.keys.map { CanonicalJSON.string($0.json) }
        distrusted = agency.distrusted
    }

    init(row: Row) throws {
        name = try row.requireText(CodingKeys.name.rawValue, "an agency's name")
        let what = "the row of agency \(Text.printable(name, limit: 100))"
        root = try row.requireText(CodingKeys.root.rawValue, what)
        keys = try row.optionalText(CodingKeys.keys.rawValue, what)
        distrusted = try row.requireFlag(CodingKeys.distrusted.rawValue, what)
    }

    static func all(_ db: Database, _ request: QueryInterfaceRequest<AgencyRecord> = AgencyRecord.all()) throws -> [AgencyRecord] {
        try request.fetchAll(db)
    }

    var agency: Trust.Agency {
        get throws {
            let keys = try keys.map { text in
                do {
                    return try AgencyKeys(json: JSONParser.parse(text))
                } catch {
                    throw Cell.unreadable("the keys of \(name)")
                }
            }
            return Trust.Agency(root: root, keys: keys, distrusted: distrusted)
        }
    }
}
