/// The formats consumers already load. Each writes one entry at a time so that an
/// export of millions of entries streams instead of building one string.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// NDJSON of signed operations in causal order: the exchange format between nodes.
    case ops
    /// A document of the live entries with the node's clock and digest.
    case json
    case csv
    /// `0.0.0.0 name` lines for domain entries.
    case hosts
    /// A DNS Response Policy Zone for BIND and Unbound.
    case rpz
    /// `address=` and `host-record=` lines for dnsmasq's `conf-file`.
    case dnsmasq
    /// `local-zone:` and `local-data:` lines for Unbound's `include:`.
    case unbound
    /// Mastodon's domain-block CSV, as its admin import reads it.
    case mastodon
    /// A STIX 2.1 bundle of indicators, revoked ones as their revoked version (`Stix`).
    case stix
    /// The node's log for an air-gapped auditor: a signed checkpoint and every leaf (`LogBundle`).
    case bundle

    /// The formats a consumer fetches from a serving node (`GET /v1/export/FORMAT`).
    public static let feeds: [ExportFormat] = [.rpz, .hosts, .dnsmasq, .unbound, .mastodon, .csv, .json, .stix]

    /// Whether an entry reaches this format: consumers get live, unexpired entries
    /// of the kinds they can enforce.
    public func includes(_ entry: Entry, today: CalendarDate) -> Bool {
        if self == .stix { return true }
        guard entry.isLive else { return false }
        switch self {
        case .ops, .bundle, .stix: return false
        case .json, .csv: return true
        case .hosts, .dnsmasq, .unbound, .mastodon: return entry.resource.kind == .domain && !entry.isExpired(on: today)
        case .rpz: return [.domain, .ip, .cidr].contains(entry.resource.kind) && !entry.isExpired(on: today)
        }
    }

    /// Blocker formats write each resource once, however many entries list it
    /// (`BlockedResource`); the others write every entry.
    public var blocksResources: Bool {
        switch self {
        case .hosts, .rpz, .dnsmasq, .unbound, .mastodon: return true
        case .ops, .json, .csv, .bundle, .stix: return false
        }
    }

    /// STIX carries revoked entries, as revoked versions, and when each entry was
    /// added and last changed, which the store reads from its operations.
    public var carriesHistory: Bool { self == .stix }

    /// The HTTP media type a feed is served with.
    public var mediaType: String {
        switch self {
        case .json: return "application/json"
        case .stix: return "application/stix+json;version=2.1"
        case .csv, .mastodon: return "text/csv; charset=utf-8"
        case .rpz: return "text/dns; charset=utf-8"
        case .ops, .bundle: return "application/x-ndjson"
        case .hosts, .dnsmasq, .unbound: return "text/plain; charset=utf-8"
        }
    }
}

/// CSV as `import --format csv` reads it back: RFC 4180 quoting, the header naming
/// an add's fields, then the entry's `id`, which a mirror's `mirror_of` names.
public enum CSVExport {
    public static let idColumn = "id"
    public static let columns = EntryField.allCases.map(\.name) + [idColumn]

    public static var header: String { columns.joined(separator: ",") + "\r\n" }

    public static func row(_ entry: Entry) -> String {
        let values = EntryField.allCases.map { $0.text(of: entry) } + [entry.id.description]
        var line = ""
        line.reserveCapacity(160)
        for (index, value) in values.enumerated() {
            if index > 0 { line += "," }
            line += quote(value ?? "")
        }
        return line + "\r\n"
    }

    static func quote(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A })
        else { return value }
        return "\"" + value.replacingAll("\"", with: "\"\"") + "\""
    }
}

/// A hosts file for resolvers and proxies that load one; names only, so a
/// `subdomains` entry blocks just its own name here (RPZ has the wildcard).
public enum HostsExport {
    public static func header(node: String, clock: VectorClock) -> String {
        "# Roster blocklist from \(node), clock \(clock)\n"
    }

    public static func line(_ blocked: BlockedResource) -> String { "0.0.0.0 \(blocked.value)\n" }
}

/// RFC-style RPZ (draft-vixie-dnsop-dns-rpz): `CNAME .` answers NXDOMAIN for a listed
/// name, `*.name` extends it to subdomains, `rpz-ip` owners cover addresses and networks.
public enum RPZExport {
    public static func header(zone: String, serial: UInt32, node: String) -> String {
        """
        ; Roster response policy zone \(zone) from \(node)
        $TTL 300
        @ IN SOA localhost. hostmaster.localhost. ( \(serial) 3600 600 86400 300 )
        @ IN NS localhost.

        """
    }

    /// The zone serial: the number of operations applied plus the days since 1970.
    /// Both only grow (the days as long as the node's clock does not go back), and
    /// either changes when the zone may: an operation applied, or an entry expired
    /// at midnight. Secondaries transfer a zone only when its serial grows.
    public static func serial(of clock: VectorClock, today: CalendarDate) -> UInt32 {
        UInt32(truncatingIfNeeded: clock.counters.values.reduce(0, &+) &+ UInt64(max(0, today.daysSinceEpoch)))
    }

    public static func records(_ entry: Entry) -> String {
        records(BlockedResource(entry))
    }

    public static func records(_ blocked: BlockedResource) -> String {
        let value = blocked.value
        switch blocked.kind {
        case .domain:
            var text = "\(value) CNAME .\n"
            if blocked.subdomains { text += "*.\(value) CNAME .\n" }
            return text
        case .ip:
            guard let address = try? IPAddress(value) else { return "" }
            return "\(owner(address, length: address.bitWidth)) CNAME .\n"
        case .cidr:
            guard let network = try? IPNetwork(value) else { return "" }
            return "\(owner(network.address, length: network.length)) CNAME .\n"
        case .url, .onion, .account, .wallet:
            return ""
        }
    }

    /// `32.4.3.2.1.rpz-ip` for 1.2.3.4; IPv6 in reversed 16-bit groups, the longest zero run as `zz`.
    static func owner(_ address: IPAddress, length: Int) -> String {
        switch address {
        case .v4(let value):
            let octets = [value & 0xFF, value >> 8 & 0xFF, value >> 16 & 0xFF, value >> 24].map(String.init)
            return "\(length)." + octets.joined(separator: ".") + ".rpz-ip"
        case .v6(let value):
            let groups = IPAddress.groups(value)
            var labels = groups.map { String($0, radix: 16) }
            if let run = IPAddress.longestZeroRun(groups) { labels.replaceSubrange(run, with: ["zz"]) }
            return "\(length)." + labels.reversed().joined(separator: ".") + ".rpz-ip"
        }
    }
}

extension String {
    /// By Unicode scalar, not by `Character`: a quote followed by a combining mark is
    /// one `Character` that equals no quote, yet a CSV reader sees the quote.
    func replacingAll(_ target: Unicode.Scalar, with replacement: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if scalar == target { result.append(contentsOf: replacement.unicodeScalars) } else { result.append(scalar) }
        }
        return String(result)
    }
}
