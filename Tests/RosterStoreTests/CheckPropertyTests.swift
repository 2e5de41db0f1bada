import Foundation
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

/// `roster check` reads SQLite; a server answers from its in-memory index. Both
/// must say the same of every resource, or a resolver and an operator disagree.
@Suite("check: the database and the in-memory index agree")
struct CheckPropertyTests {
    static func randomResource(using rng: inout SplitMix64) throws -> Resource {
        let labels = ["shop", "cdn", "a", "b", "example", "test"]
        func name() -> String {
            (0..<Int.random(in: 2...4, using: &rng)).map { _ in labels.randomElement(using: &rng)! }.joined(separator: ".")
        }
        func v4() -> String { "192.0.\(Int.random(in: 0...3, using: &rng)).\(Int.random(in: 0...3, using: &rng))" }
        func v6() -> String { "2001:db8:\(Int.random(in: 0...2, using: &rng))::\(Int.random(in: 0...3, using: &rng))" }
        switch Int.random(in: 0..<8, using: &rng) {
        case 0, 1:
            return try Resource(kind: .domain, value: name(), scope: Bool.random(using: &rng) ? .exact : .subdomains)
        case 2: return try Resource(kind: .ip, value: v4())
        case 3: return try Resource(kind: .ip, value: v6())
        case 4:
            let length = Int.random(in: 16...32, using: &rng)
            return try Resource(kind: .cidr, value: IPNetwork(address: IPAddress(v4()), length: length).description)
        case 5:
            let length = Int.random(in: 32...128, using: &rng)
            return try Resource(kind: .cidr, value: IPNetwork(address: IPAddress(v6()), length: length).description)
        default:
            let host = [name(), v4(), "[\(v6())]"].randomElement(using: &rng)!
            return try Resource(kind: .url, value: "http://\(host)/\(Int.random(in: 0...1, using: &rng))")
        }
    }

    @Test("Random rosters and questions: roster check, the index and the server's LiveRoster give the same entries",
          arguments: [1, 2, 3] as [UInt64])
    func agree(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let folder = try TemporaryFolder()
        let node = try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "kz-mvd", replica: "a"), agency: .found(key: AgencyKey.random()), key: .random())
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        var resources: [Resource] = []
        var listed: Set<String> = []
        for _ in 0..<80 {
            let resource = try Self.randomResource(using: &rng)
            if listed.insert(resource.key).inserted { resources.append(resource) }
        }
        let replica = node.replica
        let added = try await node.store.write { [resources] transaction in
            try resources.map { try transaction.append(.add(resource: $0, fields: fields), by: replica).dot }
        }
        var index = RosterIndex()
        for (resource, id) in zip(resources, added) { index.insert(resource, id: id) }
        let live = LiveRoster(store: node.store)
        try await live.load()
        let today = try CalendarDate("2026-11-23")
        var listedAnswers = 0
        for _ in 0..<400 {
            let question = try Self.randomResource(using: &rng)
            let fromDatabase = try await node.store.read { try $0.check(question, today: today) }.map(\.id)
            #expect(fromDatabase == index.check(question), "\(question.kind) \(question.value)")
            #expect(try await live.check(question, today: today).map(\.id) == fromDatabase, "\(question.kind) \(question.value)")
            if !fromDatabase.isEmpty { listedAnswers += 1 }
        }
        #expect(listedAnswers > 40, "the questions hit the roster often enough to mean something")
    }
}
