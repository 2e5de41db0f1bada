import Foundation
import RosterCore
@testable import RosterStore
import RosterTestSupport
import Testing

@Suite("Deltas: what a holder of a clock lacks, page by page")
struct DeltaTests {
    func node(_ folder: TemporaryFolder, _ name: String, for simulation: Simulation) async throws -> Node {
        let node = try await Node.create(at: folder.path(name), identity: NodeIdentity(agency: "tj-mvd", replica: name), agency: .found(key: AgencyKey.random()), key: .random())
        try node.store.blockingWrite { transaction in
            for (agency, pin) in simulation.pins.agencies { try transaction.pin(agency, root: pin.root) }
        }
        #expect(try node.store.blockingReceive(simulation.keyEvents).allSatisfy { $0 == .applied })
        return node
    }

    @Test("Paging from any held state gives each missing operation once, in an order that applies without pending",
          arguments: [31, 32, 33] as [UInt64])
    func paging(seed: UInt64) async throws {
        var simulation = Simulation(seed: seed)
        simulation.run(steps: 90)
        let folder = try TemporaryFolder()
        let full = try await node(folder, "full", for: simulation)
        _ = try full.store.blockingReceive(simulation.all)
        let total = try full.store.blockingRead { try $0.counts().operations }
        #expect(total == simulation.keyEvents.count + simulation.all.count + 2, "the simulation's key events and operations, and the node's own root and enrol")

        // The partial node holds a causal prefix: the first operations the full node applied.
        let partial = try await node(folder, "partial", for: simulation)
        var rng = SplitMix64(seed: seed)
        let held = Int.random(in: 0...total, using: &rng)
        let prefix = try full.store.blockingRead { try $0.operations(missingFrom: VectorClock(), limit: max(held, 1)) }.bodies.prefix(held)
        _ = try partial.store.blockingReceive(prefix.map { try SignedOperation(parsing: Array($0.utf8)) })

        var received = 0, pages = 0
        while true {
            let clock = try partial.store.blockingRead { try $0.clock() }
            let (bodies, more) = try full.store.blockingRead { try $0.operations(missingFrom: clock, limit: 7) }
            let outcomes = try partial.store.blockingReceive(bodies.map { try SignedOperation(parsing: Array($0.utf8)) })
            let applied = outcomes.filter { if case .applied = $0 { true } else { false } }.count
            #expect(applied == bodies.count, "page \(pages): every operation applies at once")
            received += bodies.count
            pages += 1
            guard more else { break }
        }
        #expect(received == total - held)
        #expect(pages == max(1, (total - held + 6) / 7), "pages are full until the last")
        let (fullState, partialState) = try (full.store.blockingDigest(), partial.store.blockingDigest())
        #expect(fullState.digest == partialState.digest && fullState.clock == partialState.clock)
        #expect(try full.store.blockingRead { try $0.operations(missingFrom: partialState.clock, limit: 7) }.bodies.isEmpty)
    }
}
