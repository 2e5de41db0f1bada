import Foundation
@testable import RosterStore
import GRDB
import RosterCore
import RosterTestSupport
import Testing

@Suite("SQLite store: the same roster as the in-memory reference, and nothing half-written")
struct StoreTests {
    static let basis = Simulation.basis

    func makeNode(_ folder: TemporaryFolder, for simulation: Simulation? = nil) async throws -> Node {
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        try node.store.blockingWrite { transaction in
            for (agency, pin) in simulation?.pins.agencies ?? [:] { try transaction.pin(agency, root: pin.root) }
        }
        #expect(try node.store.blockingReceive(simulation?.keyEvents ?? []).allSatisfy { $0 == .applied })
        return node
    }

    @Test("Batches in any order give the reference digest and clock, and survive a reopen; mirrors too",
          arguments: [(11, false), (12, false), (13, false), (14, true), (15, true)] as [(UInt64, Bool)])
    func matchesReference(seed: UInt64, mirrors: Bool) async throws {
        var simulation = Simulation(seed: seed)
        simulation.mirrors = mirrors
        simulation.run(steps: mirrors ? 120 : 60)
        var reference = simulation.start
        try reference.receive(simulation.all)

        let folder = try TemporaryFolder()
        var node: Node? = try await makeNode(folder, for: simulation)
        var rng = SplitMix64(seed: seed)
        var shuffled = simulation.all.shuffled(using: &rng)
        while !shuffled.isEmpty {
            let size = Int.random(in: 1...10, using: &rng)
            _ = try node!.store.blockingReceive(Array(shuffled.prefix(size)))
            shuffled.removeFirst(min(size, shuffled.count))
            // Reopen now and then: pending operations are persisted, not held in memory.
            if Bool.random(using: &rng) {
                try node!.store.close()
                node = try await Node.open(at: folder.path("node"))
            }
        }
        let (digest, clock, counts) = try node!.store.blockingRead { (try $0.digest(), try $0.clock(), try $0.counts()) }
        #expect(counts.pending == 0)
        #expect(digest == reference.digest)
        // The node's own agency's key events (its root and its enrol) are beside the simulation's.
        #expect(clock == reference.clock.merging(VectorClock(["ru-mvd/agency": 2])))
        let report = try await Auditor.audit(node!.store)
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.digest == reference.digest)
        if mirrors {
            #expect(reference.entries.contains { $0.mirrorOf != nil })
            // The table holds each entry as the reference resolves it, mirrors as their originals make them.
            let stored = try node!.store.blockingRead { snapshot in try reference.entries.map { try snapshot.entry($0.id) } }
            #expect(stored == reference.entries.map(Optional.some))
            // A rebuild from the operations alone gives the same table.
            try node!.store.blockingWrite { try $0.rebuild() }
            #expect(try node!.store.blockingRead { try $0.digest() } == reference.digest)
        }
    }

    @Test("Own operations chain and carry the node's clock")
    func ownOperations() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let fields = EntryFields(category: .drugs, basis: Self.basis)
        let first = try node.store.blockingWrite { try $0.append(.add(resource: Resource(kind: .domain, value: "a.example"), fields: fields), by: node.replica) }
        let second = try node.store.blockingWrite { try $0.append(.revoke(target: first.dot, reason: "lifted"), by: node.replica) }
        // The digest kept for `status` follows every new operation.
        for _ in 0..<2 {
            #expect(try node.store.blockingDigest().digest == node.store.blockingRead { try $0.computedDigest() })
        }
        #expect(first.dot == Dot(origin: "ru-mvd/moscow-1", seq: 1))
        #expect(second.operation.prev == first.hash)
        #expect(try node.store.blockingDigest().digest == node.store.blockingRead { try $0.computedDigest() })
        #expect(try node.store.blockingDigest().digest != StateDigest.of([]))
        #expect(second.operation.clock == VectorClock(["ru-mvd/agency": 2, "ru-mvd/moscow-1": 1]))
        #expect(throws: RosterError(.revokedEntry, "")) {
            try node.store.blockingWrite { try $0.append(.amend(target: first.dot, changes: FieldChanges(note: .some("x"))), by: node.replica) }
        }
        #expect(throws: RosterError(.unknownEntry, "")) {
            try node.store.blockingWrite { try $0.append(.revoke(target: Dot(origin: "ru-mvd/moscow-1", seq: 99), reason: "x"), by: node.replica) }
        }
    }

    @Test("Audit names an entry row edited in SQLite, and --rebuild restores it")
    func auditFindsEditedRow() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let fields = EntryFields(category: .drugs, basis: Self.basis)
        for name in ["a.example", "b.example", "c.example"] {
            _ = try node.store.blockingWrite { try $0.append(.add(resource: Resource(kind: .domain, value: name), fields: fields), by: node.replica) }
        }
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
        let database = try DatabaseQueue(path: folder.path("node/roster.sqlite").path)
        try await database.write { try $0.execute(sql: "UPDATE entry SET category = 'other' WHERE seq = 2") }
        let findings = try await Auditor.audit(node.store).findings
        #expect(findings.count == 1)
        #expect(findings.first?.contains("ru-mvd/moscow-1:2") == true)
        try node.store.blockingWrite { try $0.rebuild() }
        #expect(try await Auditor.audit(node.store).findings.isEmpty)

        try await database.write { try $0.execute(sql: "UPDATE operation SET body = replace(body, 'a.example', 'z.example') WHERE seq = 1") }
        let forged = try await Auditor.audit(node.store).findings
        #expect(forged.contains { $0.contains("ru-mvd/moscow-1:1") && $0.contains("signature") })
        try await database.write { try $0.execute(sql: "DELETE FROM entry WHERE seq = 3") }
        #expect(try await Auditor.audit(node.store).findings.contains { $0.contains("ru-mvd/moscow-1:3") && $0.contains("missing") })
    }

    @Test("Equivocation is kept as proof, flags the origin and is reported by audit")
    func equivocation() async throws {
        let simulation = Simulation(seed: 5, origins: ["kz-mvd/a"])
        let a = simulation.writers[0].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Self.basis)
        let first = try a.make(.add(resource: try Resource(kind: .domain, value: "x.example"), fields: fields), after: nil, clock: simulation.context(), time: t)
        let second = try a.make(.add(resource: try Resource(kind: .domain, value: "y.example"), fields: fields), after: nil, clock: simulation.context(), time: t)
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder, for: simulation)
        _ = try node.store.blockingReceive([first])
        let outcomes = try node.store.blockingReceive([second])
        #expect(outcomes == [.rejected(RosterError(.equivocation, ""))])
        #expect(try node.store.blockingRead { try $0.equivocatingOrigins() } == ["kz-mvd/a"])
        let report = try await Auditor.audit(node.store)
        #expect(report.equivocations == 1)
        #expect(report.findings.contains { $0.contains("kz-mvd/a") && $0.contains("equivocated") })
    }

    @Test("One proof per origin, at its lowest fork; proofs are handed over in pages that read a bounded number of rows")
    func proofPages() async throws {
        let simulation = Simulation(seed: 6, origins: ["kz-mvd/a", "kz-mvd/b", "kz-mvd/c"])
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Self.basis)
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder, for: simulation)
        func add(_ replica: Replica, _ value: String, after head: SignedOperation? = nil) throws -> SignedOperation {
            try replica.make(.add(resource: try Resource(kind: .domain, value: value), fields: fields),
                         after: head.map { CausalDelivery.Head(seq: $0.operation.seq, hash: $0.hash) },
                         clock: simulation.context(head.map { [$0.operation.origin: $0.operation.seq] } ?? [:]), time: t)
        }
        // a and b fork at seq 1.
        for writer in simulation.writers.prefix(2) {
            _ = try node.store.blockingReceive([try add(writer.replica, "\(writer.replica.origin.suffix(1)).example")])
            _ = try node.store.blockingReceive([try add(writer.replica, "other-\(writer.replica.origin.suffix(1)).example")])
        }
        // c forks at seq 2, then at seq 1: the lower proof takes the place of the higher.
        let c = simulation.writers[2].replica
        let c1 = try add(c, "c1.example")
        _ = try node.store.blockingReceive([c1, try add(c, "c2.example", after: c1)])
        _ = try node.store.blockingReceive([try add(c, "c2-fork.example", after: c1)])
        #expect(try await node.store.read { try Int64.fetchAll($0.db, sql: "SELECT seq FROM equivocation WHERE origin = 'kz-mvd/c'") } == [2])
        #expect(try node.store.blockingReceive([try add(c, "c1-fork.example")]) == [.rejected(RosterError(.equivocation, ""))])
        #expect(try await node.store.read { try Int64.fetchAll($0.db, sql: "SELECT seq FROM equivocation WHERE origin = 'kz-mvd/c'") } == [1])
        #expect(try await Auditor.audit(node.store).equivocations == 3)

        let one = try await node.store.proofs(agencies: nil, after: 0, limit: 2, bytes: 1 << 20)
        #expect(one.bodies.count == 4 && one.next != nil, "two proofs at seq 1: the applied operation and the proof each")
        let two = try await node.store.proofs(agencies: nil, after: try #require(one.next), limit: 2, bytes: 1 << 20)
        #expect(two.bodies.count == 2 && two.next == nil)
        let small = try await node.store.proofs(agencies: nil, after: 0, limit: 2, bytes: 10)
        #expect(small.bodies.count == 2 && small.next != nil, "past the byte bound a page stops after its first proof")
        let other = try await node.store.proofs(agencies: ["uz-iib"], after: 0, limit: 2, bytes: 1 << 20)
        #expect(other.bodies.isEmpty && other.next != nil, "rows of other agencies are read, not sent, and the page moves on")
    }

    @Test("A bad line in an ops file leaves the database exactly as it was")
    func atomicImport() async throws {
        var simulation = Simulation(seed: 21, origins: ["kz-mvd/a", "kz-mvd/b"])
        simulation.run(steps: 40)
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder, for: simulation)
        let before = try node.store.blockingRead { (try $0.digest(), try $0.counts()) }
        var lines = simulation.all.map(\.text)
        lines[lines.count - 1] = lines[lines.count - 1].replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"AAAA")
        let file = Array(lines.joined(separator: "\n").utf8)
        await #expect {
            try await Importer.operations(file, into: node)
        } throws: { error in
            (error as? RosterError)?.reason.hasPrefix("line \(lines.count):") == true
        }
        let after = try node.store.blockingRead { (try $0.digest(), try $0.counts()) }
        #expect(after.0 == before.0 && after.1 == before.1)
        // The good file imports, and importing it twice changes nothing.
        let good = Array(simulation.all.map(\.text).joined(separator: "\n").utf8)
        let summary = try await Importer.operations(good, into: node)
        #expect(summary.applied == simulation.all.count)
        let again = try await Importer.operations(good, into: node)
        #expect(again.duplicates == simulation.all.count && again.applied == 0)
    }

    @Test("CSV import normalises, skips what the agency lists, and stops at a bad line with its number")
    func csvImport() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let defaults = ImportDefaults(["category": "drugs", "authority": "Court", "reference": "R-9", "decided": "2026-01-01"])
        let csv = "value,kind,note\r\nShop.Example.,domain,\"a, quoted \"\"note\"\"\"\nshop.example,domain,\n10.20.0.0/16,cidr,\n"
        let rows = try Importer.csvRows(Array(csv.utf8), defaults: defaults)
        #expect(rows.map(\.resource.value) == ["shop.example", "shop.example", "10.20.0.0/16"])
        #expect(rows[0].fields?.note == "a, quoted \"note\"")
        let summary = try await Importer.add(rows, to: node)
        #expect(summary.added == 2 && summary.skipped == 1)
        #expect(try await Importer.add(rows, to: node).added == 0)

        #expect {
            try Importer.csvRows(Array("value,kind\nok.example,domain\nbad..name,domain\n".utf8), defaults: defaults)
        } throws: { error in
            (error as? RosterError)?.reason.hasPrefix("line 3:") == true
        }
        #expect(throws: RosterError.self) {
            try Importer.csvRows(Array("value,colour\nok.example,red\n".utf8), defaults: defaults)
        }
    }

    @Test("The private key is created with mode 0600, and a readable key is refused")
    func keyFileMode() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let keyPath = node.folder.appendingPathComponent("replica.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        await #expect(throws: RosterError(.nodeExists, "")) {
            try await Node.create(at: node.folder, identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        await #expect(throws: RosterError(.badKey, "")) { try await Node.open(at: node.folder) }
    }

    @Test("A cell edited to another type is refused with one line, not converted: enrolment, retirement, flags, pending counts", arguments: [
        "UPDATE origin SET enrolled_at = 'x' WHERE name = 'ru-mvd/moscow-1'",
        "UPDATE origin SET retired_after = 'never' WHERE name = 'ru-mvd/moscow-1'",
        "UPDATE origin SET public_key = '0123456789abcdef0123456789abcdef' WHERE name = 'ru-mvd/moscow-1'",
        "UPDATE origin SET equivocating = 'yes' WHERE name = 'ru-mvd/moscow-1'",
    ])
    func strictCells(_ edit: String) async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        try node.store.blockingWrite { try $0.db.execute(sql: edit) }
        let error = await #expect(throws: RosterError.self) { try await node.store.trust() }
        #expect(error?.code == .storage && error?.reason.contains("run roster audit") == true, "\(String(describing: error))")
    }

    @Test("Pending counts edited into text are refused, not read as zero")
    func strictPendingUsage() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        try node.store.blockingWrite { try $0.db.execute(sql: "INSERT INTO pending_usage (scope, operations, bytes) VALUES ('*', 'many', 0)") }
        #expect(throws: RosterError.self) {
            try node.store.blockingWrite { try PendingUsage($0.db, origins: ["kz-mvd/a"], source: "test") }
        }
    }

    @Test("Schemas/roster.sql is the schema the migrations create")
    func schemaFile() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let created = try node.store.blockingRead { snapshot in
            try String.fetchAll(snapshot.db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'grdb_%' ORDER BY name")
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: repository.appendingPathComponent("Schemas/roster.sql"), encoding: .utf8)
        let normalise = { (sql: String) in sql.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        // Statements end with a semicolon at the end of a line, but for those inside a trigger's BEGIN … END.
        var fileStatements: [String] = []
        var statement = ""
        for line in file.components(separatedBy: "\n") where !line.hasPrefix("--") {
            statement += line + "\n"
            let text = normalise(statement)
            if text.hasSuffix(";") && (!text.contains(" BEGIN ") || text.hasSuffix("END;")) {
                fileStatements.append(String(text.dropLast()))
                statement = ""
            }
        }
        #expect(Set(fileStatements) == Set(created.map(normalise)))
    }
}
