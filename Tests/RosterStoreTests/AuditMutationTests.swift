import Foundation
import GRDB
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

/// Someone edits the database file behind the node's back: whatever they change,
/// the auditor's tool must name a finding, never trap, throw or pass.
@Suite("Audit of a database edited at random")
struct AuditMutationTests {
    /// A database with every table in use: several origins, amends and revokes,
    /// a pending operation, an equivocation proof, a peer and the digest cache.
    static func template(in folder: TemporaryFolder) async throws -> URL {
        var simulation = Simulation(seed: 77, origins: ["kz-mvd/a", "kz-mvd/b", "uz-iib/c", "tj-akn/d"])
        simulation.run(steps: 60)
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        var kg = try AgencyChain(agency: "kg-mvd", keys: [AgencyKey.random()], time: try Timestamp("2026-11-01T10:00:00Z"))
        try kg.enrol(Replica(origin: "kg-mvd/bishkek", key: ReplicaKey.random()))
        let descriptor = try kg.descriptor(node: "kg-mvd/bishkek", name: "MVD", jurisdiction: "KG",
                                           endpoints: ["https://kg.example:8443"], tlsPin: String(repeating: "ab", count: 32))
        try node.store.blockingWrite { transaction in
            try transaction.pin("kg-mvd", root: kg.root.fingerprint)
            try transaction.addPeer(descriptor, replacing: false, isOwn: false)
            for (agency, pin) in simulation.pins.agencies { try transaction.pin(agency, root: pin.root) }
        }
        #expect(try node.store.blockingReceive(simulation.keyEvents).allSatisfy { $0 == .applied })
        // Everything but the last operation of tj-akn/d, which then waits on one withheld before it.
        let d = simulation.all.filter { $0.operation.origin == "tj-akn/d" }
        let withheld = try #require(d.dropLast().last)
        _ = try node.store.blockingReceive(simulation.all.filter { $0 != withheld })
        #expect(try node.store.blockingRead { try $0.counts().pending } >= 1)

        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        let own = try node.store.blockingWrite { try $0.append(.add(resource: Resource(kind: .domain, value: "own.example"), fields: fields), by: node.replica) }
        _ = try node.store.blockingWrite { try $0.append(.revoke(target: own.dot, reason: "lifted"), by: node.replica) }
        _ = try node.store.blockingWrite { try $0.append(.add(resource: Resource(kind: .cidr, value: "203.0.113.0/24"), fields: fields), by: node.replica) }

        // kz-mvd/a signs a second version of its last operation: quarantined from there, the rest stays.
        let a = simulation.writers[0].replica
        let last = try #require(simulation.all.last { $0.operation.origin == a.origin })
        let fork = try SignedOperation.sign(Operation(
            origin: a.origin, seq: last.operation.seq, prev: last.operation.prev, clock: last.operation.clock, time: last.operation.time,
            payload: .add(resource: try Resource(kind: .domain, value: "fork.example"), fields: fields)), with: a.key)
        #expect(try node.store.blockingReceive([fork]) == [.rejected(RosterError(.equivocation, ""))])
        _ = try node.store.blockingDigest()
        let report = try await Auditor.audit(node.store)
        #expect(report.findings.count == 1 && report.findings[0].contains("equivocated"), "\(report.findings)")
        // A copy with nothing left in the write-ahead log: every mutation starts from it.
        let template = folder.path("template.sqlite")
        try await node.store.pool.writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [template.path]) }
        try node.store.close()
        return template
    }

    /// Columns a mutation may edit. Left out, with the reason: `operation.position`
    /// and `equivocation.id` are orderings and surrogate keys whose edits can leave
    /// a valid database (a reorder that is still causal is tested on its own);
    /// `pending`, `peer` and `meta` rows can be deleted without a trace, as the
    /// node holds no second account of them (pending rows come again with the next
    /// sync; peer descriptors are signed in a later format).
    static let columns: [String: [String]] = [
        "origin": ["id", "name", "public_key", "alg", "head_seq", "head_hash", "equivocating", "enrolled_at", "retired_after"],
        "agency": ["name", "root_sha256", "keys", "distrusted"],
        "trust_event": ["time", "agency", "event", "detail", "root_sha256", "distrusted", "hash"],
        "operation": ["origin_id", "seq", "target", "body"],
        "pending": ["origin", "seq", "waits_origin", "waits_seq", "source", "body", "waits_until"],
        "pending_usage": ["scope", "operations", "bytes"],
        "equivocation": ["origin", "seq", "body"],
        "entry": EntryRecord.columns.components(separatedBy: ", "),
        "meta": ["key", "value"],
        "digest_chunk": ["origin", "chunk", "digest"],
        "peer": ["id", "agency", "descriptor", "endpoint", "tls_spki_sha256"],
        "log_leaf": ["leaf", "position", "body"],
        "log_tile": ["id", "hashes"],
    ]

    /// Every row of every table the edits touch, as text, sorted (some tables have no
    /// rowid): equal exactly when no cell differs.
    static func content(_ db: Database) throws -> [String] {
        try columns.keys.sorted().flatMap { table in
            try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { row in
                table + row.databaseValues.map { value in
                    if case .blob(let data) = value.storage { return "x" + Hex.encode(data) }
                    return "\(value)"
                }.joined(separator: " ")
            }.sorted()
        }
    }

    static func randomValue(_ db: Database, table: String, column: String, using rng: inout SplitMix64) throws -> DatabaseValue {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return .null
        case 1: return Int64.random(in: -3...3, using: &rng).databaseValue
        case 2: return [Int64.max, Int64.min, 1 << 40].randomElement(using: &rng)!.databaseValue
        case 3: return ["", "x", "kz-mvd/a", "kz-mvd/a:1", "2026-01-01", "drugs", "{}", "[]", "ed25519"].randomElement(using: &rng)!.databaseValue
        case 4: return Data((0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }).databaseValue
        case 5: return 3.5.databaseValue
        default:
            // Another row's value of the same column: swapped and duplicated cells.
            return try DatabaseValue.fetchOne(db, sql: "SELECT \(column) FROM \(table) ORDER BY random() LIMIT 1") ?? .null
        }
    }

    /// Applies one random edit; nil when it changed nothing (a constraint refused
    /// it, or the new value equals the old).
    /// One or two random edits of the database at `path`, as the sqlite3 shell makes them: foreign keys unchecked.
    static func edit(_ path: URL, using rng: inout SplitMix64) throws -> [String] {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let database = try DatabaseQueue(path: path.path, configuration: configuration)
        defer { try? database.close() }
        var edits: [String] = []
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            if let edit = try database.write({ try mutate($0, using: &rng) }) { edits.append(edit) }
        }
        return edits
    }

    static func content(of path: URL) throws -> [String] {
        let database = try DatabaseQueue(path: path.path)
        defer { try? database.close() }
        return try database.read { try content($0) }
    }

    static func mutate(_ db: Database, using rng: inout SplitMix64) throws -> String? {
        let table = columns.keys.sorted().randomElement(using: &rng)!
        let key = ["entry": "origin, seq", "pending": "origin, seq", "pending_usage": "scope", "meta": "key", "peer": "id", "agency": "name",
                   "digest_chunk": "origin, chunk"][table]
        // The digest's generation is a counter with no second account: edited, the next digest is hashed whole.
        let exempt = table == "meta" ? " WHERE key != 'chunks.generation'" : ""
        let keys = try Row.fetchAll(db, sql: (key.map { "SELECT \($0) FROM \(table)" } ?? "SELECT rowid FROM \(table)") + exempt)
        guard let picked = keys.randomElement(using: &rng) else { return nil }
        let names = key?.components(separatedBy: ", ") ?? ["rowid"]
        let condition = names.map { "\($0) = ?" }.joined(separator: " AND ")
        let arguments = StatementArguments(picked.databaseValues)

        switch Int.random(in: 0..<10, using: &rng) {
        case 0 where ["operation", "entry", "equivocation", "origin", "agency", "trust_event", "log_leaf", "log_tile"].contains(table):
            try db.execute(sql: "DELETE FROM \(table) WHERE \(condition)", arguments: arguments)
            return "deleted a row of \(table)"
        case 2:
            // A body re-spelled: the same operation, no longer in its canonical bytes.
            try db.execute(sql: "UPDATE operation SET body = body || ' ' WHERE position = (SELECT position FROM operation ORDER BY random() LIMIT 1)")
            return "re-spelled an operation body"
        case 1:
            // Two operations of one origin trade places in the applied order.
            guard let pair = try Row.fetchOne(db, sql: """
                SELECT a.position, b.position FROM operation a JOIN operation b ON a.origin_id = b.origin_id AND a.seq < b.seq
                ORDER BY random() LIMIT 1
                """) else { return nil }
            let (first, second): (Int64, Int64) = (pair[0], pair[1])
            try db.execute(sql: "UPDATE operation SET position = -1 WHERE position = ?", arguments: [first])
            try db.execute(sql: "UPDATE operation SET position = ? WHERE position = ?", arguments: [first, second])
            try db.execute(sql: "UPDATE operation SET position = ? WHERE position = -1", arguments: [second])
            return "swapped positions \(first) and \(second)"
        default:
            let column = columns[table]!.randomElement(using: &rng)!
            let value = try randomValue(db, table: table, column: column, using: &rng)
            let before = try DatabaseValue.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(condition)", arguments: arguments)
            do {
                try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(condition)", arguments: [value] + arguments)
            } catch is DatabaseError {
                return nil
            }
            let newKey = names.contains(column) ? StatementArguments(names.map { $0 == column ? value : picked[$0] as DatabaseValue }) : arguments
            let after = try DatabaseValue.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(condition)", arguments: newKey)
            guard after != before else { return nil }
            return "set \(table).\(column) of \(picked) from \(before ?? .null) to \(after ?? .null)"
        }
    }

    @Test("Hundreds of random edits across every table: each is named by audit", arguments: [1, 2] as [UInt64])
    func randomEdits(seed: UInt64) async throws {
        let folder = try TemporaryFolder()
        let template = try await Self.template(in: folder)
        var rng = SplitMix64(seed: seed)
        var tried = 0
        var missed: [String] = []
        let original = try Self.content(of: template)
        // Most draws make an edit; the bound keeps a run that makes none from looping for ever.
        for _ in 0..<2000 where tried < 200 {
            let copy = folder.path("copy-\(tried).sqlite")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: template, to: copy)
            let edits = try Self.edit(copy, using: &rng)
            // Two edits may undo each other (a swap and the swap back): that is no edit.
            let edited = try Self.content(of: copy) != original
            guard !edits.isEmpty, edited else { continue }
            tried += 1
            let store = try Store(path: copy.path, clock: .system)
            defer { try? store.close() }
            let report = try await Auditor.audit(store)
            // The template's one finding is its equivocation: the edit must add another or change it.
            let baseline = report.findings.count == 1 && report.findings[0].hasPrefix("kz-mvd/a equivocated")
            if baseline { missed.append(edits.joined(separator: "; ")) }
        }
        #expect(tried == 200, "only \(tried) of 2,000 draws edited the database")
        #expect(missed.isEmpty, "audit passed over \(missed.count) edits: \(missed.prefix(10))")
    }
}
