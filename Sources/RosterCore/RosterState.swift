/// The whole roster held in memory: the reference semantics that the SQLite store
/// must reproduce, and the model the property tests drive. Operations are verified
/// against their origin's key before anything else looks at them.
public struct RosterState: Sendable {
    public private(set) var trust: Trust
    public private(set) var applied: [SignedOperation] = []
    /// Waiting operations by dot, and by the dot each waits for.
    private var pendingByDot: [Dot: SignedOperation] = [:]
    private var pendingByWait: [Dot: Set<Dot>] = [:]
    private var waitOf: [Dot: Dot] = [:]
    public private(set) var equivocations: [SignedOperation] = []
    public private(set) var heads: [String: CausalDelivery.Head] = [:]
    private var byDot: [Dot: SignedOperation] = [:]
    private var changes: [Dot: [Operation]] = [:]

    /// Agencies pinned by root: replicas are known only through their enrols.
    public init(trust: Trust) {
        self.trust = trust
    }

    /// Every applied dot: the node's causal context.
    public var clock: VectorClock { VectorClock(heads.mapValues(\.seq)) }

    /// Takes a batch as it arrived; returns one outcome per operation.
    @discardableResult
    public mutating func receive(_ batch: [SignedOperation]) throws -> [CausalDelivery.Outcome] {
        var incoming: [CausalDelivery.Incoming] = []
        var outcomes: [CausalDelivery.Outcome?] = []
        for operation in batch {
            // As the store's verifier does: what has an enrolled key is checked before the plan.
            if let key = trust.replicas[operation.operation.origin]?.key, !operation.operation.isKeyEvent {
                do {
                    try operation.verify(with: key)
                } catch let error as RosterError {
                    outcomes.append(.rejected(error))
                    continue
                }
                incoming.append(CausalDelivery.Incoming(operation, checkedKey: key))
            } else {
                incoming.append(CausalDelivery.Incoming(operation))
            }
            outcomes.append(nil)
        }
        let plan = try CausalDelivery.plan(
            incoming: incoming, heads: heads, trust: trust,
            applied: { dot in
                byDot[dot].map { CausalDelivery.Applied(hash: $0.hash, isAdd: $0.operation.target == nil, isMirror: $0.operation.original != nil) }
            },
            stored: { pendingByDot[$0] },
            waitingFor: { dot in (pendingByWait[dot] ?? []).sorted().compactMap { pendingByDot[$0] } },
            waitingAfter: { origin, after in
                let waiting = pendingByWait.filter { $0.key.origin == origin && $0.key.seq > after }.keys.sorted()
                    .flatMap { (pendingByWait[$0] ?? []).sorted() }
                let own = pendingByDot.keys.filter { $0.origin == origin && $0.seq > after }.sorted()
                return Array(Set(waiting + own)).sorted().compactMap { pendingByDot[$0] }
            })
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
        trust = plan.trust
        var planned = plan.outcomes.makeIterator()
        return outcomes.map { $0 ?? planned.next()! }
    }

    /// Operations waiting for their causal past, in dot order.
    public var pending: [SignedOperation] { pendingByDot.values.sorted { $0.dot < $1.dot } }

    private mutating func unpend(_ dot: Dot) {
        pendingByDot[dot] = nil
        if let wait = waitOf.removeValue(forKey: dot) { pendingByWait[wait]?.remove(dot) }
    }

    /// Entries of trusted agencies whose adds are not void, each resolved from the changes that are not.
    public var entries: [Entry] {
        applied.compactMap { entry($0.dot) }.sorted { $0.id < $1.id }
    }

    public func entry(_ id: Dot) -> Entry? {
        guard let add = byDot[id], add.operation.target == nil, !add.operation.isKeyEvent, trust.isTrusted(id.agency), !trust.isVoid(id)
        else { return nil }
        let original = add.operation.original.flatMap { entry($0) }
        return Entry.resolve(add: add.operation, changes: (changes[id] ?? []).filter { !trust.isVoid($0.dot) }, original: original)
    }

    /// Pins an agency's root: its key events and enrolled replicas are accepted from now on.
    public mutating func pin(_ agency: String, root: String) { trust.pin(agency, root: root) }

    /// Stops accepting an agency's operations; its entries leave the view, its operations stay.
    public mutating func distrust(_ agency: String) { trust.distrust(agency) }

    public var digest: String { StateDigest.of(entries) }
}
