@testable import RosterCore
import RosterTestSupport
import Testing

@Suite("Key events: enrols, retires and rotations give one roster in any order of arrival")
struct TrustPropertyTests {
    /// Delivers in batches, then again what could not be verified yet (for lack of an
    /// enrol or a key event not held yet), as the next sync would, until nothing more moves.
    static func deliver(_ operations: [SignedOperation], to state: inout RosterState, using rng: inout SplitMix64) throws {
        var remaining = operations
        for _ in 0..<20 where !remaining.isEmpty {
            var retry: [SignedOperation] = []
            while !remaining.isEmpty {
                let size = Int.random(in: 1...12, using: &rng)
                let batch = Array(remaining.prefix(size))
                remaining.removeFirst(batch.count)
                for (operation, outcome) in zip(batch, try state.receive(batch)) {
                    if case .rejected(let error) = outcome, error.code == .notYetVerifiable { retry.append(operation) }
                }
            }
            remaining = retry.shuffled(using: &rng)
        }
    }

    @Test("Every order and batch split gives the same per-agency digests and entries", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func orderIndependence(seed: UInt64) throws {
        var simulation = KeyEventSimulation(seed: seed)
        simulation.run(steps: 160)
        var reference = RosterState(trust: simulation.pins)
        var rng = SplitMix64(seed: seed)
        try Self.deliver(simulation.all, to: &reference, using: &rng)
        #expect(reference.pending.isEmpty)
        #expect(simulation.all.contains { if case .retire = $0.operation.payload { return true } else { return false } })
        let expected = StateDigest.agencyDigests(of: reference.entries)
        #expect(expected.count == 2)
        for round in 0..<6 {
            var state = RosterState(trust: simulation.pins)
            try Self.deliver(simulation.all.shuffled(using: &rng), to: &state, using: &rng)
            #expect(StateDigest.agencyDigests(of: state.entries) == expected, "round \(round)")
            #expect(state.entries == reference.entries, "round \(round)")
            #expect(state.pending.isEmpty, "round \(round): \(state.pending.map(\.dot))")
            #expect(state.trust == reference.trust, "round \(round)")
        }
    }

    @Test("A retire voids what the replica signed after it, applied before or arriving after")
    func retireVoids() throws {
        let time = try Timestamp("2026-11-01T10:00:00Z")
        var kz = try AgencyChain(agency: "kz-mvd", keys: [AgencyKey.random()], time: time)
        let replica = Replica(origin: "kz-mvd/astana", key: ReplicaKey.random())
        let clock = try kz.enrol(replica)
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        var head: CausalDelivery.Head?
        var made: [SignedOperation] = []
        for value in ["a.example", "b.example", "c.example"] {
            let operation = try replica.make(.add(resource: try Resource(kind: .domain, value: value), fields: fields), after: head, clock: clock, time: time)
            head = CausalDelivery.Head(seq: operation.operation.seq, hash: operation.hash)
            made.append(operation)
        }
        let retire = try kz.append(.retire(replica: replica.origin, after: 1, reason: "key compromised"))
        var pins = Trust()
        pins.pin("kz-mvd", root: kz.root.fingerprint)

        var before = RosterState(trust: pins)
        _ = try before.receive(Array(kz.events.dropLast()) + made)
        #expect(before.entries.map(\.resource.value) == ["a.example", "b.example", "c.example"])
        _ = try before.receive([retire])
        #expect(before.entries.map(\.resource.value) == ["a.example"], "applied before the retire, void after it")

        var after = RosterState(trust: pins)
        let outcomes = try after.receive(kz.events + made)
        #expect(outcomes.suffix(2).allSatisfy { $0 == .rejected(RosterError(.retired, "")) })
        #expect(after.entries == before.entries)
        // A later operation of the retired key is refused with the reason.
        let late = try replica.make(.add(resource: try Resource(kind: .domain, value: "d.example"), fields: fields), after: head, clock: clock, time: time)
        #expect(try after.receive([late]) == [.rejected(RosterError(.retired, ""))])
    }

    @Test("Enrols and rotations hold only with the agency's current keys, the new keys signing too, and the threshold")
    func keyEventSignatures() throws {
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let first = AgencyKey.random(), second = AgencyKey.random(), third = AgencyKey.random()
        var kz = try AgencyChain(agency: "kz-mvd", keys: [first], time: time)
        var pins = Trust()
        pins.pin("kz-mvd", root: kz.root.fingerprint)
        let replica = Replica(origin: "kz-mvd/astana", key: ReplicaKey.random())

        func fresh() throws -> RosterState {
            var state = RosterState(trust: pins)
            _ = try state.receive(kz.events)
            return state
        }
        // An enrol signed by another key than the agency's.
        var forged = kz
        let wrong = try forged.append(.enrol(replica: replica.origin, key: replica.key.publicKey), signedBy: [AgencyKey.random()])
        var state = try fresh()
        #expect(try state.receive([wrong]) == [.rejected(RosterError(.badSignature, ""))])
        #expect(state.trust.replicas.isEmpty)
        // A rotation without the new key's signature, then without the old key's.
        var rotation = kz
        let unsignedByNew = try rotation.append(.rotate(keys: try AgencyKeys([second.publicKey])), signedBy: [first])
        #expect(try state.receive([unsignedByNew]) == [.rejected(RosterError(.badSignature, ""))])
        rotation = kz
        let unsignedByOld = try rotation.append(.rotate(keys: try AgencyKeys([second.publicKey])), signedBy: [second])
        #expect(try state.receive([unsignedByOld]) == [.rejected(RosterError(.badSignature, ""))])
        // A rotation to two of three keys, signed by the old and the new: then one key alone is not enough.
        try kz.append(.rotate(keys: try AgencyKeys([first.publicKey, second.publicKey, third.publicKey], threshold: 2)),
                      signedBy: [first, second, third])
        state = try fresh()
        #expect(state.trust.agencies["kz-mvd"]?.keys?.threshold == 2)
        var one = kz
        let alone = try one.append(.retire(replica: "kz-mvd/astana", after: 0, reason: "x"), signedBy: [second])
        #expect(try state.receive([alone]) != [.applied])
        let enrol = try kz.append(.enrol(replica: replica.origin, key: replica.key.publicKey), signedBy: [second, third])
        #expect(try state.receive([enrol]) == [.applied])
        #expect(state.trust.replicas[replica.origin]?.key == replica.key.publicKey)
    }

    @Test("A first key event naming the pinned root among other keys needs the root's own signature; sigs carry nothing but the agency's valid signatures")
    func forgedRootAndJunkSignatures() throws {
        let time = try Timestamp("2026-11-01T10:00:00Z")
        let root = AgencyKey.random(), evil = AgencyKey.random()
        var pins = Trust()
        pins.pin("kz-mvd", root: root.publicKey.fingerprint)
        // Anyone knows the root's public key: a genesis naming it, signed by the thief alone.
        let forged = try SignedOperation.sign(Operation(origin: "kz-mvd/agency", seq: 1, prev: nil, clock: VectorClock(), time: time,
                                                    payload: .rotate(keys: try AgencyKeys([root.publicKey, evil.publicKey]))), with: [evil])
        var state = RosterState(trust: pins)
        #expect(try state.receive([forged]) == [.rejected(RosterError(.badSignature, ""))])
        #expect(state.trust.agencies["kz-mvd"]?.keys == nil)

        var kz = try AgencyChain(agency: "kz-mvd", keys: [root], time: time)
        let replica = Replica(origin: "kz-mvd/astana", key: ReplicaKey.random())
        try kz.enrol(replica)
        let enrol = kz.events[1]
        // The same enrol with a junk signature beside the real one: refused, never a second history.
        let junk = SignedOperation(operation: enrol.operation,
                                   endorsements: enrol.endorsements + [Endorsement(key: evil.publicKey, signature: [UInt8](repeating: 0, count: 64))])
        #expect(junk.hash == enrol.hash, "a key event is named by what it says, not by who signed it")
        _ = try state.receive([kz.events[0]])
        #expect(try state.receive([junk]) == [.rejected(RosterError(.badSignature, ""))])
        #expect(try state.receive([enrol]) == [.applied])
        #expect(try state.receive([SignedOperation.sign(enrol.operation, with: [root, root])]) == [.duplicate])
        #expect(state.equivocations.isEmpty)
        // A rotation naming a key that did not sign it.
        var rotation = kz
        let unsigned = try rotation.append(.rotate(keys: try AgencyKeys([root.publicKey, evil.publicKey])), signedBy: [root])
        #expect(try state.receive([unsigned]) == [.rejected(RosterError(.badSignature, ""))])
    }
}
