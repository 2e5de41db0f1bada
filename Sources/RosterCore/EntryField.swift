/// The fields an add gives an entry, each named once: the CSV header and `import`
/// column, the column of the store's `entry` table, the `add` option (`--category`),
/// and the member of an operation's and an entry's JSON (under `resource` or
/// `basis` where it belongs there). Exports, the import and the store go through
/// this list, so a new field is added here and in the places that give it meaning.
public enum EntryField: String, CaseIterable, Sendable {
    case kind, value, scope, category, authority, reference, decided, statute, jurisdiction, expires, evidence, note
    /// The entry a mirror copies, whose decision it is listed under.
    case mirrorOf = "mirror_of"

    public var name: String { rawValue }

    /// The fields of a decision: a mirror takes them from its original, never its own.
    public static let decision = [category, authority, reference, decided, statute, jurisdiction, expires].map(\.name)

    /// The field's value in `entry`, as CSV and the database write it; nil when absent.
    public func text(of entry: Entry) -> String? {
        let fields = entry.fields
        switch self {
        case .kind: return entry.resource.kind.rawValue
        case .value: return entry.resource.value
        case .scope: return entry.resource.scope?.rawValue
        case .category: return fields.category.rawValue
        case .authority: return fields.basis.authority
        case .reference: return fields.basis.reference
        case .decided: return fields.basis.decided.description
        case .statute: return fields.basis.statute
        case .jurisdiction: return fields.jurisdiction
        case .expires: return fields.expires?.description
        case .evidence: return fields.evidence
        case .note: return fields.note
        case .mirrorOf: return entry.mirrorOf?.description
        }
    }
}
