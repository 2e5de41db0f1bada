/// The whole roster held in memory: the reference semantics that the SQLite store
/// must reproduce, and the model the property tests drive. Operations are verified
/// against their origin's key before anything else looks at them.
public struct RosterState: Sendable {
    public private(set) var keys: [String: PublicKey]
    public private(set) var applied: [SignedOperation] = []
    /// Waiting operations by dot, and by the dot each waits for.
    private var pendingByDot: [Dot: SignedOperation] = [:]
    private var pendingByWait: [Dot: Set<Dot>] = [:]
    private var waitOf: [Dot: Dot] = [:]
    public private(set) var equivocations: [SignedOperation] = []
    public private(set) var heads: [String: CausalDelivery.Head] = [:]
    private var byDot: [Dot: SignedOperation] = [:]
    private var changes: [Dot: [Operation]] = [:]

    public init(keys: [String: PublicKey]) {
        self.keys = keys
    }

    /// Every applied dot: the node's causal context.
    public var clock: VectorClock { VectorClock(heads.mapValues(\.seq)) }

    /// Takes a batch as it arrived; returns one outcome per operation.
    @discardableResult
    public mutating func receive(_ batch: [SignedOperation]) throws -> [CausalDelivery.Outcome] {
        var verified: [SignedOperation] = []
        var outcomes: [CausalDelivery.Outcome?] = []
        for operation in batch {
            do {
                guard let key = keys[operation.operation.origin] else {
                    throw RosterError(.unknownOrigin, "operation \(operation.dot) is signed by \(operation.operation.origin), which is not a known peer")
                }
                try operation.verify(with: key)
                verified.append(operation)
                outcomes.append(nil)
            } catch let error as RosterError {
                outcomes.append(.rejected(error))
            }
        }
        let plan = try CausalDelivery.plan(
            incoming: verified, heads: heads,
            applied: { dot in byDot[dot].map { CausalDelivery.Applied(hash: $0.hash, isAdd: $0.operation.target == nil) } },
            stored: { pendingByDot[$0] },
            waitingFor: { dot in (pendingByWait[dot] ?? []).sorted().compactMap { pendingByDot[$0] } })
        for dot in plan.released { unpend(dot) }
        for waiting in plan.moved + plan.waiting {
            unpend(waiting.operation.dot)
            pendingByDot[waiting.operation.dot] = waiting.operation
            pendingByWait[waiting.waitsFor, default: []].insert(waiting.operation.dot)
            waitOf[waiting.operation.dot] = waiting.waitsFor
        }
        for operation in plan.apply {
            applied.append(operation)
            byDot[operation.dot] = operation
            if let target = operation.operation.target { changes[target, default: []].append(operation.operation) }
        }
        equivocations += plan.equivocations
        heads = plan.heads
        var planned = plan.outcomes.makeIterator()
        return outcomes.map { $0 ?? planned.next()! }
    }

    /// Operations waiting for their causal past, in dot order.
    public var pending: [SignedOperation] { pendingByDot.values.sorted { $0.dot < $1.dot } }

    private mutating func unpend(_ dot: Dot) {
        pendingByDot[dot] = nil
        if let wait = waitOf.removeValue(forKey: dot) { pendingByWait[wait]?.remove(dot) }
    }

    public var entries: [Entry] {
        applied.compactMap { operation in
            guard case .add = operation.operation.payload else { return nil }
            return Entry.resolve(add: operation.operation, changes: changes[operation.dot] ?? [])
        }.sorted { $0.id < $1.id }
    }

    public func entry(_ id: Dot) -> Entry? {
        guard let add = byDot[id], case .add = add.operation.payload else { return nil }
        return Entry.resolve(add: add.operation, changes: changes[id] ?? [])
    }

    public var digest: String { StateDigest.of(entries) }
}
