/// This node's writer identity: the origin it signs as, its private key, and the
/// Ed25519 key that signs its checkpoints and cosignatures (its key, when that is
/// Ed25519 itself).
public struct Replica: Sendable {
    public let origin: String
    public let key: ReplicaKey
    public let logKey: ReplicaKey

    public init(origin: String, key: ReplicaKey, logKey: ReplicaKey? = nil) {
        self.origin = origin
        self.key = key
        self.logKey = logKey ?? key
    }

    /// The log key an enrol names (`log_key`): none when the replica key signs its log.
    public var enrolledLogKey: PublicKey? { key.suite == .ed25519 ? nil : logKey.publicKey }

    public var agency: String { Origin.agency(of: origin) }

    /// The next operation of this replica's chain, made in the causal context `clock`
    /// (what the node holds of this agency) after its last operation `head`.
    public func make(_ payload: Operation.Payload, after head: CausalDelivery.Head?, clock: VectorClock,
                     time: Timestamp) throws -> SignedOperation {
        var context = clock.restricted(to: agency)
        context[origin] = head?.seq ?? 0
        let operation = Operation(origin: origin, seq: (head?.seq ?? 0) + 1, prev: head?.hash, clock: context,
                                  time: time, alg: key.suite.rawValue, payload: payload)
        return try SignedOperation.sign(operation, with: key)
    }
}
