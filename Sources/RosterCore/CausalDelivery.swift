/// Decides which operations can be applied now, in what order, and which must
/// wait: an operation is applied only after its origin's previous operation
/// (matching `prev`) and every operation its clock names. Pure: the caller
/// supplies what is already applied and persists the plan in one transaction.
public struct CausalDelivery {
    /// The last applied operation of an origin.
    public struct Head: Hashable, Sendable {
        public var seq: UInt64
        public var hash: [UInt8]
        public init(seq: UInt64, hash: [UInt8]) {
            self.seq = seq
            self.hash = hash
        }
    }

    /// What is known of an applied operation, for duplicate and target checks.
    public struct Applied: Sendable {
        public var hash: [UInt8]
        public var isAdd: Bool
        public init(hash: [UInt8], isAdd: Bool) {
            self.hash = hash
            self.isAdd = isAdd
        }
    }

    public enum Outcome: Hashable, Sendable {
        case applied
        /// Already held with the same hash: a replay, harmless.
        case duplicate
        /// Waiting for an operation it depends on; kept, never dropped.
        case pending
        case rejected(RosterError)
    }

    public struct Plan: Sendable {
        /// In an order that respects causality: apply them in this order.
        public var apply: [SignedOperation] = []
        /// Everything still waiting, old and new.
        public var pending: [SignedOperation] = []
        /// The second operation of each equivocating pair, kept as proof.
        public var equivocations: [SignedOperation] = []
        /// One per incoming operation, in the order given.
        public var outcomes: [Outcome] = []
        public var heads: [String: Head] = [:]
    }

    /// - Parameters:
    ///   - incoming: operations whose signatures have been verified.
    ///   - pending: operations already waiting.
    ///   - heads: every origin's last applied operation.
    ///   - applied: looks up an applied operation by its dot.
    public static func plan(
        incoming: [SignedOperation], pending: [SignedOperation], heads: [String: Head],
        applied: (Dot) throws -> Applied?
    ) throws -> Plan {
        var plan = Plan()
        plan.heads = heads
        var pool: [Dot: SignedOperation] = [:]
        var order: [Dot] = []
        for operation in pending where pool[operation.dot] == nil {
            pool[operation.dot] = operation
            order.append(operation.dot)
        }
        var incomingState: [Outcome?] = []
        for operation in incoming {
            if let target = operation.operation.target, !operation.operation.clock.contains(target) {
                incomingState.append(.rejected(RosterError(.malformedOperation,
                    "operation \(operation.dot) targets \(target), which is not in its clock: it cannot have seen that entry")))
            } else if let known = try applied(operation.dot) {
                incomingState.append(known.hash == operation.hash ? .duplicate : equivocation(operation, &plan))
            } else if let waiting = pool[operation.dot] {
                incomingState.append(waiting.hash == operation.hash ? .duplicate : equivocation(operation, &plan))
            } else {
                pool[operation.dot] = operation
                order.append(operation.dot)
                incomingState.append(nil)
            }
        }

        var rejected: [Dot: RosterError] = [:]
        var plannedAdds: Set<Dot> = []
        var progress = true
        while progress {
            progress = false
            for dot in order {
                guard let operation = pool[dot] else { continue }
                let op = operation.operation
                let head = plan.heads[op.origin]
                guard (head?.seq ?? 0) == op.seq - 1,
                    op.clock.counters.allSatisfy({ $0.key == op.origin || (plan.heads[$0.key]?.seq ?? 0) >= $0.value })
                else { continue }
                pool[dot] = nil
                progress = true
                if let head, head.hash != (op.prev ?? []) {
                    rejected[dot] = RosterError(.equivocation,
                        "operation \(dot) follows a different \(op.origin):\(op.seq - 1) than this node holds: the origin signed two histories")
                    plan.equivocations.append(operation)
                    continue
                }
                if let target = op.target {
                    let isAdd = try plannedAdds.contains(target) || (applied(target)?.isAdd ?? false)
                    guard isAdd else {
                        rejected[dot] = RosterError(.unknownEntry, "operation \(dot) targets \(target), which is not an entry")
                        continue
                    }
                }
                if case .add = op.payload { plannedAdds.insert(dot) }
                plan.apply.append(operation)
                plan.heads[op.origin] = Head(seq: op.seq, hash: operation.hash)
            }
        }
        plan.pending = order.compactMap { pool[$0] }
        plan.outcomes = zip(incoming, incomingState).map { operation, state in
            if let state { return state }
            if let reason = rejected[operation.dot] { return .rejected(reason) }
            return pool[operation.dot] == nil ? .applied : .pending
        }
        return plan
    }

    private static func equivocation(_ operation: SignedOperation, _ plan: inout Plan) -> Outcome {
        plan.equivocations.append(operation)
        return .rejected(RosterError(.equivocation,
            "\(operation.dot) names two different operations: \(operation.operation.origin) is equivocating; both are kept as proof"))
    }
}
