import GRDB
import RosterCore

/// A row of `equivocation`: the second operation of a pair signed at one dot, kept
/// as the proof of that fork (one per replica at its lowest fork, one per seq of an
/// agency origin).
struct EquivocationRecord: Encodable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "equivocation"

    var id: Int64?
    var origin: String
    var seq: Int64
    var body: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, origin, seq, body
    }

    init(_ operation: SignedOperation) {
        origin = operation.operation.origin
        seq = Int64(operation.operation.seq)
        body = operation.text
    }

    init(row: Row) throws {
        id = try row.requireInteger(CodingKeys.id.rawValue, "an equivocation row")
        origin = try row.requireText(CodingKeys.origin.rawValue, "an equivocation row")
        seq = try row.requireInteger(CodingKeys.seq.rawValue, "an equivocation row")
        body = try row.requireText(CodingKeys.body.rawValue, "an equivocation row")
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    static func all(_ db: Database, _ request: QueryInterfaceRequest<EquivocationRecord> = EquivocationRecord.all()) throws -> [EquivocationRecord] {
        try request.fetchAll(db)
    }
}
