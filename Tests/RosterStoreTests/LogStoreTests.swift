import Foundation
import GRDB
import RosterCore
@testable import RosterStore
import RosterTestSupport
import Testing

@Suite("The node's log: every operation applied, in order, with roots and proofs at every size")
struct LogStoreTests {
    func node(_ folder: TemporaryFolder, _ simulation: Simulation) async throws -> Node {
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "tj-mvd", replica: "dushanbe-1"),
                                         agency: .found(key: AgencyKey.random()), key: .random())
        try node.store.blockingWrite { transaction in
            for (agency, pin) in simulation.pins.agencies { try transaction.pin(agency, root: pin.root) }
        }
        _ = try node.store.blockingReceive(simulation.keyEvents + simulation.all)
        return node
    }

    @Test("The log holds every operation in the order applied; its root at every size is the RFC 6962 root of those texts; proofs verify")
    func logOfOperations() async throws {
        var simulation = Simulation(seed: 41)
        simulation.run(steps: 120)
        let folder = try TemporaryFolder()
        let node = try await node(folder, simulation)
        let bodies = try node.store.blockingRead { try String.fetchAll($0.db, sql: "SELECT body FROM operation ORDER BY position") }
        let head = try await node.store.logHead()
        #expect(head.size == Int64(bodies.count) && bodies.count > 100)
        #expect(try await node.store.logEntries(from: 0, count: bodies.count + 5) == bodies)
        var roots: [[UInt8]] = []
        var entries: [[UInt8]] = []
        for body in bodies {
            entries.append(Array(body.utf8))
            roots.append(try await node.store.logRoot(size: Int64(entries.count)))
        }
        #expect(roots.last == head.root)
        #expect(head.root == MerkleDefinition.root(entries[...]), "the definition's root")
        for index in stride(from: 0, to: bodies.count, by: 7) {
            let proof = try await node.store.inclusionProof(index: Int64(index), size: head.size)
            #expect(MerkleTree.verifyInclusion(proof, index: Int64(index), size: head.size, leaf: MerkleTree.leafHash(entries[index]), root: head.root))
            let consistency = try await node.store.consistencyProof(first: Int64(index + 1), second: head.size)
            #expect(MerkleTree.verifyConsistency(consistency, first: Int64(index + 1), firstRoot: roots[index], second: head.size, secondRoot: head.root))
        }
        // An operation's leaf is found by its dot.
        let operation = try SignedOperation(parsing: Array(bodies[50].utf8))
        #expect(try await node.store.logLeaf(of: operation.dot) == 50)
        // Sizes the log has not had are refused with a line.
        await #expect(throws: RosterError.self) { try await node.store.logRoot(size: head.size + 1) }
        await #expect(throws: RosterError.self) { try await node.store.inclusionProof(index: 0, size: head.size + 1) }
        // A checkpoint states it, signed by the replica under the log's origin.
        let note = try await node.checkpoint()
        let checkpoint = try Checkpoint(text: note.text)
        #expect(checkpoint.size == head.size && checkpoint.root == head.root && checkpoint.origin == "roster/tj-mvd/dushanbe-1")
        #expect(note.isSigned(by: checkpoint.origin, key: node.replica.key.publicKey) && checkpoint.time != nil && !checkpoint.digests.isEmpty)
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
    }

    @Test("Tiles hold the stored hashes of a level and the entries, 256 to a full tile", arguments: [300, 600])
    func tiles(count: Int) async throws {
        let folder = try TemporaryFolder()
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "tj-mvd", replica: "dushanbe-1"),
                                         agency: .found(key: AgencyKey.random()), key: .random())
        let rows = try (0..<count).map { number in
            Importer.Row(line: number + 1, resource: try Resource(kind: .domain, value: "shop-\(number).example"),
                         fields: try Importer.fields(["category": "drugs", "authority": "Court", "reference": "R-1", "decided": "2026-01-01"]))
        }
        _ = try await Importer.add(rows, to: node)
        let size = try await node.store.logHead().size
        #expect(size == Int64(count + 2), "the agency's root and enrol, then the adds")
        let entries = try await node.store.logEntries(from: 0, count: Int(size))
        let full = try #require(try await node.store.tile(LogTile(level: 0, index: 0)))
        #expect(full.count == 256 * 32)
        #expect(Array(full[0..<32]) == MerkleTree.leafHash(Array(entries[0].utf8)))
        let last = Int(size) / 256
        let width = Int(size) % 256
        #expect(try await node.store.tile(LogTile(level: 0, index: Int64(last), width: width))?.count == width * 32)
        #expect(try await node.store.tile(LogTile(level: 0, index: Int64(last))) == nil, "not full yet")
        #expect(try await node.store.tile(LogTile(level: 0, index: Int64(last), width: width + 1)) == nil, "not that wide yet")
        // Level 1 holds the roots of each 256 leaves.
        let level1 = try #require(try await node.store.tile(LogTile(level: 1, index: 0, width: last)))
        #expect(Array(level1[0..<32]) == MerkleDefinition.root(entries.prefix(256).map { Array($0.utf8) }[...]))
        #expect(try await node.store.tile(LogTile(level: 1, index: 0, width: last + 1)) == nil)
        let bundle = try #require(try await node.store.tile(LogTile(level: nil, index: 0)))
        var offset = 0
        for entry in entries.prefix(256) {
            let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
            #expect(Array(bundle[offset + 2..<offset + 2 + length]) == Array(entry.utf8))
            offset += 2 + length
        }
        #expect(offset == bundle.count)
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
    }

    @Test("An edit of the log is found by audit: a tile, a deleted leaf, two leaves swapped, a logged text, a signed checkpoint", arguments: [
        "UPDATE log_tile SET hashes = zeroblob(length(hashes)) WHERE id = 0",
        "DELETE FROM log_leaf WHERE leaf = 3",
        "UPDATE log_leaf SET position = CASE leaf WHEN 4 THEN (SELECT position FROM log_leaf WHERE leaf = 5) ELSE (SELECT position FROM log_leaf WHERE leaf = 4) END WHERE leaf IN (4, 5)",
        "UPDATE log_leaf SET body = 'x' WHERE leaf = 2",
        "DELETE FROM log_tile WHERE id = (SELECT max(id) FROM log_tile)",
        "INSERT INTO log_tile (id, hashes) VALUES (99, zeroblob(32))",
        "UPDATE log_checkpoint SET note = replace(note, 'time 20', 'time 19')",
        "DELETE FROM log_checkpoint WHERE id = 2",
        "INSERT INTO log_checkpoint (size, time, note) SELECT size, time, note FROM log_checkpoint; UPDATE log_leaf SET body = 'x' WHERE leaf = 0; UPDATE log_tile SET hashes = zeroblob(length(hashes))",
    ])
    func editsFound(_ edit: String) async throws {
        var simulation = Simulation(seed: 42)
        simulation.run(steps: 30)
        let folder = try TemporaryFolder()
        let node = try await node(folder, simulation)
        for _ in 0..<3 { _ = try await node.checkpoint() }
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
        try node.store.blockingWrite { try $0.db.execute(sql: edit) }
        let findings = try await Auditor.audit(node.store).findings
        #expect(findings.contains { $0.contains("log") || $0.contains("checkpoint") }, "\(findings)")
    }

    @Test("A database made before the log gets the log of what it holds, in the order applied")
    func migration() async throws {
        var simulation = Simulation(seed: 43)
        simulation.run(steps: 40)
        let folder = try TemporaryFolder()
        let node = try await node(folder, simulation)
        let head = try await node.store.logHead()
        try node.store.blockingWrite { transaction in
            try transaction.db.execute(sql: "DROP TABLE log_leaf; DROP TABLE log_tile; DROP TABLE log_checkpoint; DELETE FROM grdb_migrations WHERE identifier = 'log'")
        }
        try node.store.close()
        let reopened = try Store(path: folder.path("node/roster.sqlite").path, clock: .system)
        let again = try await reopened.logHead()
        #expect(again.size == head.size && again.root == head.root)
        #expect(try await Auditor.audit(reopened).findings.isEmpty)
    }
}
