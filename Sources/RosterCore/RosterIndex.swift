/// The in-memory answer to `check`: live entries by value, kept in step with the
/// database by the process that holds it. A lookup hashes the name and each parent
/// in place and probes each network length the roster holds, allocating nothing.
public struct RosterIndex: Sendable {
    public struct Listing: Hashable, Sendable {
        public let id: Dot
        public let kind: Resource.Kind
        public let value: String
        public let scope: Resource.Scope?
    }

    /// An address or network, masked: `ip` entries are networks of full length.
    struct Network: Hashable {
        let isV4: Bool
        let length: UInt8
        let bits: UInt128
    }

    /// Names, URLs, onions and accounts, by a hash of their value's bytes.
    private var byValue: [UInt64: [Listing]] = [:]
    private var byNetwork: [Network: [Listing]] = [:]
    /// Network lengths present, longest first, with how many entries use each.
    private var lengthCounts: [Bool: [Int: Int]] = [true: [:], false: [:]]
    private var lengths: [Bool: [Int]] = [true: [], false: []]
    public private(set) var count = 0

    public init() {}

    public mutating func insert(_ resource: Resource, id: Dot) {
        let listing = Listing(id: id, kind: resource.kind, value: resource.value, scope: resource.scope)
        if let network = Self.network(resource) {
            byNetwork[network, default: []].append(listing)
            lengthCounts[network.isV4]![Int(network.length), default: 0] += 1
            lengths[network.isV4] = lengthCounts[network.isV4]!.keys.sorted(by: >)
        } else {
            byValue[Self.hash(resource.value.utf8), default: []].append(listing)
        }
        count += 1
    }

    public mutating func remove(_ resource: Resource, id: Dot) {
        if let network = Self.network(resource) {
            guard let index = byNetwork[network]?.firstIndex(where: { $0.id == id }) else { return }
            byNetwork[network]!.remove(at: index)
            if byNetwork[network]!.isEmpty { byNetwork[network] = nil }
            lengthCounts[network.isV4]![Int(network.length)]! -= 1
            if lengthCounts[network.isV4]![Int(network.length)] == 0 {
                lengthCounts[network.isV4]![Int(network.length)] = nil
                lengths[network.isV4] = lengthCounts[network.isV4]!.keys.sorted(by: >)
            }
        } else {
            let key = Self.hash(resource.value.utf8)
            guard let index = byValue[key]?.firstIndex(where: { $0.id == id }) else { return }
            byValue[key]!.remove(at: index)
            if byValue[key]!.isEmpty { byValue[key] = nil }
        }
        count -= 1
    }

    /// The ids of the entries that list `resource`, nearest match first. The one
    /// place that decides a match: the database path reads `Resource.candidateValues`
    /// and lets an index of those decide (a test holds the two paths to each other).
    public func check(_ resource: Resource) -> [Dot] {
        var result: [Dot] = []
        switch resource.kind {
        case .domain:
            matchName(resource.value, into: &result)
        case .url:
            matchValue(resource.value, kind: .url, into: &result)
            let host = ResourceURL.host(ofNormal: resource.value)
            if host.hasPrefix("["), let address = try? IPAddress(String(host.dropFirst().dropLast())) {
                matchAddress(address, longest: 128, into: &result)
            } else if let address = try? IPAddress(host) {
                matchAddress(address, longest: 32, into: &result)
            } else if host.hasSuffix(".onion") {
                matchValue(host, kind: .onion, into: &result)
            } else {
                matchName(host, into: &result)
            }
        case .ip:
            if let address = try? IPAddress(resource.value) { matchAddress(address, longest: address.bitWidth, into: &result) }
        case .cidr:
            if let network = try? IPNetwork(resource.value) { matchAddress(network.address, longest: network.length, into: &result) }
        case .onion, .account, .wallet:
            matchValue(resource.value, kind: resource.kind, into: &result)
        }
        return result
    }

    /// The name itself (any scope), then each parent's `subdomains` entries.
    private func matchName(_ name: String, into result: inout [Dot]) {
        var name = name
        name.withUTF8 { bytes in
            var start = 0
            var first = true
            while start < bytes.count {
                let suffix = UnsafeBufferPointer(rebasing: bytes[start...])
                // Parents of two labels or more: the suffix must still contain a dot.
                if !first && !suffix.contains(UInt8(ascii: ".")) { break }
                if let listings = byValue[Self.hash(suffix)] {
                    for listing in listings where listing.kind == .domain && (first || listing.scope == .subdomains)
                        && listing.value.utf8.elementsEqual(suffix) {
                        result.append(listing.id)
                    }
                }
                guard let dot = suffix.firstIndex(of: UInt8(ascii: ".")) else { break }
                start += dot - suffix.startIndex + 1
                first = false
            }
        }
    }

    private func matchValue(_ value: String, kind: Resource.Kind, into result: inout [Dot]) {
        guard let listings = byValue[Self.hash(value.utf8)] else { return }
        for listing in listings where listing.kind == kind && listing.value == value { result.append(listing.id) }
    }

    /// The address (or network) itself, then every network in the roster that contains it.
    private func matchAddress(_ address: IPAddress, longest: Int, into result: inout [Dot]) {
        let (isV4, bits): (Bool, UInt128) = switch address {
        case .v4(let value): (true, UInt128(value))
        case .v6(let value): (false, value)
        }
        let width = isV4 ? 32 : 128
        for length in lengths[isV4]! where length <= longest {
            let masked = length == 0 ? 0 : bits & (~UInt128(0) << (width - length)) & (isV4 ? UInt128(UInt32.max) : ~UInt128(0))
            if let listings = byNetwork[Network(isV4: isV4, length: UInt8(length), bits: masked)] {
                result += listings.map(\.id)
            }
        }
    }

    static func network(_ resource: Resource) -> Network? {
        switch resource.kind {
        case .ip:
            guard let address = try? IPAddress(resource.value) else { return nil }
            return network(address, length: address.bitWidth)
        case .cidr:
            guard let network = try? IPNetwork(resource.value) else { return nil }
            return Self.network(network.address, length: network.length)
        default:
            return nil
        }
    }

    static func network(_ address: IPAddress, length: Int) -> Network {
        switch address {
        case .v4(let value): return Network(isV4: true, length: UInt8(length), bits: UInt128(value))
        case .v6(let value): return Network(isV4: false, length: UInt8(length), bits: value)
        }
    }

    /// FNV-1a: cheap, and collisions only cost a comparison.
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}
