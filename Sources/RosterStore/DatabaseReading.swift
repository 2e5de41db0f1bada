import Foundation
import GRDB
import RosterCore

/// Reads shared by snapshots and write transactions.
protocol DatabaseReading {
    var db: Database { get }
}

extension DatabaseReading {
    /// Every signer this node accepts, by origin.
    func keys() throws -> [String: PublicKey] {
        var keys: [String: PublicKey] = [:]
        for origin in try OriginRecord.all(db) { keys[origin.name] = try origin.key() }
        return keys
    }

    func heads() throws -> [String: CausalDelivery.Head] {
        // The head columns only: a row edited elsewhere (its key) is audit's to name,
        // and must not keep the node from reading its heads to be audited.
        var heads: [String: CausalDelivery.Head] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, head_seq, head_hash FROM origin WHERE head_seq > 0") {
            let name = try row.requireText("name", "an origin's name")
            guard let seq = row.seq("head_seq"), let hash = row.blob("head_hash") else { throw Cell.unreadable("the head of \(name)") }
            heads[name] = CausalDelivery.Head(seq: seq, hash: hash)
        }
        return heads
    }

    /// What this node holds: the node's causal context.
    func clock() throws -> VectorClock {
        VectorClock(try heads().mapValues(\.seq))
    }

    static var operationByDot: String {
        "SELECT body FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?"
    }

    /// An applied operation by its dot.
    func operation(_ dot: Dot) throws -> SignedOperation? {
        guard let body = try String.fetchOne(db, sql: Self.operationByDot,
                                             arguments: [dot.origin, Int64(dot.seq)])
        else { return nil }
        return try SignedOperation(parsing: Array(body.utf8))
    }

    func entry(_ id: Dot) throws -> Entry? {
        try EntryRecord.fetchOne(db.cachedStatement(sql: "SELECT \(EntryRecord.columns) FROM entry WHERE origin = ? AND seq = ?"),
                                 arguments: [id.origin, Int64(id.seq)])?.entry
    }

    /// The add and every operation that targets the entry, in the order they were applied.
    func history(_ id: Dot) throws -> [SignedOperation] {
        let bodies = try String.fetchAll(db, sql: """
            SELECT body FROM operation
            WHERE (origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?) OR target = ? ORDER BY position
            """, arguments: [id.origin, Int64(id.seq), id.description])
        return try bodies.map { try SignedOperation(parsing: Array($0.utf8)) }
    }

    /// Resolves an entry from its operations, as the derived table should hold it:
    /// nil for a void add or a distrusted agency's, and without void changes.
    /// `rules` saves reading them again when many entries are resolved at once.
    func resolveEntry(_ id: Dot, rules given: ViewRules? = nil, asOriginal: Bool = false) throws -> Entry? {
        let rules = try given ?? viewRules()
        guard !rules.isVoid(id), !rules.distrusted.contains(id.agency) else { return nil }
        let operations = try history(id).filter { !rules.isVoid($0.dot) }
        guard let add = operations.first(where: { $0.dot == id }) else { return nil }
        // The target column is a derived copy: trust the signed operations only.
        guard add.operation.type == "add" else {
            throw RosterError(.storage, "operation \(id) is not an add, yet operations target it: run roster audit")
        }
        let changes = operations.filter { $0.dot != id }
        guard changes.allSatisfy({ $0.operation.target == id }) else {
            throw RosterError(.storage, "the operation table's target column disagrees with the operations on \(id): run roster audit")
        }
        // A mirror's original is resolved as an original: one level, never a chain.
        let original = try add.operation.original.flatMap { original in
            asOriginal ? nil : try resolveEntry(original, rules: rules, asOriginal: true)
        }
        return Entry.resolve(add: add.operation, changes: changes.map(\.operation), original: original)
    }

    /// A mirror resolved from its operations and its original's entry as the table
    /// holds it, already resolved: what a rebuild does once every original is.
    func resolveMirror(_ id: Dot, rules: ViewRules) throws -> Entry? {
        guard let add = try operation(id), let original = add.operation.original, let held = try entry(original) else { return nil }
        let changes = try history(id).filter { $0.dot != id && !rules.isVoid($0.dot) && $0.operation.target == id }
        return Entry.resolve(add: add.operation, changes: changes.map(\.operation), original: held)
    }
}

/// A consistent read-only view of the database.
struct Snapshot: DatabaseReading {
    let db: Database
}
