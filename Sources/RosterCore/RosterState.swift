/// The whole roster held in memory: the reference semantics that the SQLite store
/// must reproduce, and the model the property tests drive. Operations are verified
/// against their origin's key before anything else looks at them.
public struct RosterState: Sendable {
    public private(set) var keys: [String: PublicKey]
    public private(set) var applied: [SignedOperation] = []
    public private(set) var pending: [SignedOperation] = []
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
        let plan = try CausalDelivery.plan(incoming: verified, pending: pending, heads: heads) { dot in
            byDot[dot].map { CausalDelivery.Applied(hash: $0.hash, isAdd: $0.operation.target == nil) }
        }
        for operation in plan.apply {
            applied.append(operation)
            byDot[operation.dot] = operation
            if let target = operation.operation.target { changes[target, default: []].append(operation.operation) }
        }
        pending = plan.pending
        equivocations += plan.equivocations
        heads = plan.heads
        var planned = plan.outcomes.makeIterator()
        return outcomes.map { $0 ?? planned.next()! }
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
