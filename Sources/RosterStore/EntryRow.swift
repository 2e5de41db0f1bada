import GRDB
import RosterCore

/// The `entry` table's columns, in one place for insert, read and audit.
enum EntryRow {
    static let columns =
        "origin, seq, kind, value, scope, category, authority, reference, decided, statute, jurisdiction, expires, evidence, note, revoked_by, revoked_reason, revoked_time"

    static let insertSQL = "INSERT INTO entry (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    static func arguments(_ entry: Entry) -> StatementArguments {
        let fields = entry.fields
        return [
            entry.id.origin, Int64(entry.id.seq), entry.resource.kind.rawValue, entry.resource.value,
            entry.resource.scope?.rawValue, fields.category.rawValue, fields.basis.authority, fields.basis.reference,
            fields.basis.decided.description, fields.basis.statute, fields.jurisdiction, fields.expires?.description,
            fields.evidence, fields.note, entry.revocation?.dot.description, entry.revocation?.reason,
            entry.revocation?.time.description,
        ]
    }

    /// Reads a row back; a row edited into something invalid is reported, not trusted.
    static func entry(_ row: Row) throws -> Entry {
        let origin: String = row[0]
        let seq: Int64 = row[1]
        let id = Dot(origin: origin, seq: UInt64(seq))
        do {
            guard let kind = Resource.Kind(rawValue: row[2]) else {
                throw RosterError(.storage, "unknown kind")
            }
            let scope = (row[4] as String?).flatMap(Resource.Scope.init(rawValue:))
            let basis = LegalBasis(unchecked: row[6], reference: row[7], decided: try CalendarDate(row[8]), statute: row[9])
            let fields = EntryFields(
                category: try Category(parsing: row[5]), basis: basis, jurisdiction: row[10],
                expires: try (row[11] as String?).map(CalendarDate.init), evidence: row[12], note: row[13])
            var revocation: Entry.Revocation?
            if let by: String = row[14] {
                revocation = Entry.Revocation(dot: try Dot(by), reason: row[15] ?? "", time: try Timestamp(row[16] ?? ""))
            }
            return Entry(id: id, resource: Resource(verified: kind, value: row[3], scope: scope), fields: fields,
                         revocation: revocation)
        } catch let error as RosterError {
            throw RosterError(.storage, "entry \(id) in the database is unreadable (\(error.reason)): run roster audit")
        }
    }
}
