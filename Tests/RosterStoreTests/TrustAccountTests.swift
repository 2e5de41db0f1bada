import Foundation
import GRDB
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

@Suite("The trust account: the agencies' pins are checked against the operator's trust events, and rebuilt from them")
struct TrustAccountTests {
    /// A node that trusts kz-mvd and holds an entry of it, then distrusted it.
    func distrustingNode(_ folder: TemporaryFolder) async throws -> Node {
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"),
                                   agency: .found(key: AgencyKey.random()), key: .random(), clock: .fixed(time))
        var kz = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: time)
        let replica = Replica(origin: "kz-mvd/a", key: ReplicaKey.random())
        let enrolled = try kz.enrol(replica)
        try await node.store.trust("kz-mvd", root: kz.root.fingerprint, replacing: false)
        let add = try replica.make(.add(resource: try Resource(kind: .domain, value: "shop.example"),
                                    fields: EntryFields(category: .drugs, basis: Simulation.basis)), after: nil, clock: enrolled, time: time)
        #expect(try node.store.blockingReceive(kz.events + [add]) == [.applied, .applied, .applied])
        #expect(try await node.store.distrust("kz-mvd") == 1)
        return node
    }

    func edit(_ node: Node, _ sql: String) throws {
        try node.store.blockingWrite { try $0.db.execute(sql: sql) }
    }

    func findings(_ node: Node) async throws -> [String] { try await Auditor.audit(node.store).findings }

    @Test("An agency row edited back to trusted is found, and a rebuild distrusts it again, from the events")
    func agencyRowEdited() async throws {
        let folder = try TemporaryFolder()
        let node = try await distrustingNode(folder)
        #expect(try await findings(node).isEmpty)
        try edit(node, "UPDATE agency SET distrusted = 0 WHERE name = 'kz-mvd'")
        #expect(try await findings(node).contains { $0.contains("the pin of agency kz-mvd differs from the node's trust events") })
        try await node.store.rebuild()
        #expect(try await findings(node).isEmpty)
        #expect(try node.store.blockingRead { try $0.trust() }.agencies["kz-mvd"]?.distrusted == true)
        #expect(try await node.store.check(Resource(kind: .domain, value: "shop.example"), today: CalendarDate("2026-11-02")).isEmpty,
                "the distrusted agency's entry stays out of the view")
    }

    @Test("An edit of an earlier trust event breaks the chain; a removed last event leaves the pins disagreeing; a changed root too")
    func eventsEdited() async throws {
        let folder = try TemporaryFolder()
        let node = try await distrustingNode(folder)
        try edit(node, "UPDATE trust_event SET time = '2020-01-01T00:00:00Z' WHERE id = (SELECT min(id) FROM trust_event)")
        #expect(try await findings(node).contains { $0.contains("does not chain to the one before") })

        let second = try TemporaryFolder()
        let other = try await distrustingNode(second)
        try edit(other, "DELETE FROM trust_event WHERE id = (SELECT max(id) FROM trust_event)")
        #expect(try await findings(other).contains("the pin of agency kz-mvd differs from the node's trust events: the agency or trust_event table was edited; "
            + "roster audit --rebuild restores the table from the events"))

        let third = try TemporaryFolder()
        let root = try await distrustingNode(third)
        try edit(root, "UPDATE agency SET root_sha256 = '\(String(repeating: "ab", count: 32))' WHERE name = 'kz-mvd'")
        #expect(try await findings(root).contains { $0.contains("the pin of agency kz-mvd differs") })
        try await root.store.rebuild()
        #expect(try await findings(root).isEmpty)
    }

    @Test("trust history lists every change in order")
    func history() async throws {
        let folder = try TemporaryFolder()
        let node = try await distrustingNode(folder)
        #expect(try await node.store.trustHistory().map { "\($0.event) \($0.agency)" } == ["trust ru-mvd", "trust kz-mvd", "distrust kz-mvd"])
        // A cell edited to another type is read without a trap, and audit names the edit.
        try edit(node, "UPDATE trust_event SET time = X'00FF' WHERE id = (SELECT min(id) FROM trust_event)")
        #expect(try await node.store.trustHistory().count == 3)
        #expect(try await findings(node).contains { $0.contains("does not chain to the one before") })
        try edit(node, "INSERT INTO peer (id, agency, descriptor) VALUES ('x/y', 'x', X'00FF')")
        #expect(throws: RosterError.self) { try node.store.blockingRead { try $0.peers() } }
    }
}
