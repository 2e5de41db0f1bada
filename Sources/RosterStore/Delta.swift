import GRDB
import RosterCore

extension DatabaseReading {
    /// The applied operations a holder of `clock` lacks, in the order they were applied
    /// (a causal order), at most `limit` of them. The query walks the (origin, seq)
    /// index from each origin's counter, so its cost follows the delta, not the roster.
    public func operations(missingFrom clock: VectorClock, limit: Int) throws -> (bodies: [String], more: Bool) {
        let origins = try Row.fetchAll(db, sql: "SELECT id, name FROM origin")
        guard !origins.isEmpty else { return ([], false) }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for row in origins {
            conditions.append("(origin_id = ? AND seq > ?)")
            arguments += [row[0] as Int64, Int64(clock[row[1] as String])]
        }
        arguments += [limit + 1]
        let bodies = try String.fetchAll(db, sql: """
            SELECT body FROM operation WHERE \(conditions.joined(separator: " OR ")) ORDER BY position LIMIT ?
            """, arguments: arguments)
        return (Array(bodies.prefix(limit)), bodies.count > limit)
    }
}
