import RosterCore
import RosterTestSupport
import Testing

@Suite("Merge: the roster is a function of the set of operations")
struct MergePropertyTests {
    @Test("Every delivery order and batch split gives the same digest and clock", arguments: 0..<12)
    func convergence(seed: UInt64) throws {
        var simulation = Simulation(seed: seed)
        simulation.run(steps: 80)
        var reference = simulation.start
        try reference.receive(simulation.all)
        #expect(reference.pending.isEmpty)
        #expect(reference.applied.count == simulation.keyEvents.count + simulation.all.count)

        var rng = SplitMix64(seed: seed &+ 1000)
        for _ in 0..<20 {
            var state = simulation.start
            var shuffled = simulation.all.shuffled(using: &rng)
            var delivered = Set(simulation.keyEvents.map(\.dot))
            // A random split into batches, some operations delivered twice.
            while !shuffled.isEmpty {
                let size = Int.random(in: 1...max(1, shuffled.count), using: &rng)
                var batch = Array(shuffled.prefix(size))
                shuffled.removeFirst(size)
                if Bool.random(using: &rng), let replay = batch.first { batch.append(replay) }
                let outcomes = try state.receive(batch)
                delivered.formUnion(batch.map(\.dot))
                #expect(!outcomes.contains { if case .rejected = $0 { return true } else { return false } })
                // Nothing is lost: every operation is applied or waits.
                #expect(Set(state.applied.map(\.dot)).union(state.pending.map(\.dot)) == delivered)
                #expect(state.applied.count + state.pending.count == delivered.count)
            }
            #expect(state.pending.isEmpty)
            #expect(state.digest == reference.digest)
            #expect(state.clock == reference.clock)
        }
    }

    @Test("Mirrors: every delivery order gives the same digest and enforced set, and no mirror outlives its original", arguments: 0..<12)
    func mirrorsConverge(seed: UInt64) throws {
        let simulation = Simulation.withMirrors(seed: seed &+ 500, steps: 120)
        let reference = try simulation.merged()
        let mirrors = reference.entries.filter { $0.mirrorOf != nil }
        #expect(!mirrors.isEmpty)
        Self.expectMirrorsFollowOriginals(reference)
        let enforced = Set(reference.entries.filter(\.isLive).map(\.id))

        var rng = SplitMix64(seed: seed &+ 2000)
        for _ in 0..<10 {
            var state = simulation.start
            var shuffled = simulation.all.shuffled(using: &rng)
            while !shuffled.isEmpty {
                let size = Int.random(in: 1...max(1, shuffled.count / 3), using: &rng)
                let outcomes = try state.receive(Array(shuffled.prefix(size)))
                shuffled.removeFirst(size)
                #expect(!outcomes.contains { if case .rejected = $0 { return true } else { return false } })
                // Whatever has arrived so far, no copy is in force without its original.
                Self.expectMirrorsFollowOriginals(state)
            }
            #expect(state.pending.isEmpty)
            #expect(state.digest == reference.digest)
            #expect(Set(state.entries.filter(\.isLive).map(\.id)) == enforced)
        }
    }

    /// A mirror is live only while its original is, and shows its original's decision.
    static func expectMirrorsFollowOriginals(_ state: RosterState) {
        for mirror in state.entries {
            guard let id = mirror.mirrorOf else { continue }
            guard let original = state.entry(id) else {
                Issue.record("mirror \(mirror.id) is in the view without its original \(id)")
                continue
            }
            #expect(original.mirrorOf == nil)
            #expect(!mirror.isLive || original.isLive, "mirror \(mirror.id) outlives \(id)")
            #expect(mirror.fields.basis == original.fields.basis && mirror.fields.category == original.fields.category)
            #expect(mirror.fields.expires == original.fields.expires && mirror.fields.jurisdiction == original.fields.jurisdiction)
        }
    }

    @Test("A mirror of a mirror, of another agency's entry, of what is no entry, or beyond its clock is refused; of a revoked entry it is lifted")
    func mirrorRefusals() throws {
        let sim = Simulation(seed: 9, origins: ["kz-mvd/a", "kz-mvd/b", "uz-iib/c"])
        let a = sim.writers[0].replica, b = sim.writers[1].replica, c = sim.writers[2].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let add = try a.make(.add(resource: try Resource(kind: .domain, value: "shop.example"),
                              fields: EntryFields(category: .drugs, basis: Simulation.basis)), after: nil, clock: sim.context(), time: t)
        let mirror = try a.make(.mirror(resource: try Resource(kind: .domain, value: "shop2.example"), fields: MirrorFields(original: add.dot)),
                            after: .init(seq: 1, hash: add.hash), clock: sim.context(["kz-mvd/a": 1]), time: t)
        let ofMirror = try b.make(.mirror(resource: try Resource(kind: .domain, value: "shop3.example"), fields: MirrorFields(original: mirror.dot)),
                              after: nil, clock: sim.context(["kz-mvd/a": 2]), time: t)
        var state = sim.start
        let outcomes = try state.receive([add, mirror, ofMirror])
        #expect(outcomes == [.applied, .applied, .rejected(RosterError(.malformedOperation, ""))])
        // A mirror of an amend, not an entry.
        let amend = try a.make(.amend(target: add.dot, changes: FieldChanges(note: .some("x"))), after: .init(seq: 2, hash: mirror.hash),
                           clock: sim.context(["kz-mvd/a": 2]), time: t)
        let ofAmend = try b.make(.mirror(resource: try Resource(kind: .domain, value: "shop4.example"), fields: MirrorFields(original: amend.dot)),
                             after: nil, clock: sim.context(["kz-mvd/a": 3]), time: t)
        #expect(try state.receive([amend, ofAmend]) == [.applied, .rejected(RosterError(.unknownEntry, ""))])
        // Not in its clock: it cannot have seen the entry it copies.
        let unseen = try b.make(.mirror(resource: try Resource(kind: .domain, value: "shop5.example"), fields: MirrorFields(original: add.dot)),
                            after: nil, clock: sim.context(), time: t)
        #expect(try state.receive([unseen]) == [.rejected(RosterError(.malformedOperation, ""))])
        // Another agency's entry: the operation does not even parse.
        let foreign = try c.make(.mirror(resource: try Resource(kind: .domain, value: "shop6.example"), fields: MirrorFields(original: add.dot)),
                             after: nil, clock: sim.context(), time: t)
        #expect(throws: RosterError(.forbiddenTarget, "")) { try SignedOperation(parsing: foreign.bytes) }
        // A mirror made concurrently with the original's revoke is lifted by it, whichever came first.
        let revoke = try a.make(.revoke(target: add.dot, reason: "lifted"), after: .init(seq: 3, hash: amend.hash),
                            clock: sim.context(["kz-mvd/a": 3]), time: t)
        let concurrent = try b.make(.mirror(resource: try Resource(kind: .domain, value: "shop7.example"), fields: MirrorFields(original: add.dot)),
                                after: nil, clock: sim.context(["kz-mvd/a": 1]), time: t)
        for order in [[revoke, concurrent], [concurrent, revoke]] {
            var copy = state
            try copy.receive(order)
            #expect(copy.entry(concurrent.dot)?.revocation?.dot == revoke.dot)
            #expect(copy.entry(mirror.dot)?.revocation?.dot == revoke.dot)
        }
    }

    @Test("A mirror carries no decision of its own: an add with mirror_of and a basis does not parse")
    func mirrorCarriesNoDecision() throws {
        let sim = Simulation(seed: 10, origins: ["kz-mvd/a"])
        let a = sim.writers[0].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let mirror = try a.make(.mirror(resource: try Resource(kind: .domain, value: "shop2.example"),
                                    fields: MirrorFields(original: Dot(origin: "kz-mvd/a", seq: 1), note: "n")),
                            after: .init(seq: 1, hash: Array(repeating: 0, count: 32)), clock: sim.context(["kz-mvd/a": 1]), time: t)
        #expect(try SignedOperation(parsing: mirror.bytes).operation == mirror.operation)
        guard case .object(var members) = mirror.operation.json else { return }
        members["basis"] = Simulation.basis.json
        #expect(throws: RosterError(.malformedOperation, "")) { try Operation(json: .object(members)) }
    }

    @Test("Applying a change that follows every earlier one gives what resolving them all gives", arguments: 0..<6)
    func incrementalChanges(seed: UInt64) throws {
        var simulation = Simulation(seed: seed)
        simulation.run(steps: 120)
        var reference = simulation.start
        try reference.receive(simulation.all)
        var changes: [Dot: [Operation]] = [:]
        var adds: [Dot: Operation] = [:]
        var incremental = 0
        // In the applied order, a causal order, as a node applies them.
        for operation in reference.applied.map(\.operation) {
            guard let target = operation.target else {
                adds[operation.dot] = operation
                continue
            }
            let add = try #require(adds[target])
            let before = changes[target, default: []]
            let current = try #require(Entry.resolve(add: add, changes: before))
            let latest = Dictionary(grouping: before.map(\.dot), by: \.origin).values.compactMap { $0.max() }
            changes[target, default: []].append(operation)
            let resolved = try #require(Entry.resolve(add: add, changes: changes[target]!))
            if let applied = current.applying(operation, after: latest) {
                incremental += 1
                #expect(applied == resolved, "\(operation.dot) on \(target)")
                #expect(applied.canonicalBytes() == resolved.canonicalBytes())
            }
        }
        #expect(incremental > 0, "some changes follow every earlier one")
    }

    @Test("An operation whose causal past is missing waits, then applies when it arrives")
    func pendingUntilDependenciesArrive() throws {
        var simulation = Simulation(seed: 7, origins: ["kz-mvd/astana-1"])
        simulation.run(steps: 10)
        let operations = simulation.all
        var state = simulation.start
        let outcomes = try state.receive(Array(operations.dropFirst()))
        #expect(outcomes.allSatisfy { $0 == .pending })
        #expect(state.pending.count == operations.count - 1)
        #expect(state.applied.count == simulation.keyEvents.count)
        try state.receive([operations[0]])
        #expect(state.pending.isEmpty)
        #expect(state.applied.count == simulation.keyEvents.count + operations.count)
    }

    @Test("Revoke is final: it wins over amends before, after and concurrent with it")
    func revokeWins() throws {
        let sim = Simulation(seed: 1, origins: ["kz-mvd/a", "kz-mvd/b"])
        let a = sim.writers[0].replica, b = sim.writers[1].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let add = try a.make(.add(resource: try Resource(kind: .domain, value: "x.example"),
                              fields: EntryFields(category: .drugs, basis: Simulation.basis)), after: nil, clock: sim.context(), time: t)
        let context = sim.context(["kz-mvd/a": 1])
        let revoke = try b.make(.revoke(target: add.dot, reason: "lifted"), after: nil, clock: context, time: t)
        let laterTime = try Timestamp("2026-11-02T10:00:00Z")
        let amend = try a.make(.amend(target: add.dot, changes: FieldChanges(note: .some("later"))),
                           after: .init(seq: 1, hash: add.hash), clock: context, time: laterTime)
        for order in [[add, revoke, amend], [add, amend, revoke], [amend, revoke, add]] {
            var state = sim.start
            try state.receive(order)
            let entry = try require(state.entry(add.dot))
            #expect(!entry.isLive)
            #expect(entry.revocation?.dot == revoke.dot)
        }
    }

    @Test("Concurrent amends: the greater (time, origin) wins and the conflict is visible")
    func concurrentAmends() throws {
        let sim = Simulation(seed: 2, origins: ["kz-mvd/a", "kz-mvd/b"])
        let a = sim.writers[0].replica, b = sim.writers[1].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let add = try a.make(.add(resource: try Resource(kind: .domain, value: "x.example"),
                              fields: EntryFields(category: .drugs, basis: Simulation.basis)), after: nil, clock: sim.context(), time: t)
        let context = sim.context(["kz-mvd/a": 1])
        let fromA = try a.make(.amend(target: add.dot, changes: FieldChanges(category: .nps)),
                           after: .init(seq: 1, hash: add.hash), clock: context, time: t)
        let fromB = try b.make(.amend(target: add.dot, changes: FieldChanges(category: .precursors)), after: nil, clock: context, time: t)
        var state = sim.start
        try state.receive([fromB, fromA, add])
        // Same time: origin kz-mvd/b sorts after kz-mvd/a, so b's value wins.
        #expect(state.entry(add.dot)?.fields.category == .precursors)
        #expect(Entry.conflicts(among: [fromA.operation, fromB.operation]).count == 1)
        // An amend that has seen both dominates them.
        let after = try a.make(.amend(target: add.dot, changes: FieldChanges(category: .pharmacy)),
                           after: .init(seq: 2, hash: fromA.hash), clock: sim.context(["kz-mvd/a": 2, "kz-mvd/b": 1]),
                           time: try Timestamp("2026-10-01T00:00:00Z"))
        try state.receive([after])
        #expect(state.entry(add.dot)?.fields.category == .pharmacy)
    }

    @Test("Two operations with one dot are equivocation: the second is kept as proof and rejected, the replica quarantined from there")
    func equivocation() throws {
        let sim = Simulation(seed: 3, origins: ["kz-mvd/a"])
        let a = sim.writers[0].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        let first = try a.make(.add(resource: try Resource(kind: .domain, value: "x.example"), fields: fields), after: nil, clock: sim.context(), time: t)
        let second = try a.make(.add(resource: try Resource(kind: .domain, value: "y.example"), fields: fields), after: nil, clock: sim.context(), time: t)
        var state = sim.start
        try state.receive([first])
        let outcomes = try state.receive([second, first])
        #expect(outcomes == [.rejected(RosterError(.equivocation, "")), .duplicate])
        #expect(state.equivocations == [second])
        // Of two histories from seq 1 neither is taken, until the agency retires the replica.
        #expect(state.entries.isEmpty)
        #expect(state.trust.forks == ["kz-mvd/a": 1])
    }

    @Test("Forged, unknown-signer and cross-agency operations never touch the state")
    func rejections() throws {
        let sim = Simulation(seed: 4, origins: ["kz-mvd/a", "uz-iib/b"])
        let a = sim.writers[0].replica, b = sim.writers[1].replica
        let t = try Timestamp("2026-11-01T10:00:00Z")
        let fields = EntryFields(category: .drugs, basis: Simulation.basis)
        let add = try a.make(.add(resource: try Resource(kind: .domain, value: "x.example"), fields: fields), after: nil, clock: sim.context(), time: t)
        // Signed by b's key but claiming a's origin.
        let forgedOp = Operation(origin: "kz-mvd/a", seq: 1, prev: nil, clock: VectorClock(), time: t,
                                 payload: .add(resource: try Resource(kind: .domain, value: "y.example"), fields: fields))
        let forged = try SignedOperation.sign(forgedOp, with: b.key)
        // Only kz-mvd is trusted, and a is enrolled.
        var state = RosterState(trust: Trust(agencies: sim.pins.agencies.filter { $0.key == "kz-mvd" }))
        try state.receive(sim.keyEvents.filter { $0.operation.agency == "kz-mvd" })
        let outcomes = try state.receive([forged, b.make(.add(resource: try Resource(kind: .domain, value: "z.example"), fields: fields), after: nil, clock: sim.context(), time: t)])
        #expect(outcomes == [.rejected(RosterError(.badSignature, "")), .rejected(RosterError(.untrustedAgency, ""))])
        #expect(state.applied.allSatisfy(\.operation.isKeyEvent) && state.pending.isEmpty)
        // uz-iib may not revoke kz-mvd's entry: the operation does not even parse.
        let crossAgency = try b.make(.revoke(target: add.dot, reason: "x"), after: nil, clock: VectorClock(["kz-mvd/a": 1]), time: t)
        #expect(throws: RosterError(.forbiddenTarget, "")) { try SignedOperation(parsing: crossAgency.bytes) }
    }
}

@Suite("Direct entry encoding")
struct EntryEncodingTests {
    @Test("Entries encode directly to the RFC 8785 bytes of their JSON, revoked or not")
    func matchesGenericEncoder() throws {
        var simulation = Simulation(seed: 42)
        simulation.run(steps: 150)
        var state = simulation.start
        try state.receive(simulation.all)
        let entries = state.entries
        #expect(entries.contains { !$0.isLive })
        let basis = try LegalBasis(authority: "Суд", reference: "R\"1", decided: CalendarDate("2026-01-01"), statute: "Art")
        let full = Entry(id: Dot(origin: "kz-mvd/a", seq: 9), resource: try Resource(kind: .ip, value: "2001:db8::1"),
                         fields: EntryFields(category: .other, basis: basis, jurisdiction: "KZ", expires: try CalendarDate("2027-02-03"),
                                             evidence: String(repeating: "0", count: 64), note: "n\no"))
        for entry in entries + [full] {
            #expect(entry.canonicalBytes() == CanonicalJSON.encode(entry.json))
        }
    }
}

@Suite("An auditor's replay of a log counts mirrors as the merge resolves them")
struct MirrorReplayTests {
    @Test("LogReplay over a log with mirrors, revokes of originals and amends counts the roster RosterState holds", arguments: 0..<4)
    func countsMatch(seed: UInt64) throws {
        let simulation = Simulation.withMirrors(seed: seed &+ 900, steps: 150)
        let state = try simulation.merged()
        var replay = LogReplay(pins: simulation.pins.agencies.mapValues(\.root))
        for operation in state.applied {
            let key = operation.operation.isKeyEvent ? nil : state.trust.replicas[operation.operation.origin]?.key
            replay.take(.success(CausalDelivery.Incoming(operation, checkedKey: key)), leafHash: MerkleTree.leafHash(operation.bytes))
        }
        let report = replay.finish()
        #expect(report.findings.isEmpty, "\(report.findings)")
        let entries = state.entries
        #expect(entries.contains { $0.mirrorOf != nil && !$0.isLive } && entries.contains { $0.mirrorOf != nil && $0.isLive })
        #expect(report.entries == entries.count)
        #expect(report.revoked == entries.filter { !$0.isLive }.count)
        let live = entries.filter(\.isLive)
        #expect(report.categories == Dictionary(grouping: live, by: \.fields.category.rawValue).mapValues(\.count))
    }
}
