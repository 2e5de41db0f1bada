import GRDB
import RosterCore

extension DatabaseReading {
    /// The applied operations a holder of `clock` lacks, in the order they were applied
    /// (a causal order), at most `limit` of them. The (origin, seq) index finds the
    /// first operation the holder lacks; the walk in applied order starts there and
    /// stops after `limit`, so a page costs what it returns, not what the roster
    /// holds, and paging through a first sync stays linear.
    public func operations(missingFrom clock: VectorClock, limit: Int) throws -> (bodies: [String], more: Bool) {
        var lacking: [(origin: Int64, from: Int64)] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, name, head_seq FROM origin") {
            let from = Int64(clock[row[1] as String])
            if (row[2] as Int64) > from { lacking.append((row[0], from)) }
        }
        let first = try db.cachedStatement(sql: "SELECT position FROM operation WHERE origin_id = ? AND seq > ? ORDER BY seq LIMIT 1")
        let start = try lacking.compactMap { try Int64.fetchOne(first, arguments: [$0.origin, $0.from]) }.min()
        guard let start else { return ([], false) }
        // `+origin_id` keeps SQLite on the walk in position order rather than the index.
        let conditions = Array(repeating: "(+origin_id = ? AND seq > ?)", count: lacking.count).joined(separator: " OR ")
        var arguments: StatementArguments = [start]
        for (origin, from) in lacking { arguments += [origin, from] }
        arguments += [limit + 1]
        let bodies = try String.fetchAll(db, sql: """
            SELECT body FROM operation WHERE position >= ? AND (\(conditions)) ORDER BY position LIMIT ?
            """, arguments: arguments)
        return (Array(bodies.prefix(limit)), bodies.count > limit)
    }
}
