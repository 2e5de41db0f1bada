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
        guard let origin = row.text(0), let seq = row.seq(1) else { throw Cell.unreadable("an entry's id") }
        let id = Dot(origin: origin, seq: seq)
        do {
            let what = "a field of entry \(id)"
            guard let kind = Resource.Kind(rawValue: try row.requireText(2, what)) else {
                throw RosterError(.storage, "unknown kind")
            }
            let scopeText = try row.optionalText(4, what)
            let scope = scopeText.flatMap(Resource.Scope.init(rawValue:))
            guard (scopeText == nil) == (scope == nil) else { throw RosterError(.storage, "unknown scope") }
            let basis = LegalBasis(unchecked: try row.requireText(6, what), reference: try row.requireText(7, what),
                                   decided: try CalendarDate(try row.requireText(8, what)), statute: try row.optionalText(9, what))
            let fields = EntryFields(
                category: try Category(parsing: try row.requireText(5, what)), basis: basis, jurisdiction: try row.optionalText(10, what),
                expires: try row.optionalText(11, what).map(CalendarDate.init), evidence: try row.optionalText(12, what),
                note: try row.optionalText(13, what))
            var revocation: Entry.Revocation?
            if let by = try row.optionalText(14, what) {
                revocation = Entry.Revocation(dot: try Dot(by), reason: try row.requireText(15, what),
                                              time: try Timestamp(try row.requireText(16, what)))
            } else if !row.isNull(15) || !row.isNull(16) {
                throw RosterError(.storage, "a revocation reason or time without a revoke")
            }
            // Exports write values into zone and hosts files line by line: a value edited
            // to hold a space or a control character would inject records there.
            let value = try row.requireText(3, what)
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                throw RosterError(.storage, "a value with a space or a control character")
            }
            return Entry(id: id, resource: Resource(verified: kind, value: value, scope: scope),
                         fields: fields, revocation: revocation)
        } catch let error as RosterError {
            throw RosterError(.storage, "entry \(id) in the database is unreadable (\(error.reason)): run roster audit")
        }
    }
}
