import Foundation

/// What a STIX 2.1 bundle lists that a roster can: indicators whose pattern names
/// one domain, URL or address (as Roster, MISP and OpenCTI write them), and bare
/// domain-name, url and ipv4/ipv6-addr objects. Each becomes the values of an add
/// (`EntryField` names): the legal basis from the first external reference with an
/// id (the authority as its source), the category from a label, the expiry from
/// `valid_until`, so that an entry expired at its source is not live here. The
/// newest version of each object counts; a revoked one lists nothing.
public struct StixListings: Sendable {
    /// Values of an add, by field name, and the object they came from.
    public var listings: [(object: String, values: [String: String])] = []
    /// Objects that list nothing a roster holds (malware, file hashes, compound patterns, revoked).
    public var ignored = 0

    public init(bundle: JSON) throws {
        guard bundle["type"]?.string == "bundle", let objects = bundle["objects"]?.array else {
            throw RosterError(.badInput, "not a STIX 2.1 bundle: it needs \"type\": \"bundle\" and an \"objects\" array")
        }
        var newest: [String: JSON] = [:]
        var order: [String] = []
        for object in objects {
            guard let id = object["id"]?.string else {
                ignored += 1
                continue
            }
            if let held = newest[id] {
                if Self.modified(object) > Self.modified(held) { newest[id] = object }
            } else {
                newest[id] = object
                order.append(id)
            }
        }
        for id in order {
            guard let object = newest[id], let values = Self.values(object) else {
                ignored += 1
                continue
            }
            listings.append((id, values))
        }
    }

    /// When an object's version was made; one without a readable time is the oldest.
    static func modified(_ object: JSON) -> Timestamp {
        (object["modified"]?.string).flatMap { try? Timestamp($0) } ?? Timestamp(Date(timeIntervalSince1970: -62_135_596_800))
    }

    static func values(_ object: JSON) -> [String: String]? {
        guard object["revoked"] != .bool(true) else { return nil }
        var values: [String: String] = [:]
        switch object["type"]?.string {
        case "indicator":
            guard object["pattern_type"]?.string ?? "stix" == "stix", let pattern = object["pattern"]?.string,
                  let (kind, value, subdomains) = resource(pattern) else { return nil }
            values[EntryField.kind.name] = kind
            values[EntryField.value.name] = value
            if subdomains { values[EntryField.scope.name] = "subdomains" }
        case "domain-name", "url", "ipv4-addr", "ipv6-addr":
            guard let type = object["type"]?.string, let value = object["value"]?.string else { return nil }
            values[EntryField.kind.name] = kind(of: type, value)
            values[EntryField.value.name] = value
        default:
            return nil
        }
        // Roster writes the midnight after an entry's last day; another writer's time falls within it.
        if let text = object["valid_until"]?.string, let until = try? Timestamp(text) {
            let midnight = until.seconds.floorDivided(by: 86_400)
            let exact = until.seconds == midnight * 86_400 && until.nanoseconds == 0
            values[EntryField.expires.name] = CalendarDate(daysSinceEpoch: Int(clamping: exact ? midnight - 1 : midnight)).description
        }
        let labels = object["labels"]?.array?.compactMap(\.string) ?? []
        if let category = labels.first(where: { Category(rawValue: $0) != nil }) { values[EntryField.category.name] = category }
        let references = object["external_references"]?.array ?? []
        if let basis = references.first(where: { $0["source_name"]?.string != nil && $0["external_id"]?.string != nil }) {
            values[EntryField.authority.name] = basis["source_name"]?.string
            values[EntryField.reference.name] = basis["external_id"]?.string
            if let from = object["valid_from"]?.string, from.utf8.count >= 10 { values[EntryField.decided.name] = String(from.prefix(10)) }
            // As Stix.indicator writes it: "Decided DATE under STATUTE (JURISDICTION)".
            if let text = basis["description"]?.string {
                var description = Substring(text)
                if let match = description.wholeMatch(of: /(.*) \(([A-Z]{2})\)/) {
                    values[EntryField.jurisdiction.name] = String(match.2)
                    description = match.1
                }
                if let under = description.range(of: " under ") { values[EntryField.statute.name] = String(description[under.upperBound...]) }
            }
        }
        return values
    }

    static func kind(of type: String, _ value: String) -> String {
        switch type {
        case "domain-name": return value.hasSuffix(".onion") ? "onion" : "domain"
        case "url": return "url"
        default: return value.contains("/") ? "cidr" : "ip"
        }
    }

    /// The one resource a simple pattern names: `[T:value = 'V']`, Roster's
    /// subdomains form `[domain-name:value = 'V' OR domain-name:value LIKE '%.V']`,
    /// or MISP's `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = 'V']`.
    static func resource(_ pattern: String) -> (kind: String, value: String, subdomains: Bool)? {
        let text = pattern.trimmingWhitespace()
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let inner = String(text.dropFirst().dropLast())
        if let match = inner.unicodeScalarMatch(/\s*(domain-name|url|ipv4-addr|ipv6-addr):value\s*=\s*'((?:[^'\\]|\\.)*)'\s*/) {
            let value = unquote(String(match.2))
            return (kind(of: String(match.1), value), value, false)
        }
        // OpenCTI's wallet names the address alone: the chain is the one whose rules it passes.
        if let match = inner.unicodeScalarMatch(/\s*cryptocurrency-wallet:value\s*=\s*'((?:[^'\\]|\\.)*)'\s*/) {
            let address = unquote(String(match.1))
            guard let chain = WalletAddress.Chain.allCases.first(where: { (try? WalletAddress.normalise("\($0.rawValue):\(address)")) != nil }) else {
                return nil
            }
            return ("wallet", "\(chain.rawValue):\(address)", false)
        }
        if let match = inner.unicodeScalarMatch(/\s*domain-name:value\s*=\s*'((?:[^'\\]|\\.)*)'\s+OR\s+domain-name:value\s+LIKE\s+'%\.((?:[^'\\]|\\.)*)'\s*/),
           match.1 == match.2 {
            let value = unquote(String(match.1))
            return (kind(of: "domain-name", value), value, true)
        }
        if let match = inner.unicodeScalarMatch(/\s*network-traffic:dst_ref\.type\s*=\s*'(ipv4-addr|ipv6-addr)'\s+AND\s+network-traffic:dst_ref\.value\s*=\s*'((?:[^'\\]|\\.)*)'\s*/) {
            let value = unquote(String(match.2))
            return (kind(of: String(match.1), value), value, false)
        }
        return nil
    }

    static func unquote(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var escaped = false
        for scalar in text.unicodeScalars {
            if !escaped && scalar == "\\" {
                escaped = true
                continue
            }
            escaped = false
            result.append(scalar)
        }
        return String(result)
    }
}

extension String {
    /// A whole match read by Unicode scalar, as a STIX pattern parser reads the text:
    /// by `Character`, a quote with a combining mark after it would not end a string.
    func unicodeScalarMatch<Output>(_ regex: Regex<Output>) -> Regex<Output>.Match? {
        try? regex.matchingSemantics(.unicodeScalar).wholeMatch(in: self)
    }
}
