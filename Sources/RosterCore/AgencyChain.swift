/// An agency's key events made in order by whoever holds its keys, away from any
/// node: its first `rotate` (the root), then enrols, retires and rotations. Tests,
/// benchmarks and tools write an agency's chain with it; a node makes its own key
/// events through its store, which chains them to what it holds.
public struct AgencyChain: Sendable {
    public let agency: String
    /// The keys that sign the next event.
    public private(set) var keys: [AgencyKey]
    public private(set) var events: [SignedOperation] = []
    /// The agency's first key: what nodes pin.
    public let root: PublicKey
    let time: Timestamp

    public init(agency: String, keys: [AgencyKey], threshold: Int = 1, time: Timestamp) throws {
        self.agency = agency
        self.keys = keys
        self.time = time
        guard let first = keys.first else { throw RosterError(.invalidField, "an agency chain starts with at least one key") }
        root = first.publicKey
        _ = try append(.rotate(keys: AgencyKeys(keys.map(\.publicKey), threshold: threshold)), signedBy: keys)
    }

    public var origin: String { Origin.agencyOrigin(of: agency) }
    public var seq: UInt64 { UInt64(events.count) }

    /// Makes the next event, signed by `signers` (the current keys unless given).
    @discardableResult
    public mutating func append(_ payload: Operation.Payload, signedBy signers: [AgencyKey]? = nil) throws -> SignedOperation {
        if case .rotate = payload, seq > 0, signers == nil {
            throw RosterError(.invalidField, "a rotation is signed by the new keys too: give them in signedBy")
        }
        let operation = Operation(origin: origin, seq: seq + 1, prev: events.last?.hash, clock: VectorClock(seq > 0 ? [origin: seq] : [:]),
                                  time: time, payload: payload)
        let signed = try SignedOperation.sign(operation, with: signers ?? keys)
        events.append(signed)
        // After a rotation, the new keys among the signers sign what follows.
        if case .rotate(let set) = payload, seq > 1 { keys = (signers ?? []).filter { set.keys.contains($0.publicKey) } }
        return signed
    }

    /// Enrols `replica` and returns the clock its operations carry so that the enrol
    /// is in their causal past.
    @discardableResult
    public mutating func enrol(_ replica: Replica) throws -> VectorClock {
        try append(.enrol(replica: replica.origin, key: replica.key.publicKey, logKey: replica.enrolledLogKey))
        return VectorClock([origin: seq])
    }

    /// A descriptor of a node of this agency, signed with the first current key.
    public func descriptor(node: String? = nil, name: String? = nil, jurisdiction: String? = nil, endpoints: [String] = [],
                           tlsPin: String? = nil) throws -> PeerDescriptor {
        guard let signer = keys.first else { throw RosterError(.badKey, "the chain holds no current key to sign with") }
        return try PeerDescriptor(agency: agency, node: node, name: name, jurisdiction: jurisdiction, root: root, keyEvents: events,
                           endpoints: endpoints, tlsPin: tlsPin, signedBy: signer)
    }
}
