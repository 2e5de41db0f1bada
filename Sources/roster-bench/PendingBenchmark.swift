import Foundation
import RosterCore
import RosterStore

/// What a flood of operations whose past never comes costs the honest traffic
/// beside it: the median time of a one-operation batch before and after `count`
/// operations of ten origins wait for a first operation withheld.
///
///     .build/release/roster-bench pending 100000
enum PendingBenchmark {
    static func run(count: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-pending-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let node = try await Node.create(at: folder, identity: NodeIdentity(agency: "ru-mvd", replica: "bench"), agency: .found(key: AgencyKey.generate()), key: .generate())
        let honest = Replica(origin: "kz-mvd/honest", key: ReplicaKey.generate())
        let flooders = (0..<10).map { Replica(origin: "xx-flood/r\($0)", key: ReplicaKey.generate()) }
        let time = WallClock.system.now()
        var kz = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.generate()], time: time)
        let honestClock = try kz.enrol(honest)
        var flood = try AgencyChain(agency: "xx-flood", keys: [AgencyKey.generate()], time: time)
        for replica in flooders { try flood.enrol(replica) }
        let floodClock = VectorClock([flood.origin: flood.seq])
        for chain in [kz, flood] {
            try await node.store.trust(chain.agency, root: chain.root.fingerprint, replacing: false)
            _ = try await node.store.receive(chain.events, from: "bench")
        }
        let fields = EntryFields(category: .drugs, basis: try LegalBasis(authority: "A", reference: "R", decided: CalendarDate("2026-01-01")))
        var honestHead: CausalDelivery.Head?
        func onePush() async throws -> Double {
            let operation = try honest.make(.add(resource: try Resource(kind: .domain, value: "h\(honestHead?.seq ?? 0).example"), fields: fields),
                                        after: honestHead, clock: honestClock, time: time)
            let started = ContinuousClock.now
            _ = try await node.store.receive([operation], from: "kz-mvd/honest")
            honestHead = CausalDelivery.Head(seq: operation.operation.seq, hash: operation.hash)
            return Double((ContinuousClock.now - started).components.attoseconds) / 1e15
        }
        func median(_ runs: Int) async throws -> Double {
            var times: [Double] = []
            for _ in 0..<runs { times.append(try await onePush()) }
            return times.sorted()[runs / 2]
        }
        _ = try await median(20)
        let before = try await median(101)

        Benchmark.log("signing \(count) operations whose first operation never comes")
        var floodOperations: [SignedOperation] = []
        for replica in flooders {
            var head: CausalDelivery.Head?
            for seq in 0...(count / flooders.count) {
                let operation = try replica.make(.add(resource: try Resource(kind: .domain, value: "f\(seq).example"), fields: fields),
                                             after: head, clock: floodClock, time: time)
                head = CausalDelivery.Head(seq: operation.operation.seq, hash: operation.hash)
                if seq > 0 { floodOperations.append(operation) }
            }
        }
        let started = ContinuousClock.now
        var pending = 0, refused = 0
        for start in stride(from: 0, to: floodOperations.count, by: 5000) {
            // Ten peers, one per flooding origin, so that the per-peer bound does not cut the flood short.
            let page = Array(floodOperations[start..<min(floodOperations.count, start + 5000)])
            for outcome in try await node.store.receive(page, from: page[0].operation.origin).outcomes {
                if outcome == .pending { pending += 1 } else { refused += 1 }
            }
        }
        let floodSeconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        let after = try await median(101)
        print("pending flood: \(floodOperations.count) operations pushed in \(String(format: "%.1f", floodSeconds)) s, \(pending) pending, \(refused) refused")
        print("1-operation batch, median of 101: \(String(format: "%.2f", before)) ms before, \(String(format: "%.2f", after)) ms after "
            + "(\(String(format: "%+.1f", (after / before - 1) * 100)) %)")
    }
}
