/// What one agency's node publishes so that others can trust the agency and reach
/// the node: the agency's root key, its key events (the chain of rotations, enrols
/// and retires that says which keys and replicas are its own now), the node's
/// HTTPS endpoint and the SHA-256 of its TLS public key, signed by a current agency
/// key. Files of this form live in `Peers/`; exchanged out of band, and checked by
/// the root key's fingerprint, never by where they came from.
public struct PeerDescriptor: Hashable, Sendable {
    public static let formatVersion: Int64 = 2

    public let agency: String
    /// The origin of the replica that runs the node at `endpoints`: two nodes of one
    /// agency are two peers. Absent in a descriptor that only makes the agency known.
    public let node: String?
    public let name: String?
    public let jurisdiction: String?
    /// The agency's first key: what a node pins (`--trust` takes its fingerprint).
    public let root: PublicKey
    /// The agency origin's operations, seq 1 onwards.
    public let keyEvents: [SignedOperation]
    /// `https://host:port` of the agency's node; empty for an agency that is not synced with.
    public let endpoints: [String]
    /// Lower-case hex SHA-256 of the node's TLS SubjectPublicKeyInfo: mutual TLS
    /// accepts this key and no other, in place of a hostname check.
    public let tlsPin: String?
    /// A current agency key's signature over the descriptor without `sig`.
    public let signature: Endorsement

    /// Makes and signs a descriptor with `key`, which must be one of the agency's current keys.
    public init(agency: String, node: String? = nil, name: String?, jurisdiction: String?, root: PublicKey,
                keyEvents: [SignedOperation], endpoints: [String] = [], tlsPin: String? = nil, signedBy key: AgencyKey) throws {
        try self.init(agency: agency, node: node, name: name, jurisdiction: jurisdiction, root: root, keyEvents: keyEvents,
                      endpoints: endpoints, tlsPin: tlsPin, signature: Endorsement(key: key.publicKey, signature: []))
        self = try PeerDescriptor(agency: agency, node: node, name: name, jurisdiction: jurisdiction, root: root, keyEvents: keyEvents,
                                  endpoints: endpoints, tlsPin: tlsPin,
                                  signature: Endorsement(key: key.publicKey, signature: try key.sign(CanonicalJSON.encode(unsignedJSON))))
    }

    init(agency: String, node: String?, name: String?, jurisdiction: String?, root: PublicKey, keyEvents: [SignedOperation],
         endpoints: [String], tlsPin: String?, signature: Endorsement) throws {
        guard Origin.isValidAgency(agency) else {
            throw RosterError(.invalidField, "agency \"\(agency)\" is not an id like kz-mvd")
        }
        if let node, !Origin.isValid(node) || Origin.agency(of: node) != agency || Origin.isAgencyOrigin(node) {
            throw RosterError(.invalidField, "node \(node) is not a replica of agency \(agency)")
        }
        for (index, event) in keyEvents.enumerated()
        where event.operation.origin != Origin.agencyOrigin(of: agency) || event.operation.seq != UInt64(index + 1) {
            throw RosterError(.invalidField, "key_events must be the operations of \(Origin.agencyOrigin(of: agency)) from seq 1, in order")
        }
        guard !keyEvents.isEmpty else { throw RosterError(.invalidField, "a descriptor carries its agency's key events, from the first") }
        for endpoint in endpoints where Endpoint(endpoint) == nil {
            throw RosterError(.invalidField, "endpoint \"\(endpoint)\" is not https://host:port")
        }
        if let tlsPin, !Hex.isSHA256(tlsPin) {
            throw RosterError(.invalidField, "tls_spki_sha256 must be a SHA-256 in lower-case hex")
        }
        guard endpoints.isEmpty || tlsPin != nil else {
            throw RosterError(.invalidField, "a descriptor with endpoints needs tls_spki_sha256: peers are reached by pin")
        }
        self.agency = agency
        self.node = node
        self.name = name
        self.jurisdiction = jurisdiction
        self.root = root
        self.keyEvents = keyEvents
        self.endpoints = endpoints
        self.tlsPin = tlsPin
        self.signature = signature
    }

    var unsignedJSON: JSON {
        var members: [String: JSON] = [
            "v": .integer(Self.formatVersion), "agency": .string(agency), "root": .string(root.base64),
            "key_events": .array(keyEvents.compactMap { try? JSONParser.parse($0.bytes) }),
        ]
        if let node { members["node"] = .string(node) }
        if let name { members["name"] = .string(name) }
        if let jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
        if !endpoints.isEmpty { members["endpoints"] = .array(endpoints.map(JSON.string)) }
        if let tlsPin { members["tls_spki_sha256"] = .string(tlsPin) }
        return .object(members)
    }

    public var json: JSON {
        guard case .object(var members) = unsignedJSON else { return unsignedJSON }
        members["sig"] = signature.json
        return .object(members)
    }

    public init(json: JSON) throws {
        guard json["v"]?.integer == Self.formatVersion else {
            throw RosterError(.badInput, "a peer descriptor of format \(json["v"]?.integer.map(String.init) ?? "unknown"): this node reads v \(Self.formatVersion), signed by the agency key; ask the agency for a new one")
        }
        guard let agency = json["agency"]?.string, let root = json["root"]?.string, let events = json["key_events"]?.array,
            let signature = json["sig"]
        else { throw RosterError(.badInput, "a peer descriptor needs v, agency, root, key_events and sig") }
        guard events.count <= 10_000 else { throw RosterError(.badInput, "a descriptor carries at most 10,000 key events") }
        let keyEvents = try events.enumerated().map { index, event in
            do {
                return try SignedOperation(parsing: CanonicalJSON.encode(event))
            } catch let error as RosterError {
                throw RosterError(error.code, "key event \(index + 1): \(error.reason)")
            }
        }
        var endpoints: [String] = []
        if let list = json["endpoints"] {
            guard case .array(let items) = list, items.allSatisfy({ $0.string != nil }) else {
                throw RosterError(.badInput, "endpoints must be a list of https URLs")
            }
            endpoints = items.compactMap(\.string)
        }
        let unknown = Set(json.object?.keys.map { $0 } ?? []).subtracting(
            ["v", "agency", "root", "key_events", "node", "name", "jurisdiction", "endpoints", "tls_spki_sha256", "sig"])
        if let member = unknown.sorted().first { throw RosterError(.badInput, "a peer descriptor has an unknown member \"\(member)\"") }
        try self.init(agency: agency, node: json["node"]?.string, name: json["name"]?.string, jurisdiction: json["jurisdiction"]?.string,
                      root: try PublicKey(base64: root), keyEvents: keyEvents, endpoints: endpoints,
                      tlsPin: json["tls_spki_sha256"]?.string, signature: try Endorsement(json: signature))
    }

    /// How this node is named in `peers list`, `sync --peer` and logs.
    public var id: String { node ?? agency }

    /// Replays the key events from the root that `trust` pins for this agency and
    /// checks the descriptor's own signature with the agency's keys that result;
    /// returns the agency's trust so derived. Throws the first thing that does not hold.
    public func verified(by pins: Trust) throws -> Trust {
        guard pins.agencies[agency]?.root == root.fingerprint else {
            throw RosterError(.untrustedAgency, "the descriptor of \(agency) names root key sha256 \(root.fingerprint), which this node has not pinned for \(agency): "
                + "it is not the agency this node trusts (roster agency show lists the pinned root)")
        }
        var trust = Trust()
        trust.pin(agency, root: root.fingerprint)
        var previous: [UInt8]?
        for event in keyEvents {
            guard event.operation.prev == previous else {
                throw RosterError(.badInput, "key event \(event.dot) does not follow the one before it in the descriptor")
            }
            if let refusal = trust.refusal(of: event, checkedKey: nil) { throw RosterError(refusal.code, "the descriptor's \(refusal.reason)") }
            _ = trust.apply(event.operation)
            previous = event.hash
        }
        guard let keys = trust.agencies[agency]?.keys, keys.keys.contains(signature.key),
            (try? signature.key.isValidSignature(signature.signature, for: CanonicalJSON.encode(unsignedJSON))) == true
        else {
            throw RosterError(.badSignature, "the descriptor of \(agency) is not signed by one of the agency's current keys")
        }
        return trust
    }
}
