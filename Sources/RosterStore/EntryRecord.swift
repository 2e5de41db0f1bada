import GRDB
import RosterCore

/// A row of the `entry` table: the one place that knows its columns, for insert,
/// read and audit. A row edited into something invalid is reported, not trusted.
struct EntryRecord: FetchableRecord {
    /// The columns beside the add's fields (`EntryField`, whose names are columns too).
    enum Column: String {
        case origin, seq, revokedBy = "revoked_by", revokedReason = "revoked_reason", revokedTime = "revoked_time", broad
    }

    /// Every column, as every `SELECT` of entries names them and `arguments` gives them.
    static let names = [Column.origin.rawValue, Column.seq.rawValue] + EntryField.allCases.map(\.name)
        + [Column.revokedBy, .revokedReason, .revokedTime, .broad].map(\.rawValue)

    static let columns = names.joined(separator: ", ")

    /// Where each column sits in a row selected with `columns`: looked up by name, so
    /// that no reader counts positions.
    static let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })

    static let insertSQL = "INSERT INTO entry (\(columns)) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"

    let entry: Entry

    static func arguments(_ entry: Entry) -> StatementArguments {
        StatementArguments([entry.id.origin, Int64(entry.id.seq)] as [(any DatabaseValueConvertible)?]
            + EntryField.allCases.map { $0.text(of: entry) }
            + [entry.revocation?.dot.description, entry.revocation?.reason, entry.revocation?.time.description, entry.fields.broad ? 1 : 0])
    }

    init(row: Row) throws {
        // Rows are selected with `columns`, so a name's position is known (`position`).
        func index(_ name: String) throws -> Int {
            guard let index = Self.position[name], index < row.count else { throw Cell.unreadable("the entry column \(name)") }
            return index
        }
        func text(_ field: EntryField) throws -> String { try row.requireText(try index(field.name), "a field of an entry") }
        func optional(_ field: EntryField) throws -> String? { try row.optionalText(try index(field.name), "a field of an entry") }
        func optional(_ column: Column) throws -> String? { try row.optionalText(try index(column.rawValue), "a field of an entry") }
        func flag(_ column: Column) throws -> Bool {
            switch row.integer(try index(column.rawValue)) {
            case 0: return false
            case 1: return true
            default: throw RosterError(.storage, "\(column.rawValue) is not 0 or 1")
            }
        }
        guard let origin = row.text(try index(Column.origin.rawValue)), let seq = row.seq(try index(Column.seq.rawValue)) else {
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
                guard let reason = try optional(.revokedReason), let time = try optional(.revokedTime) else {
                    throw RosterError(.storage, "a revoke without its reason or time")
                }
                revocation = Entry.Revocation(dot: try Dot(by), reason: reason, time: try Timestamp(time))
            } else if try optional(.revokedReason) != nil || optional(.revokedTime) != nil {
                throw RosterError(.storage, "a revocation reason or time without a revoke")
            }
            // Exports write values into zone and hosts files line by line: a value edited
            // to hold a space or a control character would inject records there.
            let value = try text(.value)
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                throw RosterError(.storage, "a value with a space or a control character")
            }
            // The original of a mirror, whose decision the row's fields repeat (`Entry.inheriting`).
            let mirrorOf = try optional(EntryField.mirrorOf).map { try Dot($0) }
            entry = Entry(id: id, resource: Resource(verified: kind, value: value, scope: scope), fields: fields, revocation: revocation,
                          mirrorOf: mirrorOf)
        } catch let error as RosterError {
            throw RosterError(.storage, "entry \(id) in the database is unreadable (\(error.reason)): run roster audit")
        }
    }
}
