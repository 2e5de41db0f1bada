/// One signed change to an agency's list: the unit that is stored, exchanged,
/// merged and audited. The roster is a pure function of the set of operations.
public struct Operation: Hashable, Sendable {
    /// 2 since agency keys: version 1 had no key events and whole clocks.
    public static let formatVersion: Int64 = 2

    public enum Payload: Hashable, Sendable {
        case add(resource: Resource, fields: EntryFields)
        /// An add that lists a copy of one of the agency's entries under its decision
        /// (`type` `add`, with `mirror_of`): enforced exactly while the original is.
        case mirror(resource: Resource, fields: MirrorFields)
        case amend(target: Dot, changes: FieldChanges)
        /// Final: a revoked entry stays revoked whatever else arrives.
        case revoke(target: Dot, reason: String)
        /// Key events, made under the agency origin and signed by agency keys.
        /// The agency endorses a replica and the key its operations verify with; a
        /// replica whose key is not Ed25519 also names the Ed25519 key that signs its
        /// checkpoints and cosignatures (`log_key`), which C2SP signed notes require.
        case enrol(replica: String, key: PublicKey, logKey: PublicKey? = nil)
        /// The replica's operations after seq `after` are void: decided by seq, never by time.
        case retire(replica: String, after: UInt64, reason: String)
        /// The agency's keys from now on, signed by the old keys and the new; at seq 1,
        /// the agency's first keys (its root), signed by the new keys alone.
        case rotate(keys: AgencyKeys)
    }

    public var origin: String
    public var seq: UInt64
    /// SHA-256 of this origin's previous operation; nil for seq 1.
    public var prev: [UInt8]?
    /// The replica's clock when it made this operation, not counting the operation itself.
    public var clock: VectorClock
    public var time: Timestamp
    public var alg: String
    public var payload: Payload

    public init(origin: String, seq: UInt64, prev: [UInt8]?, clock: VectorClock, time: Timestamp,
                alg: String = Suite.ed25519.rawValue, payload: Payload) {
        self.origin = origin
        self.seq = seq
        self.prev = prev
        self.clock = clock
        self.time = time
        self.alg = alg
        self.payload = payload
    }

    public var dot: Dot { Dot(origin: origin, seq: seq) }
    public var agency: String { Origin.agency(of: origin) }

    public var type: String {
        switch payload {
        case .add, .mirror: return "add"
        case .amend: return "amend"
        case .revoke: return "revoke"
        case .enrol: return "enrol"
        case .retire: return "retire"
        case .rotate: return "rotate"
        }
    }

    public var target: Dot? { payload.target }

    /// The entry a mirror copies: like a target, it must be an applied add of the
    /// same agency in the operation's causal past.
    public var original: Dot? {
        if case .mirror(_, let fields) = payload { return fields.original }
        return nil
    }

    /// Whether this is a key event of the agency origin rather than a change to entries.
    public var isKeyEvent: Bool { Origin.isAgencyOrigin(origin) }

    /// The operation as signed: every member but `sig`.
    public var json: JSON {
        var members: [String: JSON] = [
            "v": .integer(Self.formatVersion), "type": .string(type), "origin": .string(origin),
            "seq": .integer(Int64(seq)), "clock": clock.json, "time": .string(time.text), "alg": .string(alg),
        ]
        if let prev { members["prev"] = .string(Hex.encode(prev)) }
        switch payload {
        case .add(let resource, let fields):
            members["resource"] = resource.json
            fields.write(to: &members)
        case .mirror(let resource, let fields):
            members["resource"] = resource.json
            fields.write(to: &members)
        case .amend(let target, let changes):
            members["target"] = .string(target.description)
            changes.write(to: &members)
        case .revoke(let target, let reason):
            members["target"] = .string(target.description)
            members["reason"] = .string(reason)
        case .enrol(let replica, let key, let logKey):
            members["replica"] = .string(replica)
            members["key"] = .string(key.base64)
            if let logKey { members["log_key"] = .string(logKey.base64) }
        case .retire(let replica, let after, let reason):
            members["replica"] = .string(replica)
            members["after"] = .integer(Int64(after))
            members["reason"] = .string(reason)
        case .rotate(let keys):
            members["keys"] = .array(keys.keys.map { .string($0.base64) })
            members["threshold"] = .integer(Int64(keys.threshold))
            if keys.isCertified { members["chains"] = keys.chainsJSON }
        }
        return .object(members)
    }

    /// The members each type of operation may carry, besides its signatures.
    static func allowedMembers(_ type: String) -> OperationMembers.Names {
        let common: OperationMembers.Names = [.v, .type, .origin, .seq, .prev, .clock, .time, .alg]
        let fields: OperationMembers.Names = [.category, .basis, .jurisdiction, .expires, .evidence, .note]
        switch type {
        case "add": return common.union(fields).union([.resource, .broad, .mirrorOf])
        case "amend": return common.union(fields).union([.target])
        case "revoke": return common.union([.target, .reason])
        case "enrol": return common.union([.replica, .key, .logKey])
        case "retire": return common.union([.replica, .after, .reason])
        case "rotate": return common.union([.keys, .threshold, .chains])
        default: return []
        }
    }

    /// Reads an unsigned operation and checks every rule that needs no other operation.
    public init(json: JSON) throws {
        try self.init(json: json, checkingNormalForm: true)
    }

    init(json: JSON, checkingNormalForm: Bool) throws {
        guard let object = json.object else { throw RosterError(.malformedOperation, "an operation must be a JSON object") }
        try self.init(members: OperationMembers(object))
        // One spelling only: what we would write must be what was signed.
        guard !checkingNormalForm || self.json == .object(object.filter { $0.key != "sig" && $0.key != "sigs" }) else {
            throw RosterError(.malformedOperation, "operation \(dot) is not in normal form (a field is not normalised)")
        }
    }

    /// Every rule of an operation that needs no other operation, whichever reader read it.
    init(members: OperationMembers) throws {
        guard members[.v]?.integer == Self.formatVersion else {
            throw RosterError(.malformedOperation, "unsupported operation format version: this node reads v \(Self.formatVersion)")
        }
        guard let origin = members[.origin]?.string, Origin.isValid(origin) else {
            throw RosterError(.malformedOperation, "origin must be agency/replica in lower-case letters, digits and hyphens")
        }
        guard let seqValue = members[.seq]?.integer, seqValue > 0 else {
            throw RosterError(.malformedOperation, "seq must be a positive integer")
        }
        let seq = UInt64(seqValue)
        var prev: [UInt8]?
        if let prevValue = members[.prev] {
            guard let text = prevValue.string, text.utf8.count == 64, let hash = Hex.decode(text) else {
                throw RosterError(.malformedOperation, "prev must be a SHA-256 in lower-case hex")
            }
            prev = hash
        }
        guard (prev == nil) == (seq == 1) else {
            throw RosterError(.malformedOperation, "prev must be present exactly when seq is above 1")
        }
        guard let clockValue = members[.clock] else { throw RosterError(.malformedOperation, "clock is missing") }
        let clock = try VectorClock(json: clockValue)
        guard clock[origin] == seq - 1 else {
            throw RosterError(.malformedOperation, "clock must count this origin's previous operation (\(seq - 1)), not \(clock[origin])")
        }
        // The merge orders an operation only after its own agency's operations (an agency
        // changes its own entries only), so that is all a clock names: its size does not
        // grow with the federation.
        let agency = Origin.agency(of: origin)
        if let foreign = clock.counters.keys.sorted().first(where: { Origin.agency(of: $0) != agency }) {
            throw RosterError(.malformedOperation, "the clock of \(origin):\(seq) names \(foreign), of another agency: a clock names its own agency's origins only")
        }
        // Key events take effect by seq, not by what the replicas had signed: a retire
        // must never wait for the operations it voids, which a thief could withhold.
        if Origin.isAgencyOrigin(origin), let other = clock.counters.keys.sorted().first(where: { $0 != origin }) {
            throw RosterError(.malformedOperation, "the clock of key event \(origin):\(seq) names \(other): a key event's clock names its own origin only")
        }
        guard let timeText = members[.time]?.string else { throw RosterError(.malformedOperation, "time is missing") }
        let time = try Timestamp(timeText)
        guard let alg = members[.alg]?.string else { throw RosterError(.malformedOperation, "alg is missing") }
        guard Suite(rawValue: alg) != nil else {
            throw RosterError(.unsupportedAlgorithm, "alg \"\(Text.printable(alg, limit: 40))\" is not a signature suite: the suites are \(Suite.names)")
        }
        guard let type = members[.type]?.string else { throw RosterError(.malformedOperation, "type is missing") }

        let payload: Payload
        let isKeyType = ["enrol", "retire", "rotate"].contains(type)
        if Origin.isAgencyOrigin(origin) && ["add", "amend", "revoke"].contains(type) {
            throw RosterError(.malformedOperation, "\(origin) is an agency origin: it makes key events (enrol, retire, rotate), not \(type)")
        }
        if !Origin.isAgencyOrigin(origin) && isKeyType {
            throw RosterError(.malformedOperation, "\(type) is a key event: only the agency origin \(Origin.agencyOrigin(of: agency)) makes it, signed by agency keys")
        }
        switch type {
        case "add":
            guard let resource = members[.resource] else { throw RosterError(.malformedOperation, "add needs a resource") }
            if members[.mirrorOf] != nil {
                payload = .mirror(resource: try Resource(json: resource), fields: try MirrorFields(members: members, origin: origin))
            } else {
                payload = .add(resource: try Resource(json: resource), fields: try EntryFields(members: members))
            }
        case "amend":
            let target = try Self.target(members, origin: origin)
            payload = .amend(target: target, changes: try FieldChanges(members: members))
        case "revoke":
            let target = try Self.target(members, origin: origin)
            guard let reason = members[.reason] else { throw RosterError(.malformedOperation, "revoke needs a reason") }
            payload = .revoke(target: target, reason: try Text.string(reason, field: "reason"))
        case "enrol":
            guard let key = members[.key]?.string else { throw RosterError(.malformedOperation, "enrol needs the replica's key") }
            let replicaKey = try PublicKey(base64: key)
            let logKey = try members[.logKey].map { value -> PublicKey in
                guard let text = value.string, let logKey = try? PublicKey(base64: text), logKey.suite == .ed25519 else {
                    throw RosterError(.malformedOperation, "log_key is the base64 of an Ed25519 key's 32 bytes")
                }
                return logKey
            }
            // One way to say it: an Ed25519 replica key signs its own log; any other names the key that does.
            if replicaKey.suite == .ed25519, logKey != nil {
                throw RosterError(.malformedOperation, "an enrol of an Ed25519 replica key has no log_key: that key signs the replica's checkpoints")
            }
            if replicaKey.suite != .ed25519, logKey == nil {
                throw RosterError(.malformedOperation, "an enrol of a \(replicaKey.suite.rawValue) replica key names the Ed25519 key that signs its checkpoints (log_key)")
            }
            if let weak = [replicaKey, logKey].compactMap({ $0 }).first(where: \.hasSmallOrder) {
                throw RosterError(.badKey, "enrol names key \(weak.fingerprint), an Ed25519 key of small order, for which anyone can make signatures")
            }
            payload = .enrol(replica: try Self.replica(members, agency: agency), key: replicaKey, logKey: logKey)
        case "retire":
            guard let after = members[.after]?.integer, after >= 0 else {
                throw RosterError(.malformedOperation, "retire needs after: the replica's last valid seq, 0 or more")
            }
            guard let reason = members[.reason] else { throw RosterError(.malformedOperation, "retire needs a reason") }
            payload = .retire(replica: try Self.replica(members, agency: agency), after: UInt64(after),
                              reason: try Text.string(reason, field: "reason"))
        case "rotate":
            guard let list = members[.keys]?.array, let threshold = members[.threshold]?.integer, threshold <= AgencyKeys.maximumKeys else {
                throw RosterError(.malformedOperation, "rotate needs keys (base64 public keys) and a threshold")
            }
            let keys = try list.map { item -> PublicKey in
                guard let text = item.string else { throw RosterError(.malformedOperation, "each of keys is a base64 public key") }
                return try PublicKey(base64: text)
            }
            let chains = try members[.chains].map { try AgencyKeys.chains($0, keys: keys) } ?? [:]
            payload = .rotate(keys: try AgencyKeys(keys, threshold: Int(threshold), chains: chains))
        default:
            throw RosterError(.malformedOperation, "unknown operation type \"\(type)\": expected add, amend, revoke, enrol, retire or rotate")
        }
        if let unknown = members.firstNotIn(Self.allowedMembers(type)) {
            throw RosterError(.malformedOperation, "unknown member \"\(unknown)\" in \(type) operation")
        }
        self.init(origin: origin, seq: seq, prev: prev, clock: clock, time: time, alg: alg, payload: payload)
    }

    private static func replica(_ members: OperationMembers, agency: String) throws -> String {
        guard let replica = members[.replica]?.string, Origin.isValid(replica), Origin.agency(of: replica) == agency,
            !Origin.isAgencyOrigin(replica)
        else { throw RosterError(.malformedOperation, "replica must be an origin of agency \(agency) like \(agency)/astana-1") }
        return replica
    }

    private static func target(_ members: OperationMembers, origin: String) throws -> Dot {
        guard let text = members[.target]?.string else { throw RosterError(.malformedOperation, "target is missing") }
        let target = try Dot(text)
        guard !Origin.isAgencyOrigin(target.origin) else {
            throw RosterError(.malformedOperation, "\(target) is a key event, not an entry: only entries are amended and revoked")
        }
        // An agency amends and revokes its own entries only, whichever of its replicas made them.
        guard target.agency == Origin.agency(of: origin) else {
            throw RosterError(.forbiddenTarget, "\(origin) may not change \(target): it belongs to agency \(target.agency)")
        }
        return target
    }
}

/// An amend's changes: a field left nil is unchanged; an optional field set to
/// `.some(nil)` is cleared (JSON null on the wire).
public struct FieldChanges: Hashable, Sendable {
    public var category: Category?
    public var basis: LegalBasis?
    public var jurisdiction: String??
    public var expires: CalendarDate??
    public var evidence: String??
    public var note: String??

    public init(category: Category? = nil, basis: LegalBasis? = nil, jurisdiction: String?? = nil,
                expires: CalendarDate?? = nil, evidence: String?? = nil, note: String?? = nil) {
        self.category = category
        self.basis = basis
        self.jurisdiction = jurisdiction
        self.expires = expires
        self.evidence = evidence
        self.note = note
    }

    public var isEmpty: Bool { names.isEmpty }

    /// The names of the fields this amend sets: each is resolved on its own.
    public var names: [String] {
        var result: [String] = []
        if category != nil { result.append("category") }
        if basis != nil { result.append("basis") }
        if jurisdiction != nil { result.append("jurisdiction") }
        if expires != nil { result.append("expires") }
        if evidence != nil { result.append("evidence") }
        if note != nil { result.append("note") }
        return result
    }

    /// Applies the one named field to `fields`.
    public func apply(_ name: String, to fields: inout EntryFields) {
        switch name {
        case "category": fields.category = category!
        case "basis": fields.basis = basis!
        case "jurisdiction": fields.jurisdiction = jurisdiction!
        case "expires": fields.expires = expires!
        case "evidence": fields.evidence = evidence!
        case "note": fields.note = note!
        default: preconditionFailure("unknown field \(name)")
        }
    }

    func write(to members: inout [String: JSON]) {
        if let category { members["category"] = .string(category.rawValue) }
        if let basis { members["basis"] = basis.json }
        if let jurisdiction { members["jurisdiction"] = jurisdiction.map(JSON.string) ?? .null }
        if let expires { members["expires"] = expires.map { .string($0.description) } ?? .null }
        if let evidence { members["evidence"] = evidence.map(JSON.string) ?? .null }
        if let note { members["note"] = note.map(JSON.string) ?? .null }
    }

    init(members: OperationMembers) throws {
        func optional<T>(_ name: OperationMembers.Name, _ read: (String) throws -> T) throws -> T?? {
            guard let value = members[name] else { return nil }
            if value == .null { return .some(nil) }
            return .some(try read(try Text.string(value, field: name.text)))
        }
        category = try members[.category].map { try Category(parsing: Text.string($0, field: "category")) }
        basis = try members[.basis].map { try LegalBasis(json: $0) }
        jurisdiction = try optional(.jurisdiction, Text.jurisdiction)
        expires = try optional(.expires) { try CalendarDate($0) }
        evidence = try optional(.evidence, Text.evidence)
        note = try optional(.note) { $0 }
        guard !isEmpty else { throw RosterError(.malformedOperation, "amend changes no field") }
    }
}

extension Operation.Payload {
    /// The entry an amend or revoke changes.
    public var target: Dot? {
        switch self {
        case .add, .mirror, .enrol, .retire, .rotate: return nil
        case .amend(let target, _), .revoke(let target, _): return target
        }
    }
}
