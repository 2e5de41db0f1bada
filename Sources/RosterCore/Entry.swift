/// A listed resource as the merge of the add that created it and every amend
/// and revoke that targets it. Never stored as truth: always derivable.
public struct Entry: Hashable, Sendable {
    public struct Revocation: Hashable, Sendable {
        public let dot: Dot
        public let reason: String
        public let time: Timestamp

        public init(dot: Dot, reason: String, time: Timestamp) {
            self.dot = dot
            self.reason = reason
            self.time = time
        }
    }

    public let id: Dot
    public let resource: Resource
    /// For a mirror, the fields in force: its original's decision, its own note and evidence.
    public var fields: EntryFields
    /// The revoke shown: for a mirror, its own or its original's, whichever came first.
    public var revocation: Revocation?
    /// The entry this one is a mirror of, whose decision it is listed under.
    public let mirrorOf: Dot?

    public init(id: Dot, resource: Resource, fields: EntryFields, revocation: Revocation? = nil, mirrorOf: Dot? = nil) {
        self.id = id
        self.resource = resource
        self.fields = fields
        self.revocation = revocation
        self.mirrorOf = mirrorOf
    }

    public var agency: String { id.agency }
    public var isLive: Bool { revocation == nil }

    /// Expired entries stay in the roster (and its digest, which must not depend on
    /// the day it is computed) but leave consumer exports and checks.
    public func isExpired(on day: CalendarDate) -> Bool {
        fields.expires.map { $0 < day } ?? false
    }

    /// Builds the entry from its add and the amends and revokes that target it; a
    /// mirror's also from its original's entry (see `inheriting`). A pure function of
    /// the set of operations: their order does not matter. Nil for what is no entry:
    /// another operation, or a mirror whose original is not in the view or is a mirror.
    public static func resolve(add: Operation, changes: [Operation], original: Entry? = nil) -> Entry? {
        let outcome = Outcome(of: changes)
        switch add.payload {
        case .add(let resource, var fields):
            for (name, amend) in outcome.standing { amend.apply(name, to: &fields) }
            return Entry(id: add.dot, resource: resource, fields: fields, revocation: outcome.revocation)
        case .mirror(let resource, let mirror):
            guard let original, original.id == mirror.original, original.mirrorOf == nil else { return nil }
            var fields = mirror.entryFields(under: original.fields)
            for (name, amend) in outcome.standing { amend.apply(name, to: &fields) }
            return Entry(id: add.dot, resource: resource, fields: fields, revocation: outcome.revocation, mirrorOf: mirror.original)
                .inheriting(from: original)
        case .amend, .revoke, .enrol, .retire, .rotate:
            return nil
        }
    }

    /// The mirror as its original's state makes it: the original's category, basis,
    /// jurisdiction and expiry, whatever amends of the mirror say of them, and lifted
    /// by the original's revoke when that came before any of its own. *Why a rule of
    /// the view:* the one signed revoke of the original lifts every copy on every
    /// node, whichever arrived first, and an amended decision holds for all of them.
    public func inheriting(from original: Entry) -> Entry {
        var entry = self
        entry.fields.category = original.fields.category
        entry.fields.basis = original.fields.basis
        entry.fields.jurisdiction = original.fields.jurisdiction
        entry.fields.expires = original.fields.expires
        if let lifted = original.revocation {
            entry.revocation = revocation.map { Self.first($0, lifted) } ?? lifted
        }
        return entry
    }

    /// What the amends and revokes of one entry come to, whatever their order: for
    /// each field, the amend whose value stands, and the revocation shown. *Why:* an
    /// auditor streaming a log keeps only what it counts of each add, not the add.
    public struct Outcome: Sendable {
        /// Each field an amend sets, with the amend whose value stands, in field order.
        public var standing: [(name: String, changes: FieldChanges)] = []
        public var revocation: Revocation?

        public init(of changes: [Operation]) {
            var amends: [(operation: Operation, changes: FieldChanges)] = []
            var revokes: [(operation: Operation, reason: String)] = []
            for change in changes {
                switch change.payload {
                case .amend(_, let fieldChanges): amends.append((change, fieldChanges))
                case .revoke(_, let reason): revokes.append((change, reason))
                case .add, .mirror, .enrol, .retire, .rotate: continue
                }
            }
            // Each field takes the value of the latest amend that sets it: among the amends
            // that no other such amend causally follows, the greatest (time, origin) wins.
            for name in ["category", "basis", "jurisdiction", "expires", "evidence", "note"] {
                let setting = amends.filter { $0.changes.names.contains(name) }
                let latest = setting.filter { candidate in
                    !setting.contains { other in
                        other.operation.dot != candidate.operation.dot && Entry.happenedBefore(candidate.operation, other.operation)
                    }
                }
                if let winner = latest.max(by: { Entry.isOrderedBefore($0.operation, $1.operation) }) {
                    standing.append((name, winner.changes))
                }
            }
            // A revoke is final; of several, the first by (time, origin) is the one shown.
            revocation = revokes.min { Entry.isOrderedBefore($0.operation, $1.operation) }.map {
                Revocation(dot: $0.operation.dot, reason: $0.reason, time: $0.operation.time)
            }
        }
    }

    /// The entry once `change` is added to the changes it reflects, when `change`
    /// causally follows every one of them: what `resolve` gives, without reading
    /// the others. Nil when `change` is concurrent with one of `latest` (the last
    /// change of each origin that changed the entry), and `resolve` must decide.
    /// *Why:* an entry amended ten thousand times must not be re-read and re-parsed
    /// whole for the next amend.
    public func applying(_ change: Operation, after latest: [Dot]) -> Entry? {
        guard change.target == id,
            latest.allSatisfy({ change.clock.contains($0) || ($0.origin == change.origin && $0.seq < change.seq) })
        else { return nil }
        var entry = self
        switch change.payload {
        case .amend(_, let changes):
            for name in changes.names { changes.apply(name, to: &entry.fields) }
        case .revoke(_, let reason):
            let candidate = Revocation(dot: change.dot, reason: reason, time: change.time)
            entry.revocation = revocation.map { Self.first($0, candidate) } ?? candidate
        case .add, .mirror, .enrol, .retire, .rotate:
            return nil
        }
        return entry
    }

    /// Of two revokes, the one shown: the first by (time, origin, seq), as `resolve` says.
    static func first(_ a: Revocation, _ b: Revocation) -> Revocation {
        if a.time != b.time { return a.time < b.time ? a : b }
        if a.dot.origin != b.dot.origin { return a.dot.origin.utf8.lexicographicallyPrecedes(b.dot.origin.utf8) ? a : b }
        return a.dot.seq <= b.dot.seq ? a : b
    }

    /// `a` is in `b`'s causal past: `b`'s replica had seen `a` when it made `b`.
    public static func happenedBefore(_ a: Operation, _ b: Operation) -> Bool {
        b.clock.contains(a.dot) || (a.origin == b.origin && a.seq < b.seq)
    }

    /// The documented tie-break between concurrent operations: time, then origin.
    static func isOrderedBefore(_ a: Operation, _ b: Operation) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.origin != b.origin { return a.origin.utf8.lexicographicallyPrecedes(b.origin.utf8) }
        return a.seq < b.seq
    }

    /// Pairs of concurrent amends that set a same field: kept visible in the history.
    public static func conflicts(among changes: [Operation]) -> [(Dot, Dot)] {
        let amends = changes.compactMap { operation -> (Operation, Set<String>)? in
            if case .amend(_, let fieldChanges) = operation.payload { return (operation, Set(fieldChanges.names)) }
            return nil
        }
        var result: [(Dot, Dot)] = []
        for i in amends.indices {
            for j in amends.indices where i < j {
                let (a, b) = (amends[i], amends[j])
                if !a.1.isDisjoint(with: b.1) && !happenedBefore(a.0, b.0) && !happenedBefore(b.0, a.0) {
                    result.append((a.0.dot, b.0.dot))
                }
            }
        }
        return result
    }

    /// The entry's state as it enters the digest and the `json` export.
    public var json: JSON {
        var members: [String: JSON] = ["id": .string(id.description), "resource": resource.json]
        fields.write(to: &members)
        if let mirrorOf { members["mirror_of"] = .string(mirrorOf.description) }
        if let revocation {
            members["revoked"] = .object([
                "by": .string(revocation.dot.description), "reason": .string(revocation.reason),
                "time": .string(revocation.time.description),
            ])
        }
        return .object(members)
    }
}

extension Entry {
    /// RFC 8785 bytes of `json`, written directly: exports and the state digest
    /// encode every entry, so they skip the JSON tree. A test holds the two equal.
    public func canonicalBytes() -> [UInt8] {
        var out = CanonicalWriter(capacity: 320)
        out.openObject()
        out.key("basis"); fields.basis.write(to: &out)
        if fields.broad { out.key("broad"); out.literal("true") }
        out.member("category", fields.category.rawValue)
        out.member("evidence", fields.evidence)
        out.member("expires", fields.expires?.description)
        out.member("id", id.description)
        out.member("jurisdiction", fields.jurisdiction)
        out.member("mirror_of", mirrorOf?.description)
        out.member("note", fields.note)
        out.key("resource"); resource.write(to: &out)
        if let revocation {
            out.key("revoked")
            out.openObject()
            out.key("by"); out.string(revocation.dot.description)
            out.key("reason"); out.string(revocation.reason)
            out.key("time"); out.string(revocation.time.description)
            out.closeObject()
        }
        out.closeObject()
        return out.bytes
    }
}
