import Foundation
@testable import RosterStore
import GRDB
import RosterCore
import RosterTestSupport
import Testing

@Suite("Peers by node, and the check index that follows the database")
struct PeerAndLiveRosterTests {
    static let pin = String(repeating: "ab", count: 32)

    let kz: AgencyChain

    init() throws {
        var kz = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: try Timestamp("2026-11-01T10:00:00Z"))
        for name in ["astana-1", "almaty-1"] { try kz.enrol(Replica(origin: "kz-mvd/\(name)", key: ReplicaKey.random())) }
        self.kz = kz
    }

    func descriptor(_ replica: String, node: Bool = true, pin: String = pin) throws -> PeerDescriptor {
        try kz.descriptor(node: node ? "kz-mvd/\(replica)" : nil, jurisdiction: "KZ", endpoints: ["https://127.0.0.1:8443"], tlsPin: pin)
    }

    @Test("Two nodes of one agency are two peers; an agency id removes both, keys stay")
    func twoNodesOfOneAgency() async throws {
        let folder = try TemporaryFolder()
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "uz-iib", replica: "main"), agency: .found(key: AgencyKey.random()), key: .random())
        try node.store.blockingWrite { transaction in
            try transaction.pin("kz-mvd", root: kz.root.fingerprint)
            try transaction.addPeer(descriptor("astana-1"), replacing: false, isOwn: false)
            try transaction.addPeer(descriptor("almaty-1", pin: String(repeating: "cd", count: 32)), replacing: false, isOwn: false)
        }
        let peers = try node.store.blockingRead { try $0.peers() }
        #expect(peers.map(\.id) == ["kz-mvd/almaty-1", "kz-mvd/astana-1"])
        #expect(peers.allSatisfy { $0.isNamed("kz-mvd") } && !peers[0].isNamed("kz-mvd/astana-1"))
        #expect(try node.store.blockingWrite { try $0.removePeer("kz-mvd") } == ["kz-mvd/almaty-1", "kz-mvd/astana-1"])
        #expect(try node.store.blockingRead { try $0.peers() }.isEmpty)
        #expect(try node.store.blockingRead { try $0.keys() }.keys.sorted() == ["kz-mvd/agency", "kz-mvd/almaty-1", "kz-mvd/astana-1", "uz-iib/agency", "uz-iib/main"])
        #expect(throws: RosterError(.invalidField, "")) { try node.store.blockingWrite { try $0.removePeer("kz-mvd") } }
    }

    @Test("The check index answers as the database does, and follows what another process applies")
    func liveRosterFollowsTheDatabase() async throws {
        let folder = try TemporaryFolder()
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "ru-mvd", replica: "moscow-1"), agency: .found(key: AgencyKey.random()), key: .random())
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        func add(_ store: Store, _ kind: Resource.Kind, _ value: String, scope: Resource.Scope? = nil) throws -> Dot {
            try store.blockingWrite { try $0.append(.add(resource: Resource(kind: kind, value: value, scope: scope), fields: fields), by: node.replica) }.dot
        }
        let shop = try add(node.store, .domain, "shop.example", scope: .subdomains)
        _ = try add(node.store, .cidr, "203.0.113.0/24")
        let live = LiveRoster(store: node.store)
        let today = try CalendarDate("2026-06-01")
        let probes = try ["www.shop.example", "shop.example", "other.example", "203.0.113.9", "198.51.100.1", "new.example"]
            .map { try Resource(inferring: $0) }
        func agrees() async throws {
            for probe in probes {
                let expected = try await node.store.read { try $0.check(probe, today: today) }.map(\.id)
                #expect(try await live.check(probe, today: today, freshness: .seconds(3600)).map(\.id) == expected, "\(probe.value)")
            }
        }
        try await agrees()   // not loaded: the database answers
        try await live.load()
        #expect(live.count == 2)
        try await agrees()
        #expect(try await live.check(probes[0], today: today).map(\.id) == [shop])

        // Another process (here another Store on the same file) adds and revokes.
        let other = try Store(path: folder.path("node/roster.sqlite").path, clock: .system)
        let added = try add(other, .domain, "new.example")
        let replica = node.replica
        _ = try await other.write { try $0.append(.revoke(target: shop, reason: "lifted"), by: replica) }
        #expect(try await live.check(probes[5], today: today, freshness: .seconds(3600)).isEmpty, "not caught up yet")
        try await live.catchUp()
        #expect(try await live.check(probes[5], today: today, freshness: .seconds(3600)).map(\.id) == [added])
        #expect(try await live.check(probes[0], today: today, freshness: .seconds(3600)).isEmpty)
        try await agrees()
        // With a freshness of zero, a check catches up by itself.
        let later = try add(other, .domain, "later.example")
        #expect(try await live.check(Resource(inferring: "later.example"), today: today, freshness: .zero).map(\.id) == [later])
        #expect(live.count == 3)
    }
}
