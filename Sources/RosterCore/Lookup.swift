extension Resource {
    /// The values under which an entry listing this resource may be stored: the
    /// resource itself, a name's parents, the networks that contain an address, a
    /// URL's host. A superset, to narrow a database read; which of them match is
    /// decided by `RosterIndex.check` alone, so that `roster check` and a server's
    /// in-memory index can never disagree.
    public var candidateValues: [String] {
        var values = [value]
        switch kind {
        case .domain:
            values += DomainName.parents(of: value).map(String.init)
        case .url:
            let host = ResourceURL.host(ofNormal: value)
            if let address = try? IPAddress(host.trimmingCharacters(in: "[]")) {
                values += Self.networkValues(address, longest: address.bitWidth)
            } else {
                values.append(host)
                values += DomainName.parents(of: host).map(String.init)
            }
        case .ip:
            if let address = try? IPAddress(value) { values += Self.networkValues(address, longest: address.bitWidth) }
        case .cidr:
            if let network = try? IPNetwork(value) { values += Self.networkValues(network.address, longest: network.length) }
        case .onion, .account, .wallet:
            break
        }
        return values
    }

    /// Every network of `address` up to `longest` bits; at full length, the address too.
    private static func networkValues(_ address: IPAddress, longest: Int) -> [String] {
        (0...max(0, min(longest, address.bitWidth))).flatMap { length in
            let network = IPNetwork(address: address, length: length).description
            return length == address.bitWidth ? [address.description, network] : [network]
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
