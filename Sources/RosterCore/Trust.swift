/// What a node trusts: for each agency, the root key it pinned and the keys the
/// agency's key events have made current since; for each replica, the key its
/// agency enrolled and the seq it was retired at. Pure, and derived from the pins
/// and the applied key events only, so that every node that pins the same roots
/// and holds the same operations decides the same.
public struct Trust: Sendable, Equatable {
    public struct Agency: Sendable, Equatable {
        /// Fingerprint of the pinned root key, which the agency's first key event must name.
        public var root: String
        /// The keys that sign the agency's next key event; nil before its first one.
        public var keys: AgencyKeys?
        /// A distrusted agency's operations are no longer accepted, and its entries leave the view.
        public var distrusted: Bool

        public init(root: String, keys: AgencyKeys? = nil, distrusted: Bool = false) {
            self.root = root
            self.keys = keys
            self.distrusted = distrusted
        }
    }

    public struct Enrolment: Sendable, Equatable {
        public var key: PublicKey
        /// The Ed25519 key that signs the replica's checkpoints and cosignatures: its
        /// key, unless that is of another suite and the enrol named a `log_key`.
        public var logKey: PublicKey
        /// The agency origin's seq of the enrol: every operation of the replica has it in its causal past.
        public var enrolledAt: UInt64
        /// The replica's last valid seq, once a retire says so: what follows is void.
        public var retiredAfter: UInt64?

        public init(key: PublicKey, logKey: PublicKey? = nil, enrolledAt: UInt64, retiredAfter: UInt64? = nil) {
            self.key = key
            self.logKey = logKey ?? key
            self.enrolledAt = enrolledAt
            self.retiredAfter = retiredAfter
        }
    }

    public private(set) var agencies: [String: Agency]
    public private(set) var replicas: [String: Enrolment]
    /// Each equivocating replica's fork: the lowest seq at which it signed two
    /// operations. From the fork on, nothing of it is applied (see `lastValid`).
    public private(set) var forks: [String: UInt64]

    public init(agencies: [String: Agency] = [:], replicas: [String: Enrolment] = [:], forks: [String: UInt64] = [:]) {
        self.agencies = agencies
        self.replicas = replicas
        self.forks = forks
    }

    /// Takes `replica` as enrolled at the agency's `seq`, void from `voidFrom` on when
    /// given: what a node derives for a replica whose enrol does not count (see the
    /// store's key-event forks).
    public mutating func enrol(_ replica: String, key: PublicKey, at seq: UInt64, voidFrom: UInt64? = nil) {
        replicas[replica] = Enrolment(key: key, enrolledAt: seq, retiredAfter: voidFrom.map { $0 - 1 })
    }

    /// Trusts an agency whose root key has this fingerprint; a pin already held stays.
    public mutating func pin(_ agency: String, root: String) {
        if agencies[agency] == nil { agencies[agency] = Agency(root: root) }
    }

    public mutating func distrust(_ agency: String) { agencies[agency]?.distrusted = true }

    public func isTrusted(_ agency: String) -> Bool { agencies[agency].map { !$0.distrusted } ?? false }

    /// A replica's last valid seq: where its agency retired it, or before its fork
    /// if it equivocated (quarantined: of two histories neither is taken, for good;
    /// its agency retires it, at or before the fork to void more, and enrols a new
    /// replica); nil while all of it is valid.
    public func lastValid(_ origin: String) -> UInt64? {
        let retired = replicas[origin]?.retiredAfter
        guard let fork = forks[origin] else { return retired }
        return min(retired ?? .max, fork - 1)
    }

    /// Whether the operation at `dot` is void: its replica was retired or quarantined before it.
    public func isVoid(_ dot: Dot) -> Bool {
        guard let last = lastValid(dot.origin) else { return false }
        return dot.seq > last
    }

    /// What an operation's clock entry `origin: seq` requires to be held: a retired
    /// replica's void operations need never arrive.
    public func required(_ origin: String, _ seq: UInt64) -> UInt64 {
        min(seq, lastValid(origin) ?? seq)
    }

    /// Quarantines a replica proven to equivocate at `seq`; returns the retirement
    /// it amounts to when it voids more than before.
    public mutating func quarantine(_ origin: String, at seq: UInt64) -> Retirement? {
        guard !Origin.isAgencyOrigin(origin), seq > 0, seq < forks[origin] ?? .max else { return nil }
        let before = lastValid(origin)
        forks[origin] = seq
        guard let after = lastValid(origin), after != before else { return nil }
        return Retirement(replica: origin, after: after)
    }

    /// Why `operation`, whose causal past is held, may not be applied; nil when it
    /// may. A key event is checked against the agency's current keys; a replica's
    /// operation against its enrolment (in its causal past, not retired before its
    /// seq) and its enrolled key, unless it already verified with that key.
    public func refusal(of operation: SignedOperation, checkedKey: PublicKey?) -> RosterError? {
        let op = operation.operation
        if let untrusted = untrusted(op) { return untrusted }
        return Self.refusing {
            if op.isKeyEvent { return try keyEventRefusal(operation) }
            guard let enrolment = replicas[op.origin] else { return notEnrolled(op) }
            if op.clock[Origin.agencyOrigin(of: op.agency)] < enrolment.enrolledAt {
                return RosterError(.notEnrolled, "\(op.dot) does not have \(op.origin)'s enrolment (\(Origin.agencyOrigin(of: op.agency)):\(enrolment.enrolledAt)) in its causal past")
            }
            return try replicaRefusal(operation, enrolment: enrolment, checkedKey: checkedKey)
        }
    }

    /// Why `operation` may not wait (pending) for its causal past: only what verifies
    /// now, with the replica's enrolled key or the agency's current keys, is kept. Nil
    /// when it may. What is refused here comes again with a later sync.
    public func refusalToWait(_ operation: SignedOperation, checkedKey: PublicKey?) -> RosterError? {
        let op = operation.operation
        if let untrusted = untrusted(op) { return untrusted }
        return Self.refusing {
            if op.isKeyEvent {
                // Signed with keys a rotation this node does not hold yet made current, perhaps.
                guard let keys = agencies[op.agency]?.keys, (try? operation.verify(endorsedBy: keys)) != nil else {
                    return RosterError(.notYetVerifiable, "\(op.dot) does not verify with the keys of \(op.agency) this node holds; "
                        + "if it follows key events not held yet, a later sync brings it again")
                }
                return nil
            }
            guard let enrolment = replicas[op.origin] else {
                return RosterError(.notYetVerifiable, "\(op.dot) is signed by \(op.origin), which no enrol of \(op.agency) held on this node endorses: "
                    + "a later sync brings it again once its enrolment has arrived")
            }
            return try replicaRefusal(operation, enrolment: enrolment, checkedKey: checkedKey)
        }
    }

    /// Why an operation whose suite this node cannot verify yet may not wait for it:
    /// all but its signatures is checked (a trusted agency; an enrolled replica of the
    /// suite its `alg` names; signers among the agency's keys, in number; signatures
    /// of their suites' sizes). Nil when it may wait, unverified, never applied.
    public func refusalToWaitUnverified(_ operation: SignedOperation) -> RosterError? {
        let op = operation.operation
        if let untrusted = untrusted(op) { return untrusted }
        return Self.refusing {
            if op.isKeyEvent {
                let current = agencies[op.agency]?.keys
                if op.seq == 1, case .rotate(let keys) = op.payload, let root = agencies[op.agency]?.root, !root.isEmpty,
                   !keys.contains(fingerprint: root) {
                    return RosterError(.untrustedAgency, "the root keys of \(op.agency) in \(op.dot) do not include the key this node pinned (sha256 \(root)): this is not the agency it trusts")
                }
                guard op.seq == 1 || current != nil else {
                    return RosterError(.notYetVerifiable, "\(op.dot) follows key events of \(op.agency) this node does not hold yet")
                }
                do {
                    try operation.checkEndorsers(current: op.seq == 1 ? nil : current)
                } catch let error as RosterError {
                    return RosterError(.notYetVerifiable, "\(error.reason); if it follows key events not held yet, a later sync brings it again")
                }
                return nil
            }
            guard let enrolment = replicas[op.origin] else {
                return RosterError(.notYetVerifiable, "\(op.dot) is signed by \(op.origin), which no enrol of \(op.agency) held on this node endorses: "
                    + "a later sync brings it again once its enrolment has arrived")
            }
            guard op.alg == enrolment.key.suite.rawValue, enrolment.key.suite.signatureSizes.contains(operation.signature.count) else {
                return RosterError(.badSignature, "operation \(op.dot) says alg \(Text.printable(op.alg, limit: 40)) with a signature of \(operation.signature.count) bytes, "
                    + "and \(op.origin)'s key is \(enrolment.key.suite.rawValue): forged")
            }
            if let after = lastValid(op.origin), op.seq > after { return retired(op, after: after) }
            return nil
        }
    }

    /// What both checks ask of an enrolled replica's operation: not void, and signed
    /// with the enrolled key (unless it already verified with it).
    private func replicaRefusal(_ operation: SignedOperation, enrolment: Enrolment, checkedKey: PublicKey?) throws -> RosterError? {
        let op = operation.operation
        if let after = lastValid(op.origin), op.seq > after { return retired(op, after: after) }
        if checkedKey != enrolment.key { try operation.verify(with: enrolment.key) }
        return nil
    }

    /// A check whose thrown errors are its refusal.
    private static func refusing(_ check: () throws -> RosterError?) -> RosterError? {
        do {
            return try check()
        } catch let error as RosterError {
            return error
        } catch {
            return RosterError(.badSignature, "\(error)")
        }
    }

    /// A retire or quarantine that voids more than before: the replica and its new last valid seq.
    public struct Retirement: Sendable, Equatable {
        public let replica: String
        public let after: UInt64
    }

    /// Takes in a key event that `refusal` accepted; returns the retirement it makes, if any.
    public mutating func apply(_ operation: Operation) -> Retirement? {
        switch operation.payload {
        case .rotate(let keys):
            agencies[operation.agency]?.keys = keys
        case .enrol(let replica, let key, let logKey):
            replicas[replica] = Enrolment(key: key, logKey: logKey, enrolledAt: operation.seq)
        case .retire(let replica, let after, _):
            guard var enrolment = replicas[replica] else { return nil }
            // Of several retires the lowest seq holds: the order they arrive in does not matter.
            let before = lastValid(replica)
            enrolment.retiredAfter = min(enrolment.retiredAfter ?? after, after)
            replicas[replica] = enrolment
            guard let last = lastValid(replica), last != before else { return nil }
            return Retirement(replica: replica, after: last)
        case .add, .mirror, .amend, .revoke:
            break
        }
        return nil
    }

    private func keyEventRefusal(_ operation: SignedOperation) throws -> RosterError? {
        let op = operation.operation
        guard let agency = agencies[op.agency] else { return untrusted(op) }
        if op.seq == 1 {
            guard case .rotate(let keys) = op.payload else {
                return RosterError(.malformedOperation, "\(op.dot) is an agency's first key event: it must be a rotate naming the agency's root keys")
            }
            // Every key it names signs it, so the pinned root's holder has signed.
            if !agency.root.isEmpty && !keys.contains(fingerprint: agency.root) {
                return RosterError(.untrustedAgency, "the root keys of \(op.agency) in \(op.dot) do not include the key this node pinned (sha256 \(agency.root)): this is not the agency it trusts")
            }
            try operation.verify(endorsedBy: nil)
            return nil
        }
        guard let current = agency.keys else {
            return RosterError(.notYetVerifiable, "\(op.dot) follows key events of \(op.agency) this node does not hold yet")
        }
        try operation.verify(endorsedBy: current)
        switch op.payload {
        case .rotate(let keys):
            if let reason = sharedKey(keys.keys, agency: op.agency, current: nil) {
                return RosterError(.invalidField, "\(op.dot) makes \(reason) an agency key: agency keys are apart from replicas' keys")
            }
        case .enrol(let replica, let key, let logKey):
            if replicas[replica] != nil {
                return RosterError(.invalidField, "\(op.dot) enrols \(replica) again: a replica's key never changes; enrol a new replica name")
            }
            if let reason = sharedKey([key] + (logKey.map { [$0] } ?? []), agency: op.agency, current: current) {
                return RosterError(.invalidField, "\(op.dot) enrols \(replica) with \(reason): each replica signs with a key of its own, apart from the agency's")
            }
        case .retire(let replica, _, _):
            if replicas[replica] == nil { return RosterError(.notEnrolled, "\(op.dot) retires \(replica), which \(op.agency) never enrolled") }
        case .add, .mirror, .amend, .revoke:
            break
        }
        return nil
    }

    /// Which of `keys` is already an agency key (of `current`) or an enrolled replica's
    /// key of `agency`, compared by the key, not its spelling; nil when none is.
    private func sharedKey(_ keys: [PublicKey], agency: String, current: AgencyKeys?) -> String? {
        for key in keys {
            if current?.keys.contains(where: { $0.material == key.material }) == true { return "key \(key.fingerprint), an agency key" }
            // Enrolments of the agency's key events only: a row kept void from a lost fork is
            // no part of the causal past, and every node must answer alike.
            if let (name, _) = replicas.first(where: { Origin.agency(of: $0.key) == agency && $0.value.enrolledAt > 0
                && ($0.value.key.material == key.material || $0.value.logKey.material == key.material) }) {
                return "key \(key.fingerprint), the key of \(name)"
            }
        }
        return nil
    }

    private func untrusted(_ op: Operation) -> RosterError? {
        guard let agency = agencies[op.agency] else {
            return RosterError(.untrustedAgency, "\(op.dot) is of agency \(op.agency), which this node does not trust: add its descriptor with roster peers add --trust SHA256")
        }
        guard !agency.distrusted else {
            return RosterError(.untrustedAgency, "\(op.dot) is of agency \(op.agency), which this node distrusts: its operations are not accepted")
        }
        return nil
    }

    private func notEnrolled(_ op: Operation) -> RosterError {
        RosterError(.notEnrolled, "\(op.dot) is signed by \(op.origin), which no enrol of \(op.agency) in its causal past endorses")
    }

    private func retired(_ op: Operation, after: UInt64) -> RosterError {
        if let fork = forks[op.origin], after == fork - 1, (replicas[op.origin]?.retiredAfter ?? .max) > after {
            return RosterError(.retired, "\(op.dot) is void: \(op.origin) signed two operations at seq \(fork) and is quarantined from there; "
                + "\(op.agency) retires it and enrols a new replica")
        }
        return RosterError(.retired, "\(op.dot) is void: \(op.agency) retired \(op.origin) after seq \(after)")
    }
}
