/// Decides which operations can be applied now, in what order, and which must
/// wait: an operation is applied only after its origin's previous operation
/// (matching `prev`) and every operation its clock names. Pure: the caller
/// supplies what is applied and pending, and persists the plan in one transaction.
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

    /// What is known of an applied operation, for duplicate, target and original checks.
    public struct Applied: Sendable {
        public var hash: [UInt8]
        /// An add of an entry (a mirror's too): what amends and revokes may target.
        public var isAdd: Bool
        /// A mirror's add: what no mirror may copy.
        public var isMirror: Bool
        public init(hash: [UInt8], isAdd: Bool, isMirror: Bool = false) {
            self.hash = hash
            self.isAdd = isAdd
            self.isMirror = isMirror
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

    /// An operation kept until the dot it waits for is applied.
    public struct Waiting: Sendable {
        public var operation: SignedOperation
        /// The next dot of the origin it lacks: applied one at a time, so this is
        /// the one event after which it is worth looking at the operation again.
        public var waitsFor: Dot
        public init(operation: SignedOperation, waitsFor: Dot) {
            self.operation = operation
            self.waitsFor = waitsFor
        }
    }

    /// Seconds an operation's time may be ahead of the receiver's clock. One signed
    /// further ahead waits (pending) until its time is this close, so that no replica
    /// wins the tie-breaks between concurrent amends by signing the future.
    public static let maximumSkew: Int64 = 300

    /// Whether `operation` was signed further ahead of `now` than the skew allows.
    public static func isEarly(_ operation: Operation, now: Timestamp) -> Bool {
        operation.time.seconds > now.seconds + maximumSkew
    }

    /// An operation as it arrives, with the key its signature already verified
    /// with (on every core, before the plan), if any: the plan verifies the rest.
    public struct Incoming: Sendable {
        public var operation: SignedOperation
        public var checkedKey: PublicKey?
        /// A suite of its signatures that this machine cannot verify yet (GOST
        /// without its engine): it is kept unverified and never planned until it can.
        public var unverifiable: Suite?
        public init(_ operation: SignedOperation, checkedKey: PublicKey? = nil, unverifiable: Suite? = nil) {
            self.operation = operation
            self.checkedKey = checkedKey
            self.unverifiable = unverifiable
        }
    }

    public struct Plan: Sendable {
        /// In an order that respects causality: apply them in this order.
        public var apply: [SignedOperation] = []
        /// Incoming operations signed too far ahead (see `isEarly`): they wait for their time.
        public var early: [SignedOperation] = []
        /// Incoming operations that wait, each with the dot it waits for.
        public var waiting: [Waiting] = []
        /// Stored pending operations that still wait, now for another dot.
        public var moved: [Waiting] = []
        /// Stored pending operations that leave the pending set: applied or rejected.
        public var released: [Dot] = []
        /// The second operation of each equivocating pair, kept as proof.
        public var equivocations: [SignedOperation] = []
        /// One per incoming operation, in the order given.
        public var outcomes: [Outcome] = []
        public var heads: [String: Head] = [:]
        /// The trust after the key events applied, and the retirements they made, in order.
        public var trust = Trust()
        public var retirements: [Trust.Retirement] = []
    }

    /// What `operation` waits for before it can be applied: the next dot of its own
    /// origin, or of the first origin its clock names beyond what is held; nil when
    /// its causal past is held.
    /// A retired replica's void operations are never waited for.
    public static func missing(_ operation: Operation, heads: [String: Head], trust: Trust = Trust()) -> Dot? {
        let own = heads[operation.origin]?.seq ?? 0
        if own + 1 < operation.seq { return Dot(origin: operation.origin, seq: own + 1) }
        for (origin, seq) in operation.clock.counters.sorted(by: { $0.key < $1.key }) where origin != operation.origin {
            let held = heads[origin]?.seq ?? 0
            if held < trust.required(origin, seq) { return Dot(origin: origin, seq: held + 1) }
        }
        return nil
    }

    /// Plans one batch against what is stored, touching only what the batch can
    /// unblock: each applied dot wakes the operations waiting for it, so a batch
    /// costs what it moves, not the size of the pending set.
    /// - Parameters:
    ///   - incoming: operations as they arrived, with the key each already verified with.
    ///   - heads: every origin's last applied operation.
    ///   - trust: the pins and enrolments held; key events in the batch change it.
    ///   - applied: looks up an applied operation by its dot.
    ///   - stored: looks up a pending operation by its dot.
    ///   - waitingFor: the stored pending operations that wait for a dot.
    ///   - waitingAfter: the stored pending operations of an origin past a seq, and those that wait for one of its dots past it.
    ///   - due: stored pending operations that waited for their time, which has come.
    ///   - isEarly: whether an incoming operation must wait for its time.
    public static func plan(
        incoming: [Incoming], heads: [String: Head], trust: Trust,
        applied: (Dot) throws -> Applied?,
        stored: (Dot) throws -> SignedOperation?,
        waitingFor: (Dot) throws -> [SignedOperation],
        waitingAfter: (String, UInt64) throws -> [SignedOperation] = { _, _ in [] },
        due: [SignedOperation] = [],
        isEarly: (Operation) -> Bool = { _ in false }
    ) throws -> Plan {
        var plan = Plan()
        plan.heads = heads
        plan.trust = trust
        var state: [Outcome?] = []
        var fresh: [Dot: SignedOperation] = [:]
        var checked: [Dot: PublicKey] = [:]
        var queue: [(operation: SignedOperation, isStored: Bool)] = []
        var early: [SignedOperation] = []
        for item in incoming {
            let operation = item.operation
            // A proof of equivocation must be the origin's own signature: it is verified first.
            func equivocating() -> Outcome {
                if let refusal = plan.trust.refusalToWait(operation, checkedKey: item.checkedKey) { return .rejected(refusal) }
                return equivocation(operation, &plan)
            }
            if let target = operation.operation.target, !operation.operation.clock.contains(target) {
                state.append(.rejected(RosterError(.malformedOperation,
                    "operation \(operation.dot) targets \(target), which is not in its clock: it cannot have seen that entry")))
            } else if let original = operation.operation.original, !operation.operation.clock.contains(original) {
                state.append(.rejected(RosterError(.malformedOperation,
                    "operation \(operation.dot) is a mirror of \(original), which is not in its clock: it cannot have seen that entry")))
            } else if let known = try applied(operation.dot) {
                state.append(known.hash == operation.hash ? .duplicate : equivocating())
            } else if let other = try fresh[operation.dot] ?? stored(operation.dot) {
                state.append(other.hash == operation.hash ? .duplicate : equivocating())
            } else if isEarly(operation.operation) {
                fresh[operation.dot] = operation
                if let key = item.checkedKey { checked[operation.dot] = key }
                early.append(operation)
                state.append(.pending)
            } else {
                if let key = item.checkedKey { checked[operation.dot] = key }
                fresh[operation.dot] = operation
                queue.append((operation, false))
                state.append(nil)
            }
        }

        var woken = Set(due.map(\.dot))
        queue += due.map { ($0, true) }
        var waiting: [Dot: [(operation: SignedOperation, isStored: Bool)]] = [:]
        // What waited for a replica's now void operations waits no more, and its own
        // void operations leave the pending set.
        func wake(after retirement: Trust.Retirement) throws {
            for dot in waiting.keys where dot.origin == retirement.replica && dot.seq > retirement.after {
                queue += waiting.removeValue(forKey: dot) ?? []
            }
            for sleeper in try waitingAfter(retirement.replica, retirement.after) where woken.insert(sleeper.dot).inserted {
                queue.append((sleeper, true))
            }
        }
        for retirement in plan.retirements { try wake(after: retirement) }
        var rejected: [Dot: RosterError] = [:]
        var appliedNow: Set<Dot> = []
        var plannedAdds: Set<Dot> = []
        var plannedMirrors: Set<Dot> = []
        var next = 0
        while next < queue.count {
            let (operation, isStored) = queue[next]
            next += 1
            let op = operation.operation
            if plan.trust.isVoid(operation.dot), let refusal = plan.trust.refusalToWait(operation, checkedKey: nil) {
                if isStored { plan.released.append(operation.dot) }
                rejected[operation.dot] = refusal
                continue
            }
            if let wait = missing(op, heads: plan.heads, trust: plan.trust) {
                waiting[wait, default: []].append((operation, isStored))
                continue
            }
            if isStored { plan.released.append(operation.dot) }
            if let head = plan.heads[op.origin], head.hash != (op.prev ?? []) {
                // Kept as proof only if it is the origin's own signature.
                let key = isStored ? plan.trust.replicas[op.origin]?.key : checked[operation.dot]
                if let refusal = plan.trust.refusalToWait(operation, checkedKey: key) {
                    rejected[operation.dot] = refusal
                    continue
                }
                rejected[operation.dot] = RosterError(.equivocation,
                    "operation \(operation.dot) follows a different \(op.origin):\(op.seq - 1) than this node holds: the origin signed two histories")
                plan.equivocations.append(operation)
                // Recorded at its own seq, as its proof is: the proof pair that a peer holding
                // the other history hands over brings the fork down to where it is.
                if let retirement = plan.trust.quarantine(op.origin, at: op.seq) {
                    plan.retirements.append(retirement)
                    try wake(after: retirement)
                }
                continue
            }
            // A change to a void add is applied and changes nothing: its origin's chain goes on.
            if let target = op.target, !plan.trust.isVoid(target) {
                let isAdd = try plannedAdds.contains(target) || (applied(target)?.isAdd ?? false)
                guard isAdd else {
                    rejected[operation.dot] = RosterError(.unknownEntry, "operation \(operation.dot) targets \(target), which is not an entry")
                    continue
                }
            }
            // A mirror of a void add is applied and lists nothing, as a change to one changes nothing.
            if let original = op.original, !plan.trust.isVoid(original) {
                let known = plannedAdds.contains(original) ? nil : try applied(original)
                guard plannedAdds.contains(original) || known?.isAdd == true else {
                    rejected[operation.dot] = RosterError(.unknownEntry, "operation \(operation.dot) is a mirror of \(original), which is not an entry")
                    continue
                }
                guard !plannedMirrors.contains(original) && known?.isMirror != true else {
                    rejected[operation.dot] = RosterError(.malformedOperation,
                        "operation \(operation.dot) is a mirror of \(original), which is a mirror itself: a mirror names the original")
                    continue
                }
            }
            // Stored pending operations verified with the enrolled key before they were kept.
            let key = isStored ? plan.trust.replicas[op.origin]?.key : checked[operation.dot]
            if let refusal = plan.trust.refusal(of: operation, checkedKey: key) {
                rejected[operation.dot] = refusal
                continue
            }
            if op.isKeyEvent, let retirement = plan.trust.apply(op) {
                plan.retirements.append(retirement)
                try wake(after: retirement)
            }
            switch op.payload {
            case .add: plannedAdds.insert(operation.dot)
            case .mirror:
                plannedAdds.insert(operation.dot)
                plannedMirrors.insert(operation.dot)
            case .amend, .revoke, .enrol, .retire, .rotate: break
            }
            plan.apply.append(operation)
            appliedNow.insert(operation.dot)
            plan.heads[op.origin] = Head(seq: op.seq, hash: operation.hash)
            // Wake what waited for this dot, in this batch or in store; a stored
            // operation is taken from store once, then followed here.
            queue += waiting.removeValue(forKey: operation.dot) ?? []
            for sleeper in try waitingFor(operation.dot) where woken.insert(sleeper.dot).inserted {
                queue.append((sleeper, true))
            }
        }
        // Only what verifies now is kept to wait: the rest comes again with a later sync.
        for (dot, sleepers) in waiting {
            for sleeper in sleepers {
                let entry = Waiting(operation: sleeper.operation, waitsFor: dot)
                if sleeper.isStored {
                    plan.moved.append(entry)
                } else if let refusal = plan.trust.refusalToWait(sleeper.operation, checkedKey: checked[sleeper.operation.dot]) {
                    rejected[sleeper.operation.dot] = refusal
                } else {
                    plan.waiting.append(entry)
                }
            }
        }
        for operation in early {
            if let refusal = plan.trust.refusalToWait(operation, checkedKey: checked[operation.dot]) {
                rejected[operation.dot] = refusal
            } else {
                plan.early.append(operation)
            }
        }
        plan.waiting.sort { $0.operation.dot < $1.operation.dot }
        plan.outcomes = zip(incoming.map(\.operation), state).map { operation, state in
            if let reason = rejected[operation.dot], state == .pending || state == nil { return .rejected(reason) }
            if let state { return state }
            if let reason = rejected[operation.dot] { return .rejected(reason) }
            return appliedNow.contains(operation.dot) ? .applied : .pending
        }
        return plan
    }

    private static func equivocation(_ operation: SignedOperation, _ plan: inout Plan) -> Outcome {
        plan.equivocations.append(operation)
        if let retirement = plan.trust.quarantine(operation.operation.origin, at: operation.operation.seq) {
            plan.retirements.append(retirement)
        }
        return .rejected(RosterError(.equivocation,
            "\(operation.dot) names two different operations: \(operation.operation.origin) is equivocating; both are kept as proof"))
    }
}
