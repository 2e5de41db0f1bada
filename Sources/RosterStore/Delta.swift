import GRDB
import RosterCore

extension DatabaseReading {
    /// The applied operations a holder of `clock` lacks, in the order they were applied
    /// (a causal order), at most `limit` of them. The (origin, seq) index finds the
    /// first operation the holder lacks; the walk in applied order starts there and
    /// stops after `limit`, so a page costs what it returns, not what the roster
    /// holds, and paging through a first sync stays linear.
    /// `agencies`, when given, are the only agencies the holder trusts: a node is
    /// never sent, page after page, what it would refuse. A retired replica's void
    /// operations are kept as history and never sent.
    func operations(missingFrom clock: VectorClock, limit: Int, bytes: Int = Int.max,
                    agencies: Set<String>? = nil) throws -> (bodies: [String], more: Bool) {
        var from: [Int64: Int64] = [:]
        var until: [Int64: Int64] = [:]
        let distrusted = try distrustedAgencies()
        let retired = try retirements()
        for row in try Row.fetchAll(db, sql: "SELECT id, name, head_seq FROM origin") {
            guard let id = row.integer("id"), let name = row.text("name"), let head = row.integer("head_seq") else {
                throw Cell.unreadable("an origin row")
            }
            let agency = Origin.agency(of: name)
            if let agencies, !agencies.contains(agency) { continue }
            if distrusted.contains(agency) { continue }
            let last = min(head, retired[name].map { Int64(clamping: $0) } ?? head)
            let held = Int64(clamping: clock[name])
            if last > held {
                from[id] = held
                until[id] = last
            }
        }
        let first = try db.cachedStatement(sql: "SELECT position FROM operation WHERE origin_id = ? AND seq > ? ORDER BY seq LIMIT 1")
        let start = try from.compactMap { try Int64.fetchOne(first, arguments: [$0.key, $0.value]) }.min()
        guard let start else { return ([], false) }
        // The walk filters in Swift rather than in SQL: an OR term per origin would
        // pass SQLite's expression depth in a federation of a thousand replicas.
        var bodies: [String] = []
        var size = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT origin_id, seq, body FROM operation WHERE position >= ? ORDER BY position",
                                       arguments: [start])
        while let row = try rows.next() {
            guard let origin = row.integer("origin_id"), let seq = row.integer("seq"), let held = from[origin], seq > held,
                seq <= until[origin] ?? Int64.max
            else { continue }
            guard let body = row.text("body") else { throw Cell.unreadable("an operation's body") }
            // A page holds at least one operation, so that paging always advances.
            if bodies.count == limit || (!bodies.isEmpty && size + body.utf8.count + 1 > bytes) { return (bodies, true) }
            size += body.utf8.count + 1
            bodies.append(body)
        }
        return (bodies, false)
    }
}
