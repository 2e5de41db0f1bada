/// What the add of a mirror states: the entry it copies and its own note and
/// evidence, never a decision. A shop that reopens under another name is listed
/// under the decision that covered it, and lifted with it.
public struct MirrorFields: Hashable, Sendable {
    /// The entry copied: an add of the same agency that is no mirror itself.
    public var original: Dot
    /// SHA-256 of the evidence that this resource is a copy: never the evidence itself.
    public var evidence: String?
    public var note: String?
    /// As for any add (`BroadEntries`): the mirror's own resource is broad and meant.
    public var broad: Bool

    public init(original: Dot, evidence: String? = nil, note: String? = nil, broad: Bool = false) {
        self.original = original
        self.evidence = evidence
        self.note = note
        self.broad = broad
    }

    /// The members a mirror's add carries besides its resource.
    func write(to members: inout [String: JSON]) {
        members["mirror_of"] = .string(original.description)
        if let evidence { members["evidence"] = .string(evidence) }
        if let note { members["note"] = .string(note) }
        if broad { members["broad"] = .bool(true) }
    }

    /// The fields of an entry listed under `original`'s decision, with this mirror's note and evidence.
    public func entryFields(under original: EntryFields) -> EntryFields {
        EntryFields(category: original.category, basis: original.basis, jurisdiction: original.jurisdiction,
                    expires: original.expires, evidence: evidence, note: note, broad: broad)
    }

    init(members: OperationMembers, origin: String) throws {
        guard let text = members[.mirrorOf]?.string else { throw RosterError(.malformedOperation, "mirror_of must be an entry id") }
        let original = try Dot(text)
        guard !Origin.isAgencyOrigin(original.origin) else {
            throw RosterError(.malformedOperation, "\(original) is a key event, not an entry: a mirror copies an entry")
        }
        // A mirror stands on its original's decision, which only the same agency holds.
        guard original.agency == Origin.agency(of: origin) else {
            throw RosterError(.forbiddenTarget, "\(origin) may not list a mirror of \(original): it belongs to agency \(original.agency)")
        }
        // The decision is the original's: one spelling, and no second decision riding along.
        if let decided = [OperationMembers.Name.category, .basis, .jurisdiction, .expires].first(where: { members[$0] != nil }) {
            throw RosterError(.malformedOperation,
                "a mirror carries no \(decided.text): its category, basis, jurisdiction and expiry are its original's")
        }
        self.init(
            original: original,
            evidence: try members[.evidence].map { try Text.evidence(Text.string($0, field: "evidence")) },
            note: try members[.note].map { try Text.string($0, field: "note") },
            broad: try members[.broad].map { value in
                guard value == .bool(true) else { throw RosterError(.malformedOperation, "broad is true when present") }
                return true
            } ?? false)
    }
}
