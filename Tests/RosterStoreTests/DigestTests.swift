import Foundation
import GRDB
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

@Suite("The state digest kept current by rehashing only what changed")
struct DigestTests {
    static let fields = EntryFields(category: .drugs, basis: Simulation.basis)

    static func node(in folder: TemporaryFolder) async throws -> Node {
        try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "kz-mvd", replica: "main"), agency: .found(key: AgencyKey.random()), key: .random())
    }

    @Test("After every change the kept digest is the digest hashed from scratch, and one change rehashes one chunk",
          arguments: [21, 22] as [UInt64])
    func keptDigestFollowsChanges(seed: UInt64) async throws {
        let folder = try TemporaryFolder()
        let node = try await Self.node(in: folder)
        let fields = Self.fields
        // Three chunks of this origin: seqs 1…1024, 1025…2048, 2049…
        let rows = try (0..<2_100).map { Importer.Row(line: $0 + 1, resource: try Resource(kind: .domain, value: "shop-\($0).example"), fields: fields) }
        _ = try await Importer.add(rows, to: node)
        let first = try node.store.blockingDigest()
        #expect(try node.store.blockingRead { try $0.keptChunks() }.values.map(\.count) == [3])
        #expect(first.digest == (try node.store.blockingRead { try $0.computedDigest() }))

        var rng = SplitMix64(seed: seed)
        var live = Array(1...UInt64(2_100)).map { Dot(origin: "kz-mvd/main", seq: $0) }
        for step in 0..<40 {
            let change = Int.random(in: 0..<3, using: &rng)
            let target = live.randomElement(using: &rng)!
            switch change {
            case 0:
                _ = try await node.store.amend(target, by: node.replica) { _ in FieldChanges(note: .some("step \(step)")) }
            case 1:
                _ = try await node.store.revoke(target, reason: "lifted at step \(step)", by: node.replica)
                live.removeAll { $0 == target }
            default:
                let added = try await node.store.add(Resource(kind: .domain, value: "new-\(step).example"), fields: fields, by: node.replica)
                live.append(added.dot)
            }
            let pending = try node.store.blockingRead { try $0.keptDigest() }
            #expect(pending.changed.count == 1 && !pending.full, "one change, one chunk rehashed")
            let kept = try node.store.blockingDigest()
            #expect(kept.digest == (try node.store.blockingRead { try $0.computedDigest() }), "step \(step)")
            #expect(try node.store.blockingRead { try $0.keptDigest() }.isNew == false, "kept once taken")
        }
        let report = try await Auditor.audit(node.store)
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.digest == (try node.store.blockingDigest().digest))
    }

    @Test("A digest taken from an older base does not replace one kept since")
    func staleSaveIsDropped() async throws {
        let folder = try TemporaryFolder()
        let node = try await Self.node(in: folder)
        let fields = Self.fields
        let a = try await node.store.add(Resource(kind: .domain, value: "a.example"), fields: fields, by: node.replica)
        _ = try node.store.blockingDigest()
        _ = try await node.store.add(Resource(kind: .domain, value: "b.example"), fields: fields, by: node.replica)
        let stale = try node.store.blockingRead { try $0.keptDigest() }
        _ = try await node.store.revoke(a.dot, reason: "lifted", by: node.replica)
        let latest = try node.store.blockingDigest()
        try node.store.blockingWrite { try $0.keep(stale) }
        let keptClock = try node.store.blockingRead { try String.fetchOne($0.db, sql: "SELECT value FROM meta WHERE key = 'chunks.clock'") }
        #expect(keptClock == CanonicalJSON.string(latest.clock.json), "the newer digest stays kept")
        #expect(try node.store.blockingDigest().digest == (try node.store.blockingRead { try $0.computedDigest() }))
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
    }

    @Test("A digest taken before a rebuild is not kept after it, even at the same clock")
    func rebuildDropsStaleSaves() async throws {
        let folder = try TemporaryFolder()
        let node = try await Self.node(in: folder)
        let fields = Self.fields
        _ = try await node.store.add(Resource(kind: .domain, value: "a.example"), fields: fields, by: node.replica)
        // An edited entry, hashed into a digest that a status is about to keep.
        try node.store.blockingWrite { try $0.db.execute(sql: "UPDATE entry SET note = 'edited'") }
        let stale = try node.store.blockingRead { try $0.keptDigest() }
        try await node.store.rebuild()
        try node.store.blockingWrite { try $0.keep(stale) }
        #expect(try node.store.blockingDigest().digest == (try node.store.blockingRead { try $0.computedDigest() }))
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
    }

    @Test("A kept chunk row moved to another index is named by audit")
    func movedChunk() async throws {
        let folder = try TemporaryFolder()
        let node = try await Self.node(in: folder)
        let fields = Self.fields
        _ = try await node.store.add(Resource(kind: .domain, value: "a.example"), fields: fields, by: node.replica)
        _ = try node.store.blockingDigest()
        try node.store.blockingWrite { try $0.db.execute(sql: "UPDATE digest_chunk SET chunk = 1") }
        #expect(try await Auditor.audit(node.store).findings.contains { $0.contains("chunk") })
    }
}
