import GRDB
import RosterCore

/// A row of the `entry` table: the one place that knows its columns, for insert,
/// read and audit. A row edited into something invalid is reported, not trusted.
struct EntryRecord: FetchableRecord {
    enum Column: Int, CaseIterable {
        case origin, seq, kind, value, scope, category, authority, reference, decided, statute, jurisdiction
        case expires, evidence, note, revokedBy, revokedReason, revokedTime, broad

        var name: String {
            switch self {
            case .revokedBy: "revoked_by"
            case .revokedReason: "revoked_reason"
            case .revokedTime: "revoked_time"
            default: "\(self)"
            }
        }
    }

    /// The columns in `Column` order, as every `SELECT` of entries names them.
    static let columns = Column.allCases.map(\.name).joined(separator: ", ")

    static let insertSQL = "INSERT INTO entry (\(columns)) VALUES (\(Column.allCases.map { _ in "?" }.joined(separator: ", ")))"

    let entry: Entry

    static func arguments(_ entry: Entry) -> StatementArguments {
        let fields = entry.fields
        return [
            entry.id.origin, Int64(entry.id.seq), entry.resource.kind.rawValue, entry.resource.value,
            entry.resource.scope?.rawValue, fields.category.rawValue, fields.basis.authority, fields.basis.reference,
            fields.basis.decided.description, fields.basis.statute, fields.jurisdiction, fields.expires?.description,
            fields.evidence, fields.note, entry.revocation?.dot.description, entry.revocation?.reason,
            entry.revocation?.time.description, entry.fields.broad ? 1 : 0,
        ]
    }

    init(row: Row) throws {
        func text(_ column: Column) throws -> String { try row.requireText(column.rawValue, "a field of an entry") }
        func optional(_ column: Column) throws -> String? { try row.optionalText(column.rawValue, "a field of an entry") }
        func flag(_ column: Column) throws -> Bool {
            switch row.integer(column.rawValue) {
            case 0: return false
            case 1: return true
            default: throw RosterError(.storage, "\(column.name) is not 0 or 1")
            }
        }
        guard let origin = row.text(Column.origin.rawValue), let seq = row.seq(Column.seq.rawValue) else {
            throw Cell.unreadable("an entry's id")
        }
        let id = Dot(origin: origin, seq: seq)
        do {
            guard let kind = Resource.Kind(rawValue: try text(.kind)) else { throw RosterError(.storage, "unknown kind") }
            let scopeText = try optional(.scope)
            let scope = scopeText.flatMap(Resource.Scope.init(rawValue:))
            guard (scopeText == nil) == (scope == nil) else { throw RosterError(.storage, "unknown scope") }
            let basis = LegalBasis(unchecked: try text(.authority), reference: try text(.reference),
                                   decided: try CalendarDate(try text(.decided)), statute: try optional(.statute))
            let fields = EntryFields(
                category: try Category(parsing: try text(.category)), basis: basis, jurisdiction: try optional(.jurisdiction),
                expires: try optional(.expires).map(CalendarDate.init), evidence: try optional(.evidence), note: try optional(.note),
                broad: try flag(.broad))
            var revocation: Entry.Revocation?
            if let by = try optional(.revokedBy) {
                revocation = Entry.Revocation(dot: try Dot(by), reason: try text(.revokedReason), time: try Timestamp(try text(.revokedTime)))
            } else if !row.isNull(Column.revokedReason.rawValue) || !row.isNull(Column.revokedTime.rawValue) {
                throw RosterError(.storage, "a revocation reason or time without a revoke")
            }
            // Exports write values into zone and hosts files line by line: a value edited
            // to hold a space or a control character would inject records there.
            let value = try text(.value)
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                throw RosterError(.storage, "a value with a space or a control character")
            }
            entry = Entry(id: id, resource: Resource(verified: kind, value: value, scope: scope), fields: fields, revocation: revocation)
        } catch let error as RosterError {
            throw RosterError(.storage, "entry \(id) in the database is unreadable (\(error.reason)): run roster audit")
        }
    }
}
