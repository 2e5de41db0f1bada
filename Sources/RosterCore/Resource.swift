/// An internet resource an agency blocks, in its one normal form: the same
/// resource written two ways is one resource, so it is listed once and matched always.
public struct Resource: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable {
        case domain, url, ip, cidr, onion, account, wallet
    }

    /// How far a domain entry reaches: the name alone, or the name and every name below it.
    public enum Scope: String, CaseIterable, Sendable {
        case exact, subdomains
    }

    public let kind: Kind
    public let value: String
    /// Set for domains only.
    public let scope: Scope?

    /// Normalises `value` as a resource of `kind`; throws a reason a person can act on.
    public init(kind: Kind, value: String, scope: Scope? = nil) throws {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw RosterError(.invalidResource, "empty \(kind.rawValue) value") }
        if scope != nil && kind != .domain {
            throw RosterError(.invalidResource, "scope applies to domains only, not to \(kind.rawValue) \(trimmed)")
        }
        switch kind {
        case .domain:
            let name = try DomainName.normalise(trimmed)
            if name.hasSuffix(".onion") {
                throw RosterError(.invalidResource, "\(name) is an onion service: add it with kind onion")
            }
            self.init(verified: .domain, value: name, scope: scope ?? .exact)
        case .url:
            self.init(verified: .url, value: try ResourceURL.normalise(trimmed), scope: nil)
        case .ip:
            self.init(verified: .ip, value: try IPAddress(trimmed).description, scope: nil)
        case .cidr:
            let network = try IPNetwork(trimmed)
            // A network of one address is that address: list it once, as an ip.
            if network.isSingleAddress {
                self.init(verified: .ip, value: network.address.description, scope: nil)
            } else {
                self.init(verified: .cidr, value: network.description, scope: nil)
            }
        case .onion:
            self.init(verified: .onion, value: try OnionAddress.normalise(trimmed), scope: nil)
        case .account:
            self.init(verified: .account, value: try Account.normalise(trimmed), scope: nil)
        case .wallet:
            self.init(verified: .wallet, value: try WalletAddress.normalise(trimmed), scope: nil)
        }
    }

    /// For values already in normal form (read back from a signed operation or the database).
    public init(verified kind: Kind, value: String, scope: Scope?) {
        self.kind = kind
        self.value = value
        self.scope = scope
    }

    /// Guesses the kind of a resource typed without one (`roster check`, hosts files).
    public init(inferring text: String) throws {
        try self.init(kind: Self.kind(of: text), value: text)
    }

    /// The kind a value written without one most likely is.
    public static func kind(of text: String) -> Kind {
        let bytes = Array(text.utf8)
        func has(_ pattern: String) -> Bool {
            let pattern = Array(pattern.utf8)
            guard bytes.count >= pattern.count else { return false }
            return (0...(bytes.count - pattern.count)).contains { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) }
        }
        if has("://") { return .url }
        let lower = text.lowercased().trimmingWhitespace()
        if lower.hasSuffix(".onion") || lower.hasSuffix(".onion.") { return .onion }
        if bytes.contains(UInt8(ascii: "/")) { return .cidr }
        if let colon = lower.firstIndex(of: ":"), WalletAddress.Chain(rawValue: String(lower[..<colon])) != nil { return .wallet }
        if bytes.contains(UInt8(ascii: ":")) { return (try? IPAddress(text.trimmingWhitespace())) != nil ? .ip : .account }
        if let last = bytes.last(where: { $0 != 0x20 }), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(last),
            (try? IPAddress(text.trimmingWhitespace())) != nil {
            return .ip
        }
        return .domain
    }

    public var description: String {
        scope == .subdomains ? "\(kind.rawValue) *.\(value)" : "\(kind.rawValue) \(value)"
    }

    public var json: JSON {
        var members: [String: JSON] = ["kind": .string(kind.rawValue), "value": .string(value)]
        if let scope { members["scope"] = .string(scope.rawValue) }
        return .object(members)
    }

    /// Reads a resource from a signed operation, insisting that it is already normal:
    /// a peer that signed a non-normal value would otherwise list a resource twice.
    public init(json: JSON) throws {
        guard let members = json.object, let kindText = members["kind"]?.string, let kind = Kind(rawValue: kindText),
            let value = members["value"]?.string
        else { throw RosterError(.malformedOperation, "resource needs a known kind and a value") }
        guard Set(members.keys).isSubset(of: ["kind", "value", "scope"]) else {
            throw RosterError(.malformedOperation, "resource has unknown members")
        }
        var scope: Scope?
        if let scopeText = members["scope"] {
            guard let text = scopeText.string, let parsed = Scope(rawValue: text) else {
                throw RosterError(.malformedOperation, "resource scope must be exact or subdomains")
            }
            scope = parsed
        }
        let normal = try Resource(kind: kind, value: value, scope: scope)
        guard normal == Resource(verified: kind, value: value, scope: kind == .domain ? (scope ?? .exact) : nil),
            kind != .domain || scope != nil
        else {
            throw RosterError(.malformedOperation, "resource \(kind.rawValue) \(value) is not in normal form (expected \(normal.value))")
        }
        self = normal
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
