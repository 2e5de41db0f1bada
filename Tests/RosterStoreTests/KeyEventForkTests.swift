import Foundation
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

@Suite("Two key events at one seq of an agency: quarantined on every node that holds both, until a later one names which stands")
struct KeyEventForkTests {
    let time = try! Timestamp("2026-11-01T10:00:00Z")
    let fields = EntryFields(category: .drugs, basis: Simulation.basis)

    func node(_ folder: TemporaryFolder, _ name: String, trusting chain: AgencyChain) async throws -> Node {
        let node = try await Node.create(at: folder.path(name), identity: NodeIdentity(agency: "ru-mvd", replica: name),
                                   agency: .found(key: AgencyKey.random()), key: .random(), clock: .fixed(time))
        try await node.store.trust(chain.agency, root: chain.root.fingerprint, replacing: false)
        return node
    }

    func add(_ replica: Replica, _ value: String, clock: VectorClock) throws -> SignedOperation {
        try replica.make(.add(resource: try Resource(kind: .domain, value: value), fields: fields), after: nil, clock: clock, time: time)
    }

    func agencyDigest(_ node: Node) throws -> String? { try node.store.blockingStatus().agencies["kz-mvd"] }

    @Test("Whichever came first, both nodes quarantine the fork alike; a key event naming either branch resolves it on both")
    func forkAndResolution() async throws {
        let folder = try TemporaryFolder()
        var chain = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: time)
        let r = Replica(origin: "kz-mvd/r", key: .random()), s = Replica(origin: "kz-mvd/s", key: .random()), t = Replica(origin: "kz-mvd/t", key: .random())
        let beforeFork = try chain.enrol(r)
        var left = chain, right = chain
        let sClock = try left.enrol(s)
        let tClock = try right.enrol(t)
        let (x, y) = (left.events[2], right.events[2])
        #expect(x.dot == y.dot && x != y)
        let a = try await node(folder, "a", trusting: chain), b = try await node(folder, "b", trusting: chain)
        let rAdd = try add(r, "before.example", clock: beforeFork)
        #expect(try a.store.blockingReceive(chain.events + [x, rAdd]).allSatisfy { $0 == .applied })
        #expect(try b.store.blockingReceive(chain.events + [y, rAdd]).allSatisfy { $0 == .applied })
        // Each node's own branch signs, until the other branch arrives.
        #expect(try b.store.blockingReceive([try add(t, "t.example", clock: tClock)]) == [.applied])
        #expect(try a.store.blockingReceive([y]) == [.rejected(RosterError(.equivocation, ""))])
        #expect(try b.store.blockingReceive([x]) == [.rejected(RosterError(.equivocation, ""))])

        // Quarantined alike: neither s nor t counts, r's entry stays.
        let sAdd = try add(s, "s.example", clock: sClock)
        for node in [a, b] {
            #expect(try node.store.blockingReceive([sAdd]).allSatisfy { if case .rejected = $0 { true } else { false } }, "s enrolled by a quarantined event")
            #expect(try await node.store.check(Resource(kind: .domain, value: "before.example"), today: CalendarDate("2026-11-02")).count == 1)
            #expect(try await node.store.check(Resource(kind: .domain, value: "t.example"), today: CalendarDate("2026-11-02")).isEmpty)
            #expect(try node.store.blockingRead { try $0.trust() }.replicas["kz-mvd/s"].map { $0.retiredAfter == 0 } ?? true)
        }
        #expect(try agencyDigest(a) == agencyDigest(b))
        let report = try await Auditor.audit(b.store)
        #expect(report.history.contains { $0.contains("kz-mvd signed two key events at seq 3") }, "\(report.history)")
        #expect(report.findings.allSatisfy { $0.contains("equivocated") }, "\(report.findings)")

        // A key event that names y but is not the agency's own changes nothing.
        let stranger = AgencyKey.random()
        let forged = try SignedOperation.sign(RosterCore.Operation(origin: "kz-mvd/agency", seq: 4, prev: y.hash, clock: VectorClock(["kz-mvd/agency": 3]),
                                                               time: time, payload: .enrol(replica: "kz-mvd/evil", key: ReplicaKey.random().publicKey)),
                                          with: [stranger])
        #expect(try a.store.blockingReceive([forged]).allSatisfy { if case .rejected = $0 { true } else { false } })
        #expect(try await a.store.keyEvents(of: "kz-mvd").last?.hash == x.hash, "no swap for a forged event")

        // The agency names x: a goes on; b, which applied y, takes x in its place.
        let z = try left.enrol(Replica(origin: "kz-mvd/u", key: .random()))
        let resolution = left.events[3]
        #expect(resolution.operation.prev == x.hash && z == VectorClock(["kz-mvd/agency": 4]))
        #expect(try a.store.blockingReceive([resolution]) == [.applied])
        #expect(try b.store.blockingReceive([resolution]) == [.applied])
        for node in [a, b] {
            #expect(try node.store.blockingReceive([sAdd]) == [.applied], "s now counts")
            let trust = try node.store.blockingRead { try $0.trust() }
            #expect(trust.replicas["kz-mvd/s"]?.retiredAfter == nil && trust.replicas["kz-mvd/u"] != nil)
            #expect(trust.replicas["kz-mvd/t"].map { $0.retiredAfter == 0 } ?? true, "t lost: void, where it is known")
            let findings = try await Auditor.audit(node.store).findings
            #expect(findings.allSatisfy { $0.contains("equivocated") }, "\(findings)")
        }
        #expect(try agencyDigest(a) == agencyDigest(b))
        #expect(try await a.store.keyEvents(of: "kz-mvd").map(\.hash) == b.store.keyEvents(of: "kz-mvd").map(\.hash), "one chain on both")
    }

    @Test("The naming event that comes before the branch it names is known is no fork once it applies; both nodes end on one chain")
    func namingEventFirst() async throws {
        let folder = try TemporaryFolder()
        var chain = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: time)
        try chain.enrol(Replica(origin: "kz-mvd/r", key: .random()))
        var left = chain, right = chain
        try left.enrol(Replica(origin: "kz-mvd/s", key: .random()))
        try right.enrol(Replica(origin: "kz-mvd/t", key: .random()))
        try right.enrol(Replica(origin: "kz-mvd/u", key: .random()))
        let (x, y, naming) = (left.events[2], right.events[2], right.events[3])
        let c = try await node(folder, "c", trusting: chain), d = try await node(folder, "d", trusting: chain)
        #expect(try c.store.blockingReceive(chain.events + [x]).allSatisfy { $0 == .applied })
        // c meets the event naming y before y: a fork at seq 4, as far as it knows.
        #expect(try c.store.blockingReceive([naming]) == [.rejected(RosterError(.equivocation, ""))])
        #expect(try c.store.blockingReceive([y]) == [.rejected(RosterError(.equivocation, ""))])
        #expect(try c.store.blockingReceive([naming]) == [.applied], "named by a later sync, y takes x's place")
        #expect(try d.store.blockingReceive(chain.events + [y, naming, x]).count == 5)
        #expect(try await c.store.keyEvents(of: "kz-mvd").map(\.hash) == d.store.keyEvents(of: "kz-mvd").map(\.hash))
        #expect(try c.store.blockingRead { try $0.trust() }.replicas["kz-mvd/u"]?.retiredAfter == nil && c.store.blockingRead { try $0.trust() }.replicas["kz-mvd/t"] != nil)
        #expect(try agencyDigest(c) == agencyDigest(d))
        for node in [c, d] {
            let report = try await Auditor.audit(node.store)
            #expect(report.findings.allSatisfy { $0.contains("equivocated") } && !report.history.contains { $0.contains("quarantined until") },
                    "\(report.findings) \(report.history)")
        }
    }
}
