import GRDB
import RosterCore

extension DatabaseReading {
    /// Entries that operations applied after `clock` created or changed, revoked ones
    /// included. The adds of an origin past the clock are one range of the entry
    /// table, read in one scan; only the entries that amends and revokes targeted are
    /// read one by one. A push of 5,000 adds costs one scan, not 5,000 queries.
    func entries(changedSince clock: VectorClock) throws -> [Entry] {
        var wanted = try changedEntryIDs(since: clock)
        var entries: [Entry] = []
        for origin in Set(wanted.map(\.origin)).sorted() {
            let added = try EntryRecord.fetchCursor(db, sql: "SELECT \(EntryRecord.columns) FROM entry WHERE origin = ? AND seq > ?",
                                                    arguments: [origin, Int64(clamping: clock[origin])])
            while let record = try added.next() {
                if wanted.remove(record.entry.id) != nil { entries.append(record.entry) }
            }
        }
        let byID = try db.cachedStatement(sql: "SELECT \(EntryRecord.columns) FROM entry WHERE origin = ? AND seq = ?")
        for id in wanted {
            if let record = try EntryRecord.fetchOne(byID, arguments: [id.origin, Int64(id.seq)]) { entries.append(record.entry) }
        }
        return entries
    }

    /// Entries that operations applied after `clock` added, amended or revoked, and
    /// the mirrors of those amended or revoked, which change with their original.
    func changedEntryIDs(since clock: VectorClock) throws -> Set<Dot> {
        var ids = Set<Dot>()
        var targets = Set<String>()
        for row in try Row.fetchAll(db, sql: "SELECT id, name, head_seq FROM origin") {
            guard let id = row.integer("id"), let origin = row.text("name"), let head = row.integer("head_seq") else {
                throw Cell.unreadable("an origin row")
            }
            let from = Int64(clamping: clock[origin])
            guard head > from else { continue }
            let changes = try Row.fetchCursor(db, sql: "SELECT seq, target FROM operation WHERE origin_id = ? AND seq > ?",
                                              arguments: [id, from])
            while let change = try changes.next() {
                if let target = try change.optionalText("target", "an operation's target") {
                    if targets.insert(target).inserted { ids.insert(try Dot(target)) }
                } else {
                    guard let seq = change.seq("seq") else { throw Cell.unreadable("an operation's seq") }
                    ids.insert(Dot(origin: origin, seq: seq))
                }
            }
        }
        for target in targets { ids.formUnion(try mirrors(of: Dot(target))) }
        return ids
    }
}
