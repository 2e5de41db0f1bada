/// This node's writer identity: the origin it signs as and its private key.
public struct Replica: Sendable {
    public let origin: String
    public let key: ReplicaKey

    public init(origin: String, key: ReplicaKey) {
        self.origin = origin
        self.key = key
    }

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
