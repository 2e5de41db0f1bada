import RosterCore

/// Two agencies whose replicas add, amend and revoke while their agencies enrol new
/// replicas, retire some (at a seq below what the replica has already signed, so
/// that operations applied on some nodes become void), and rotate their keys. A
/// retired replica's key keeps signing, as a stolen key would. Produces the sets of
/// operations that must give one roster whatever order they arrive in.
public struct KeyEventSimulation {
    public struct Writer {
        public let replica: Replica
        /// The writer's own chain, whatever nodes accept of it.
        public var head: CausalDelivery.Head?
        public var state: RosterState
    }

    public private(set) var chains: [String: AgencyChain]
    public private(set) var writers: [Writer] = []
    public private(set) var all: [SignedOperation] = []
    /// The pins every node starts from: each agency's root.
    public let pins: Trust
    var rng: SplitMix64
    let time = try! Timestamp("2026-11-01T10:00:00Z")

    public init(seed: UInt64, agencies: [String] = ["kz-mvd", "uz-iib"]) {
        rng = SplitMix64(seed: seed)
        var chains: [String: AgencyChain] = [:]
        var pins = Trust()
        for agency in agencies {
            let chain = try! AgencyChain(agency: agency, keys: [Self.key(&rng)], time: time)
            pins.pin(agency, root: chain.root.fingerprint)
            chains[agency] = chain
        }
        self.chains = chains
        self.pins = pins
        for (index, agency) in agencies.enumerated() {
            all += chains[agency]!.events
            for name in ["a", "b"] { enrol("\(agency)/\(name)\(index)") }
        }
    }

    static func key(_ rng: inout SplitMix64) -> ReplicaKey {
        try! ReplicaKey(rawRepresentation: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    mutating func enrol(_ origin: String) {
        let replica = Replica(origin: origin, key: Self.key(&rng))
        let agency = replica.agency
        _ = try! chains[agency]!.enrol(replica)
        all.append(chains[agency]!.events.last!)
        writers.append(Writer(replica: replica, state: RosterState(trust: pins)))
    }

    mutating func keyEvent(_ agency: String, _ payload: Operation.Payload, extraSigners: [AgencyKey] = []) {
        let signers = chains[agency]!.keys + extraSigners
        all.append(try! chains[agency]!.append(payload, signedBy: signers))
    }

    public mutating func run(steps: Int) {
        for step in 0..<steps {
            let roll = Int.random(in: 0..<20, using: &rng)
            let agency = chains.keys.sorted().randomElement(using: &rng)!
            if roll == 0 {
                enrol("\(agency)/n\(step)")
                continue
            }
            if roll == 1 {
                // Retire a writer at a seq it may already have passed: what follows is void everywhere.
                let candidates = writers.indices.filter { writers[$0].replica.agency == agency }
                let index = candidates.randomElement(using: &rng)!
                let after = UInt64.random(in: 0...(writers[index].head?.seq ?? 0), using: &rng)
                keyEvent(agency, .retire(replica: writers[index].replica.origin, after: after, reason: "compromised"))
                continue
            }
            if roll == 2 {
                let fresh = Self.key(&rng)
                keyEvent(agency, .rotate(keys: try! AgencyKeys([fresh.publicKey])), extraSigners: [fresh])
                continue
            }
            let index = Int.random(in: 0..<writers.count, using: &rng)
            if roll < 6 {
                // Sync: learn everything made so far.
                _ = try! writers[index].state.receive(all)
                continue
            }
            var writer = writers[index]
            if writer.state.trust.replicas[writer.replica.origin] == nil { _ = try! writer.state.receive(all) }
            let own = writer.state.entries.filter { $0.agency == writer.replica.agency && $0.isLive }
            let payload: Operation.Payload
            if roll < 14 || own.isEmpty {
                let value = "site\(Int.random(in: 0..<12, using: &rng)).example"
                payload = .add(resource: try! Resource(kind: .domain, value: value, scope: .exact),
                               fields: EntryFields(category: .drugs, basis: Simulation.basis))
            } else if roll < 18 {
                payload = .amend(target: own.randomElement(using: &rng)!.id, changes: FieldChanges(note: .some("note \(step)")))
            } else {
                payload = .revoke(target: own.randomElement(using: &rng)!.id, reason: "lifted")
            }
            let operation = try! writer.replica.make(payload, after: writer.head, clock: writer.state.clock, time: time)
            writer.head = CausalDelivery.Head(seq: operation.operation.seq, hash: operation.hash)
            _ = try! writer.state.receive([operation])
            writers[index] = writer
            all.append(operation)
        }
    }
}
