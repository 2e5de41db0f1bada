import Foundation
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

@Suite("SQLite store with key events: the reference's roster, whatever the order")
struct TrustStoreTests {
    @Test("Enrols, retires and rotations in random batches, with reopens, give the reference's agency digests; audit finds nothing",
          arguments: [21, 22, 23] as [UInt64])
    func matchesReference(seed: UInt64) async throws {
        var simulation = KeyEventSimulation(seed: seed)
        simulation.run(steps: 160)
        var rng = SplitMix64(seed: seed)
        var reference = RosterState(trust: simulation.pins)
        _ = try reference.receive(simulation.all)
        let expected = StateDigest.agencyDigests(of: reference.entries)

        let folder = try TemporaryFolder()
        var node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"),
                                   agency: .found(key: AgencyKey.random()), key: .random())
        for (agency, pin) in simulation.pins.agencies { try await node.store.trust(agency, root: pin.root, replacing: false) }
        var remaining = simulation.all.shuffled(using: &rng)
        for _ in 0..<20 where !remaining.isEmpty {
            var retry: [SignedOperation] = []
            while !remaining.isEmpty {
                let batch = Array(remaining.prefix(Int.random(in: 1...15, using: &rng)))
                remaining.removeFirst(batch.count)
                for (operation, outcome) in zip(batch, try node.store.blockingReceive(batch)) {
                    if case .rejected(let error) = outcome, error.code == .notYetVerifiable { retry.append(operation) }
                }
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    try node.store.close()
                    node = try await Node.open(at: folder.path("node"))
                }
                // A status now and then keeps chunk digests, so that retires meet kept digests.
                if Bool.random(using: &rng) { _ = try node.store.blockingDigests() }
            }
            remaining = retry.shuffled(using: &rng)
        }
        let digests = try node.store.blockingDigests().agencies
        #expect(digests.filter { $0.key != "ru-mvd" } == expected)
        #expect(try node.store.blockingRead { try $0.counts().pending } == 0)
        let report = try await Auditor.audit(node.store)
        #expect(report.findings.isEmpty, "\(report.findings.prefix(5))")
        #expect(try node.store.blockingRead { try $0.trust() }.replicas.filter { $0.key.hasPrefix("ru-mvd") == false } == reference.trust.replicas)
        // A rebuild from the operations gives the same.
        try await node.store.rebuild()
        #expect(try node.store.blockingDigests().agencies.filter { $0.key != "ru-mvd" } == expected)
    }

    @Test("An operation's size does not grow with the federation: 60 agencies of 10 replicas held, the clock names one agency")
    func operationSize() async throws {
        let folder = try TemporaryFolder()
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        func own(_ node: Node) async throws -> SignedOperation {
            try node.store.blockingWrite { try $0.append(.add(resource: Resource(kind: .domain, value: "shop.example"), fields: fields), by: node.replica) }
        }
        let alone = try await Node.create(at: folder.path("alone"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"),
                                    agency: .found(key: AgencyKey.random()), key: .random(), clock: .fixed(time))
        let federated = try await Node.create(at: folder.path("federated"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"),
                                        agency: .found(key: AgencyKey.random()), key: .random(), clock: .fixed(time))
        var others: [SignedOperation] = []
        for index in 0..<60 {
            var chain = try AgencyChain(agency: "ag-\(index)", keys: [AgencyKey.random()], time: time)
            try await federated.store.trust(chain.agency, root: chain.root.fingerprint, replacing: false)
            for name in 0..<10 {
                let replica = Replica(origin: "ag-\(index)/r\(name)", key: ReplicaKey.random())
                let enrolled = try chain.enrol(replica)
                others.append(try replica.make(.add(resource: try Resource(kind: .domain, value: "\(index)-\(name).example"), fields: fields),
                                           after: nil, clock: enrolled, time: time))
            }
            others = chain.events + others
        }
        #expect(try federated.store.blockingReceive(others).allSatisfy { $0 == .applied })
        #expect(try federated.store.blockingRead { try $0.clock() }.counters.count == 661, "600 other replicas, their 60 agency origins and the node's own")
        let (small, large) = (try await own(alone), try await own(federated))
        #expect(large.bytes.count == small.bytes.count, "\(large.bytes.count) bytes with 660 other origins, \(small.bytes.count) alone")
        #expect(large.operation.clock == VectorClock(["ru-mvd/agency": 2]))
    }

    @Test("A fork and a change to the forked entry in one batch apply; a fork found by prev is kept where its proof says; audit and a rebuild agree")
    func forksInOneBatch() async throws {
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        var kz = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: time)
        let r = Replica(origin: "kz-mvd/r", key: ReplicaKey.random()), s = Replica(origin: "kz-mvd/s", key: ReplicaKey.random())
        try kz.enrol(r)
        let clock = try kz.enrol(s)
        func add(_ value: String, after head: SignedOperation?, by replica: Replica = r, clock extra: VectorClock = VectorClock()) throws -> SignedOperation {
            try replica.make(.add(resource: try Resource(kind: .domain, value: value), fields: fields),
                         after: head.map { CausalDelivery.Head(seq: $0.operation.seq, hash: $0.hash) }, clock: clock.merging(extra), time: time)
        }
        let a = try add("a.example", after: nil)
        let b = try add("b.example", after: a)
        let fork = try add("fork.example", after: a)
        let amend = try s.make(.amend(target: b.dot, changes: FieldChanges(note: .some("seen"))), after: nil,
                           clock: clock.merging(VectorClock([r.origin: 2])), time: time)

        let folder = try TemporaryFolder()
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        try await node.store.trust("kz-mvd", root: kz.root.fingerprint, replacing: false)
        #expect(try node.store.blockingReceive(kz.events + [a, b]).allSatisfy { $0 == .applied })
        let outcomes = try node.store.blockingReceive([fork, amend])
        #expect(outcomes == [.rejected(RosterError(.equivocation, "")), .applied], "\(outcomes)")
        let values = try await node.store.read { snapshot in
            var values = [String]()
            try snapshot.entries(EntryFilter()) { values.append($0.resource.value) }
            return values
        }
        #expect(values == ["a.example"], "quarantined from seq 2; the amend of a void entry changes nothing")

        // r's third operation follows its own second, which this node does not hold: a fork at 3.
        let c = try add("c.example", after: fork)
        #expect(try node.store.blockingReceive([c]) == [.rejected(RosterError(.retired, ""))], "already void from 2")
        let report = try await Auditor.audit(node.store)
        #expect(report.findings.count == 1 && report.findings[0].contains("kz-mvd/r equivocated"), "\(report.findings)")
        let before = try node.store.blockingDigests().digest
        try await node.store.rebuild()
        #expect(try node.store.blockingDigests().digest == before)
        // A key event is no entry: an amend naming one does not parse.
        let bad = try SignedOperation.sign(Operation(origin: s.origin, seq: 2, prev: amend.hash, clock: clock.merging(VectorClock([s.origin: 1])), time: time,
                                                 payload: .revoke(target: kz.events[0].dot, reason: "x")), with: s.key)
        #expect(throws: RosterError(.malformedOperation, "")) { try SignedOperation(parsing: bad.bytes) }
    }

    @Test("A page verified before the page that enrolled its replica was written is checked again, and a forged one still refused")
    func pageVerifiedAhead() async throws {
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        var kz = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: time)
        let replica = Replica(origin: "kz-mvd/r", key: ReplicaKey.random())
        let clock = try kz.enrol(replica)
        let first = try replica.make(.add(resource: try Resource(kind: .domain, value: "a.example"), fields: fields), after: nil, clock: clock, time: time)
        let second = try replica.make(.add(resource: try Resource(kind: .domain, value: "b.example"), fields: fields),
                                  after: CausalDelivery.Head(seq: 1, hash: first.hash), clock: clock, time: time)
        let forged = try SignedOperation.sign(Operation(origin: replica.origin, seq: 3, prev: second.hash, clock: clock.merging(VectorClock([replica.origin: 2])),
                                                    time: time, payload: .add(resource: try Resource(kind: .domain, value: "c.example"), fields: fields)),
                                          with: ReplicaKey.random())
        let folder = try TemporaryFolder()
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        try await node.store.trust("kz-mvd", root: kz.root.fingerprint, replacing: false)
        // As a sync's prefetch does: the second page is verified while the first is not written yet.
        let ahead = try await node.store.verify([second, forged])
        #expect(ahead.unchecked.count == 2, "the replica's key is not held yet")
        #expect(try await node.store.apply(node.store.verify(kz.events + [first]), from: "peer").outcomes.allSatisfy { $0 == .applied })
        // Checked again with the enrol now held: on every core, before the write, not one by one in the plan.
        let again = ahead.rechecked(with: try await node.store.read { try $0.trust() })
        #expect(again.unchecked.isEmpty)
        #expect(again.results.map { (try? $0.get().checkedKey) != nil } == [true, false], "the genuine one verified, the forged one failed")
        let receipt = try await node.store.apply(ahead, from: "peer")
        #expect(receipt.outcomes == [.applied, .rejected(RosterError(.badSignature, ""))], "\(receipt.outcomes)")
    }
}
