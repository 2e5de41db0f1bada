/// A consumer export as one stream of text, fed the entries of one snapshot in
/// the order `ExportFormat.blocksResources` asks for (by value for blocker formats,
/// so that the entries of one resource come together). Pure: the CLI writes it to a
/// file, the server streams it, `serve --rpz-zone-file` keeps a zone with it, and
/// all three write the same bytes.
public struct Feed: Sendable {
    public let format: ExportFormat
    /// The node that writes it, named in the headers.
    public let origin: String
    /// The node's agency, for `policy`.
    public let agency: String
    public let policy: BroadPolicy
    /// The RPZ zone's origin.
    public let zone: String
    public let now: Timestamp
    public var today: CalendarDate { CalendarDate(now) }

    private var held: BlockedResource?
    private var elements = 0
    /// The agencies whose `identity` a STIX bundle holds already.
    private var identities: Set<String> = []

    public init(format: ExportFormat, origin: String, agency: String, policy: BroadPolicy, zone: String = "rpz.roster", now: Timestamp) {
        self.format = format
        self.origin = origin
        self.agency = agency
        self.policy = policy
        self.zone = zone
        self.now = now
    }

    /// An HTTP validator: the same tag means the same entries in the same format,
    /// so a consumer that holds it is answered 304. Weak, as the JSON header names
    /// the second it was generated.
    public func tag(clock: VectorClock) -> String {
        let identity = "\(format.rawValue)\n\(zone)\n\(policy.rawValue)\n\(today)\n\(clock)"
        return "W/\"" + Hex.encode(SHA256Digest.of(Array(identity.utf8)).prefix(16)) + "\""
    }

    /// What comes before the entries; `digest` is asked for only by formats that carry it.
    public func header(clock: VectorClock, digest: () throws -> String) rethrows -> String {
        switch format {
        case .json:
            let header: JSON = [
                "format": "roster-entries", "v": 1, "node": .string(origin), "generated": .string(now.text),
                "clock": clock.json, "digest": .string(try digest()),
            ]
            var text = String(decoding: CanonicalJSON.encode(header), as: UTF8.self)
            text.removeLast()
            return text + ",\"entries\":["
        case .csv: return CSVExport.header
        case .hosts: return HostsExport.header(node: origin, clock: clock)
        case .rpz: return RPZExport.header(zone: zone, serial: RPZExport.serial(of: clock, today: today), node: origin)
        case .dnsmasq: return DnsmasqExport.header(node: origin, clock: clock)
        case .unbound: return UnboundExport.header(node: origin, clock: clock)
        case .mastodon: return MastodonExport.header
        case .stix:
            let id = Stix.id("bundle", "\(origin) \(clock) \(today)")
            return "{\"type\":\"bundle\",\"id\":\"\(id)\",\"objects\":[\n" + String(decoding: CanonicalJSON.encode(Stix.publicMarking), as: UTF8.self)
        case .ops, .bundle: return ""
        }
    }

    /// What `entry` adds: nothing if the format leaves it out or it lists a
    /// resource already held, else the resource held before it. Formats that
    /// `carriesHistory` need the entry's `history`.
    public mutating func add(_ entry: Entry, history: Stix.History? = nil) -> String {
        guard format.includes(entry, today: today), policy.enforces(entry, agency: agency) else { return "" }
        switch format {
        case .stix:
            guard let history else { return "" }
            var text = ""
            if identities.insert(entry.agency).inserted {
                text += ",\n" + String(decoding: CanonicalJSON.encode(Stix.identity(of: entry.agency)), as: UTF8.self)
            }
            text += ",\n" + String(decoding: CanonicalJSON.encode(Stix.indicator(entry, history: history)), as: UTF8.self)
            if let relationship = Stix.relationship(of: entry, history: history) {
                text += ",\n" + String(decoding: CanonicalJSON.encode(relationship), as: UTF8.self)
            }
            return text
        case .json:
            elements += 1
            return (elements > 1 ? ",\n" : "") + String(decoding: entry.canonicalBytes(), as: UTF8.self)
        case .csv:
            return CSVExport.row(entry)
        case .hosts, .rpz, .dnsmasq, .unbound, .mastodon:
            if var resource = held, resource.lists(entry) {
                resource.subdomains = resource.subdomains || entry.resource.scope == .subdomains
                held = resource
                return ""
            }
            defer { held = BlockedResource(entry) }
            return held.map(render) ?? ""
        case .ops, .bundle:
            return ""
        }
    }

    /// What remains after the last entry.
    public mutating func finish() -> String {
        defer { held = nil }
        switch format {
        case .json: return "]}\n"
        case .stix: return "\n]}\n"
        default: return held.map(render) ?? ""
        }
    }

    private func render(_ blocked: BlockedResource) -> String {
        switch format {
        case .hosts: return HostsExport.line(blocked)
        case .rpz: return RPZExport.records(blocked)
        case .dnsmasq: return DnsmasqExport.line(blocked)
        case .unbound: return UnboundExport.lines(blocked)
        case .mastodon: return MastodonExport.row(blocked)
        case .ops, .json, .csv, .bundle, .stix: return ""
        }
    }
}
