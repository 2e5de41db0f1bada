import Foundation
@testable import RosterStore
import GRDB
import RosterCore
import RosterTestSupport
import Testing

/// A peer that sends operations whose past never comes must not fill the node:
/// the pending set is bounded, refusals are counted, and what was accepted waits
/// until its past arrives.
@Suite("Pending operations: indexed by what they wait for, and bounded")
struct PendingTests {
    static let fields = EntryFields(category: .drugs, basis: Simulation.basis)

    /// A node of ru-mvd that accepts the operations of a fresh replica `origin`: its
    /// agency pinned, its enrol (seq 2 of the agency origin, after the root) applied.
    static func nodeAccepting(_ origin: String, in folder: TemporaryFolder, clock: WallClock = .system) async throws -> (Node, Replica) {
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"),
                                   agency: .found(key: AgencyKey.random()), key: .random(), clock: clock)
        let replica = Replica(origin: origin, key: ReplicaKey.random())
        var agency = try AgencyChain(agency: replica.agency, keys: [AgencyKey.random()], time: try Timestamp("2026-11-01T09:00:00Z"))
        try agency.enrol(replica)
        try await node.store.trust(replica.agency, root: agency.root.fingerprint, replacing: false)
        #expect(try node.store.blockingReceive(agency.events) == [.applied, .applied])
        return (node, replica)
    }

    /// What an operation of a replica that `nodeAccepting` enrolled has in its causal past, at least.
    static func enrolled(_ replica: Replica, _ counters: [String: UInt64] = [:]) -> VectorClock {
        VectorClock(counters.merging([Origin.agencyOrigin(of: replica.agency): 2]) { $1 })
    }

    /// `count` operations of one replica, in order.
    static func chain(_ replica: Replica, count: Int) throws -> [SignedOperation] {
        var head: CausalDelivery.Head?
        var operations: [SignedOperation] = []
        let time = try Timestamp("2026-11-01T10:00:00Z")
        for number in 0..<count {
            let operation = try replica.make(.add(resource: try Resource(kind: .domain, value: "n\(number).example"), fields: fields),
                                         after: head, clock: Self.enrolled(replica), time: time)
            head = CausalDelivery.Head(seq: operation.operation.seq, hash: operation.hash)
            operations.append(operation)
        }
        return operations
    }

    @Test("An operation signed further ahead than the skew waits for its time, with what follows it, and applies once the time has come")
    func signedInTheFuture() async throws {
        let folder = try TemporaryFolder()
        let now = try Timestamp("2026-11-01T10:00:00Z")
        let clock = TestClock(now)
        let (node, replica) = try await Self.nodeAccepting("kz-mvd/x", in: folder, clock: clock.wallClock)
        let hourAhead = Timestamp(Date(timeIntervalSince1970: TimeInterval(now.seconds + 3600)))
        let soon = Timestamp(Date(timeIntervalSince1970: TimeInterval(now.seconds + CausalDelivery.maximumSkew - 60)))
        let far = try replica.make(.add(resource: try Resource(kind: .domain, value: "far.example"), fields: Self.fields),
                               after: nil, clock: Self.enrolled(replica), time: hourAhead)
        let next = try replica.make(.add(resource: try Resource(kind: .domain, value: "next.example"), fields: Self.fields),
                                after: CausalDelivery.Head(seq: 1, hash: far.hash), clock: Self.enrolled(replica, ["kz-mvd/x": 1]), time: soon)
        #expect(try node.store.blockingReceive([far, next], from: "kz-mvd/x") == [.pending, .pending])
        #expect(try node.store.blockingReceive([far], from: "kz-mvd/x") == [.duplicate], "a replay is known")
        #expect(try node.store.blockingRead { try $0.clock() }["kz-mvd/x"] == 0, "within the skew, the follower still waits for its past")
        let listed = try await node.store.pending()
        #expect(listed.first?.operations == 2 && listed.first?.waitsUntil?.seconds == hourAhead.seconds, "\(listed)")
        #expect(try await Auditor.audit(node.store).findings.isEmpty)

        // Half an hour later nothing has changed; an hour later the next batch takes both in.
        clock.set(Timestamp(Date(timeIntervalSince1970: TimeInterval(now.seconds + 1800))))
        try node.store.blockingWrite { _ = try $0.receive([], from: "kz-mvd/y") }
        #expect(try node.store.blockingRead { try $0.clock() }["kz-mvd/x"] == 0)
        clock.set(hourAhead)
        try node.store.blockingWrite { _ = try $0.receive([], from: "kz-mvd/y") }
        #expect(try node.store.blockingRead { try $0.clock() }["kz-mvd/x"] == 2)
        #expect(try node.store.blockingRead { try $0.counts().pending } == 0)
        #expect(try await Auditor.audit(node.store).findings.isEmpty)
    }

    @Test("Past the per-origin bound operations are refused with a reason and counted; the accepted ones apply when their past comes")
    func perOriginBound() async throws {
        let folder = try TemporaryFolder()
        let (node, replica) = try await Self.nodeAccepting("kz-mvd/x", in: folder)
        let operations = try Self.chain(replica, count: PendingLimits.perOrigin + 102)
        let withheld = operations[0]
        var outcomes: [CausalDelivery.Outcome] = []
        var start = 1
        while start < operations.count {
            let page = Array(operations[start..<min(operations.count, start + 5000)])
            outcomes += try node.store.blockingReceive(page, from: "kz-mvd/x")
            start += page.count
        }
        let pending = outcomes.filter { $0 == .pending }.count
        let refused = outcomes.filter { $0 == .rejected(RosterError(.pendingFull, "")) }
        #expect(pending == PendingLimits.perOrigin)
        #expect(refused.count == 101)
        if case .rejected(let reason) = refused.first {
            #expect(reason.reason.contains("waits for kz-mvd/x:1") && reason.reason.contains("send it again"), "\(reason.reason)")
        }
        let counted = try node.store.blockingRead { snapshot in
            try Row.fetchOne(snapshot.db, sql: "SELECT operations FROM pending_refused WHERE origin = 'kz-mvd/x'")?.integer(0)
        }
        #expect(counted == 101)
        #expect(try await Auditor.audit(node.store).findings.isEmpty)

        // The withheld operation arrives: everything accepted applies; the refused wait for a resend.
        #expect(try node.store.blockingReceive([withheld], from: "kz-mvd/x") == [.applied])
        #expect(try node.store.blockingRead { try $0.clock() }["kz-mvd/x"] == UInt64(PendingLimits.perOrigin + 1))
        #expect(try node.store.blockingRead { try $0.counts().pending } == 0)
        let resent = try node.store.blockingReceive(Array(operations[(PendingLimits.perOrigin + 1)...]), from: "kz-mvd/x")
        #expect(resent.allSatisfy { $0 == .applied })
        let report = try await Auditor.audit(node.store)
        // Beside them, the node's own root and enrol, and kz-mvd's.
        #expect(report.findings.isEmpty && report.operations == operations.count + 4, "\(report.findings.prefix(3))")
    }

    @Test("Two agencies that fill what may wait are held to a quarter each: a third agency's operations still apply, or wait")
    func twoHostileAgencies() async throws {
        let folder = try TemporaryFolder()
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"),
                                   agency: .found(key: AgencyKey.random()), key: .random(), clock: .fixed(time))
        var replicas: [String: [Replica]] = [:]
        var enrolled: [String: VectorClock] = [:]
        for agency in ["xa-bad", "xb-bad", "kz-mvd"] {
            var chain = try AgencyChain(agency: agency, keys: [AgencyKey.random()], time: time)
            for index in 0..<3 {
                let replica = Replica(origin: "\(agency)/r\(index)", key: ReplicaKey.random())
                enrolled[agency] = try chain.enrol(replica)
                replicas[agency, default: []].append(replica)
            }
            try await node.store.trust(agency, root: chain.root.fingerprint, replacing: false)
            #expect(try node.store.blockingReceive(chain.events).allSatisfy { $0 == .applied })
        }
        // Each hostile replica sends 9,000 operations whose first never comes: 27,000 an agency.
        func waiting(_ replica: Replica, count: Int, from first: Int = 1) throws -> [SignedOperation] {
            // Seq 1 has no prev; past it, a prev that no operation has: the past never comes.
            var head = first == 1 ? nil : CausalDelivery.Head(seq: UInt64(first - 1), hash: [UInt8](repeating: 7, count: 32))
            return try (first..<(first + count)).map { number in
                let operation = try replica.make(.add(resource: try Resource(kind: .domain, value: "\(replica.origin.replacingOccurrences(of: "/", with: "-"))-\(number).example"),
                                                  fields: Self.fields), after: head, clock: enrolled[replica.agency]!, time: time)
                head = CausalDelivery.Head(seq: operation.operation.seq, hash: operation.hash)
                return operation
            }
        }
        var refused = 0
        for agency in ["xa-bad", "xb-bad"] {
            for replica in replicas[agency]! {
                let outcomes = try node.store.blockingReceive(try waiting(replica, count: 9_000, from: 2), from: "peer-\(agency)")
                refused += outcomes.filter { $0 == .rejected(RosterError(.pendingFull, "")) }.count
            }
        }
        #expect(refused == 2 * (27_000 - PendingLimits.perAgency), "each agency held to its quarter")
        #expect(try node.store.blockingRead { try $0.counts().pending } == 2 * PendingLimits.perAgency)

        let honest = replicas["kz-mvd"]![0]
        let fresh = try waiting(honest, count: 1)
        #expect(fresh[0].operation.prev == nil)
        #expect(try node.store.blockingReceive(fresh, from: "peer-kz") == [.applied], "a fresh operation applies at once")
        let late = try waiting(replicas["kz-mvd"]![1], count: 100, from: 2)
        #expect(try node.store.blockingReceive(late, from: "peer-kz").allSatisfy { $0 == .pending }, "and what waits still has room")
        let findings = try await Auditor.audit(node.store).findings
        #expect(findings.isEmpty, "\(findings.prefix(3))")
    }

    @Test("An operation waiting on another origin is woken by that origin's operation, across batches and a reopen")
    func crossOriginWait() async throws {
        var simulation = Simulation(seed: 31)
        simulation.run(steps: 80)
        var reference = simulation.start
        try reference.receive(simulation.all)
        let folder = try TemporaryFolder()
        var node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        try node.store.blockingWrite { transaction in
            for (agency, pin) in simulation.pins.agencies { try transaction.pin(agency, root: pin.root) }
        }
        #expect(try node.store.blockingReceive(simulation.keyEvents).allSatisfy { $0 == .applied })
        // Reversed, one at a time: almost everything waits, then unwinds at the end.
        for (index, operation) in simulation.all.reversed().enumerated() {
            _ = try node.store.blockingReceive([operation], from: "peer")
            if index % 25 == 0 {
                #expect(try await Auditor.audit(node.store).findings.isEmpty)
                try node.store.close()
                node = try await Node.open(at: folder.path("node"))
            }
        }
        #expect(try node.store.blockingRead { try $0.counts().pending } == 0)
        #expect(try node.store.blockingRead { try $0.digest() } == reference.digest)
    }
}
