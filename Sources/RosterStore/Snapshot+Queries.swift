import GRDB
import RosterCore

/// Which entries `list` and the exports take.
public struct EntryFilter: Sendable {
    public var kind: Resource.Kind?
    public var category: Category?
    public var agency: String?
    public var includeRevoked = false
    /// By value (then origin and sequence), so that the entries of one resource come
    /// together, instead of by origin and sequence.
    public var byValue = false

    public init(kind: Resource.Kind? = nil, category: Category? = nil, agency: String? = nil, includeRevoked: Bool = false, byValue: Bool = false) {
        self.kind = kind
        self.category = category
        self.agency = agency
        self.includeRevoked = includeRevoked
        self.byValue = byValue
    }
}

public struct Counts: Sendable, Equatable {
    public var live = 0
    public var revoked = 0
    public var operations = 0
    public var pending = 0
    /// Operations refused since a bound on pending was reached (see `PendingLimits`).
    public var refused = 0
    public var equivocations = 0
    public var origins = 0
}

extension DatabaseReading {
    /// Streams entries in dot order, so a million-entry export needs no million-entry array.
    func entries(_ filter: EntryFilter = EntryFilter(), each: (Entry) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if !filter.includeRevoked { conditions.append("revoked_by IS NULL") }
        if let kind = filter.kind {
            conditions.append("kind = ?")
            arguments += [kind.rawValue]
        }
        if let category = filter.category {
            conditions.append("category = ?")
            arguments += [category.rawValue]
        }
        if let agency = filter.agency {
            conditions.append("(origin = ? OR origin LIKE ? ESCAPE '\\')")
            arguments += [agency, agency.replacingOccurrences(of: "_", with: "\\_") + "/%"]
        }
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let records = try EntryRecord.fetchCursor(db, sql: "SELECT \(EntryRecord.columns) FROM entry \(condition) ORDER BY \(filter.byValue ? "value, kind, " : "")origin, seq",
                                                  arguments: arguments)
        while let record = try records.next() { try each(record.entry) }
    }

    /// The live, unexpired entries that list `resource`, nearest match first: the
    /// candidates are read by value through an index, and `RosterIndex` decides
    /// which match, the one definition the server's in-memory index uses too.
    func check(_ resource: Resource, today: CalendarDate) throws -> [Entry] {
        let values = Array(Set(resource.candidateValues))
        let placeholders = Array(repeating: "?", count: values.count).joined(separator: ", ")
        let records = try EntryRecord.fetchAll(db, sql: """
            SELECT \(EntryRecord.columns) FROM entry WHERE value IN (\(placeholders)) AND revoked_by IS NULL ORDER BY origin, seq
            """, arguments: StatementArguments(values))
        var index = RosterIndex()
        var candidates: [Dot: Entry] = [:]
        for entry in records.map(\.entry) where !entry.isExpired(on: today) {
            index.insert(entry.resource, id: entry.id)
            candidates[entry.id] = entry
        }
        return index.check(resource).compactMap { candidates[$0] }
    }

    func counts() throws -> Counts {
        var counts = Counts()
        counts.live = try Int.fetchOne(db, sql: "SELECT count(*) FROM entry WHERE revoked_by IS NULL") ?? 0
        counts.revoked = try Int.fetchOne(db, sql: "SELECT count(*) FROM entry WHERE revoked_by IS NOT NULL") ?? 0
        counts.operations = try Int.fetchOne(db, sql: "SELECT count(*) FROM operation") ?? 0
        counts.pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM pending") ?? 0
        counts.refused = try Int.fetchOne(db, sql: "SELECT CAST(total(operations) AS INTEGER) FROM pending_refused") ?? 0
        counts.equivocations = try Int.fetchOne(db, sql: "SELECT count(*) FROM equivocation") ?? 0
        counts.origins = try Int.fetchOne(db, sql: "SELECT count(*) FROM origin") ?? 0
        return counts
    }

    /// Signed operations in the order they were applied: a causal order, as `ops` exports need.
    func operationTexts(each: (String) throws -> Void) throws {
        let bodies = try String.fetchCursor(db, sql: "SELECT body FROM operation ORDER BY position")
        while let body = try bodies.next() { try each(body) }
    }

    func pendingOperations() throws -> [SignedOperation] {
        try String.fetchAll(db, sql: "SELECT body FROM pending ORDER BY origin, seq").map { try SignedOperation(parsing: Array($0.utf8)) }
    }

    func equivocatingOrigins() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM origin WHERE equivocating = 1 ORDER BY name")
    }

    /// The state digest of the derived table (see `StateDigest`), from the kept
    /// chunk digests and those that changed since they were kept.
    func digest() throws -> String {
        try keptDigest().digest
    }

    /// The state digest hashed from every entry, trusting nothing kept.
    func computedDigest() throws -> String {
        try fullDigest(base: DigestCache.Base(), clock: clock()).digest
    }

    /// Live resources an agency lists, as `kind value scope` keys: what an import skips.
    func listedKeys(agency: String) throws -> Set<String> {
        var keys: Set<String> = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT kind, value, scope FROM entry WHERE revoked_by IS NULL AND origin LIKE ? ESCAPE '\\'
            """, arguments: [agency.replacingOccurrences(of: "_", with: "\\_") + "/%"])
        while let row = try rows.next() {
            guard let kind = row.text("kind").flatMap(Resource.Kind.init(rawValue:)), let value = row.text("value") else {
                throw Cell.unreadable("an entry's resource")
            }
            keys.insert(Resource(verified: kind, value: value,
                                 scope: try row.optionalText("scope", "an entry's scope").flatMap(Resource.Scope.init(rawValue:))).key)
        }
        return keys
    }
}

extension Resource {
    /// Kind and value: an agency lists a resource once, whatever its scope.
    public var key: String { "\(kind.rawValue) \(value)" }
}
