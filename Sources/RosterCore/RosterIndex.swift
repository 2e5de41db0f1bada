/// The in-memory answer to `check`: live entries by value, kept in step with the
/// database by the process that holds it, so a lookup costs a few hash probes.
public struct RosterIndex: Sendable {
    public struct Listing: Hashable, Sendable {
        public let id: Dot
        public let kind: Resource.Kind
        public let scope: Resource.Scope?

        public init(id: Dot, kind: Resource.Kind, scope: Resource.Scope?) {
            self.id = id
            self.kind = kind
            self.scope = scope
        }
    }

    private var byValue: [String: [Listing]] = [:]
    private var prefixLengths: (v4: Set<Int>, v6: Set<Int>) = ([], [])

    public init() {}

    public var count: Int { byValue.values.reduce(0) { $0 + $1.count } }

    public mutating func insert(_ resource: Resource, id: Dot) {
        byValue[resource.value, default: []].append(Listing(id: id, kind: resource.kind, scope: resource.scope))
        if resource.kind == .cidr, let network = try? IPNetwork(resource.value) {
            if network.address.bitWidth == 32 { prefixLengths.v4.insert(network.length) }
            else { prefixLengths.v6.insert(network.length) }
        }
    }

    public mutating func remove(_ resource: Resource, id: Dot) {
        byValue[resource.value]?.removeAll { $0.id == id }
        if byValue[resource.value]?.isEmpty == true { byValue[resource.value] = nil }
    }

    /// The ids of the live entries that list `resource`, nearest match first.
    public func check(_ resource: Resource) -> [Dot] {
        var result: [Dot] = []
        for probe in resource.probes(prefixLengths: prefixLengths) {
            guard let listings = byValue[probe.value] else { continue }
            for listing in listings where probe.matches(kind: listing.kind, value: probe.value, scope: listing.scope) {
                result.append(listing.id)
            }
        }
        return result
    }
}
