/// For each origin, the highest sequence number seen without gaps. An operation
/// carries its replica's clock as its causal context; a node's clock says what it holds.
public struct VectorClock: Hashable, Sendable, CustomStringConvertible {
    public private(set) var counters: [String: UInt64]

    public init(_ counters: [String: UInt64] = [:]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    public subscript(origin: String) -> UInt64 {
        get { counters[origin] ?? 0 }
        set { counters[origin] = newValue == 0 ? nil : newValue }
    }

    public func contains(_ dot: Dot) -> Bool { self[dot.origin] >= dot.seq }

    /// The counters of one agency's origins: what an operation of that agency names.
    public func restricted(to agency: String) -> VectorClock {
        VectorClock(counters.filter { Origin.agency(of: $0.key) == agency })
    }

    /// Commutative and idempotent, so peers converge whatever the order of arrival.
    public func merging(_ other: VectorClock) -> VectorClock {
        VectorClock(counters.merging(other.counters, uniquingKeysWith: max))
    }

    /// True when every counter here is at least the other's.
    public func dominates(_ other: VectorClock) -> Bool {
        other.counters.allSatisfy { self[$0.key] >= $0.value }
    }

    public var json: JSON {
        .object(counters.mapValues { .integer(Int64($0)) })
    }

    public init(json: JSON) throws {
        guard let members = json.object else { throw RosterError(.malformedOperation, "clock must be an object") }
        var counters: [String: UInt64] = [:]
        // In key order, so that of two bad entries the same one is named every time.
        for (origin, value) in members.sorted(by: { $0.key < $1.key }) {
            // At most 2^53 - 1, as I-JSON (RFC 7493) keeps integers exact: operation.schema.json says so too.
            guard Origin.isValid(origin), let count = value.integer, count > 0, count <= 9_007_199_254_740_991 else {
                throw RosterError(.malformedOperation, "clock entry \(origin) must name an origin and a count from 1 to 2^53 - 1")
            }
            counters[origin] = UInt64(count)
        }
        // Every count is positive: nothing to leave out.
        self.counters = counters
    }

    public var description: String {
        counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
