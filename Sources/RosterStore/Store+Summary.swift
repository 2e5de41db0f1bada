import GRDB
import RosterCore

/// What a reader of the public page sees first: how many entries each agency,
/// authority and category holds, and the latest revocations with their reasons.
public struct RosterSummary: Sendable {
    public struct Tally: Sendable {
        public let name: String
        public let live: Int
        public let revoked: Int
    }

    public var agencies: [Tally] = []
    /// The authorities with the most live entries, at most `Store.summaryRows`.
    public var authorities: [Tally] = []
    public var categories: [Tally] = []
    /// Newest first.
    public var revocations: [Entry] = []
}

extension Store {
    /// Authorities are free text that peers write: the summary lists this many, the largest.
    public static let summaryRows = 50

    /// Counts from one snapshot; each is one pass over the entries, so callers keep
    /// the answer for as long as the clock stands still.
    public func summary(revocations: Int = 20) async throws -> RosterSummary {
        try await read { snapshot in
            let db = snapshot.db
            func tallies(_ column: String, limit: Int) throws -> [RosterSummary.Tally] {
                try Row.fetchAll(db, sql: """
                    SELECT \(column) AS name, total(revoked_by IS NULL) AS live, total(revoked_by IS NOT NULL) AS revoked
                    FROM entry GROUP BY name ORDER BY live DESC, name LIMIT ?
                    """, arguments: [limit]).map {
                    RosterSummary.Tally(name: $0["name"] ?? "", live: Int(($0["live"] as Double?) ?? 0), revoked: Int(($0["revoked"] as Double?) ?? 0))
                }
            }
            var summary = RosterSummary()
            summary.agencies = try tallies("substr(origin, 1, instr(origin, '/') - 1)", limit: 1000)
            summary.authorities = try tallies("authority", limit: Self.summaryRows)
            summary.categories = try tallies("category", limit: 100)
            summary.revocations = try EntryRecord.fetchAll(db, sql: """
                SELECT \(EntryRecord.columns) FROM entry WHERE revoked_by IS NOT NULL ORDER BY revoked_time DESC, origin, seq LIMIT ?
                """, arguments: [revocations]).map(\.entry)
            return summary
        }
    }

    /// Entries, live or revoked, whose value begins with `prefix`, in value order:
    /// read through the value index, so a search costs the same on any roster.
    public func entries(beginningWith prefix: String, limit: Int) async throws -> [Entry] {
        guard !prefix.isEmpty else { return [] }
        return try await read { snapshot in
            try EntryRecord.fetchAll(snapshot.db, sql: """
                SELECT \(EntryRecord.columns) FROM entry WHERE value >= ? AND value < ? ORDER BY value, origin, seq LIMIT ?
                """, arguments: [prefix, prefix + "\u{10FFFF}", limit]).map(\.entry)
        }
    }
}
