/// What `check` asks of the roster: the keys under which a matching entry would be
/// listed. Shared by the in-memory index and the SQL query, so both match alike.
public struct Probe: Hashable, Sendable {
    public let kind: Resource.Kind
    public let value: String
    /// Only `subdomains` entries match: the probe is a parent of the name checked.
    public let subdomainsOnly: Bool

    public func matches(kind: Resource.Kind, value: String, scope: Resource.Scope?) -> Bool {
        kind == self.kind && value == self.value && (!subdomainsOnly || scope == .subdomains)
    }
}

extension Resource {
    /// A domain matches its own entries and `subdomains` entries of every parent; an
    /// IP matches the networks that contain it; a URL matches itself and its host.
    /// `prefixLengths` limits network probes to lengths the roster holds.
    public func probes(prefixLengths: (v4: Set<Int>, v6: Set<Int>)? = nil) -> [Probe] {
        var result = [Probe(kind: kind, value: value, subdomainsOnly: false)]
        switch kind {
        case .domain:
            result += Self.domainParents(value)
        case .url:
            let host = ResourceURL.host(ofNormal: value)
            if let address = try? IPAddress(host.trimmingCharacters(in: "[]")) {
                result += Self.addressProbes(address, longest: address.bitWidth, prefixLengths)
            } else if !host.hasSuffix(".onion") {
                result.append(Probe(kind: .domain, value: host, subdomainsOnly: false))
                result += Self.domainParents(host)
            } else {
                result.append(Probe(kind: .onion, value: host, subdomainsOnly: false))
            }
        case .ip:
            if let address = try? IPAddress(value) {
                result += Self.addressProbes(address, longest: address.bitWidth, prefixLengths)
            }
        case .cidr:
            if let network = try? IPNetwork(value) {
                result += Self.addressProbes(network.address, longest: network.length - 1, prefixLengths)
            }
        case .onion, .account:
            break
        }
        return result
    }

    private static func domainParents(_ name: String) -> [Probe] {
        DomainName.parents(of: name).map { Probe(kind: .domain, value: String($0), subdomainsOnly: true) }
    }

    private static func addressProbes(_ address: IPAddress, longest: Int,
                                      _ prefixLengths: (v4: Set<Int>, v6: Set<Int>)?) -> [Probe] {
        let isV4 = address.bitWidth == 32
        let lengths = prefixLengths.map { Array(isV4 ? $0.v4 : $0.v6).filter { $0 <= longest } } ?? Array(0...max(longest, 0))
        return lengths.filter { $0 < address.bitWidth }.map {
            Probe(kind: .cidr, value: IPNetwork(address: address.masked(to: $0), length: $0).description, subdomainsOnly: false)
        }
    }
}

extension ResourceURL {
    /// The host of a URL already in normal form, IPv6 literals with their brackets.
    public static func host(ofNormal url: String) -> String {
        guard let start = url.range(of: "://")?.upperBound else { return "" }
        let rest = url[start...]
        if rest.hasPrefix("[") {
            return String(rest[...(rest.firstIndex(of: "]") ?? rest.index(before: rest.endIndex))])
        }
        return String(rest.prefix { $0 != "/" && $0 != ":" && $0 != "?" })
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var result = Substring(self)
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return String(result)
    }
}
