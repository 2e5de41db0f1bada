/// What one agency's node publishes so that others accept the agency's operations
/// and reach the node: the agency's replicas and their keys, the node's HTTPS
/// endpoint and the SHA-256 of its TLS public key. Files of this form live in
/// `Peers/`; exchanged out of band.
public struct PeerDescriptor: Hashable, Sendable {
    public struct Replica: Hashable, Sendable {
        public let origin: String
        public let key: PublicKey
        public init(origin: String, key: PublicKey) {
            self.origin = origin
            self.key = key
        }
    }

    public let agency: String
    /// The origin of the replica that runs the node at `endpoints`: two nodes of one
    /// agency are two peers. Absent in a descriptor that only makes keys known.
    public let node: String?
    public let name: String?
    public let jurisdiction: String?
    public let replicas: [Replica]
    /// `https://host:port` of the agency's node; empty for an agency that is not synced with.
    public let endpoints: [String]
    /// Lower-case hex SHA-256 of the node's TLS SubjectPublicKeyInfo: mutual TLS
    /// accepts this key and no other, in place of a hostname check.
    public let tlsPin: String?

    public init(agency: String, node: String? = nil, name: String?, jurisdiction: String?, replicas: [Replica],
                endpoints: [String] = [], tlsPin: String? = nil) throws {
        guard Origin.isValidAgency(agency) else {
            throw RosterError(.invalidField, "agency \"\(agency)\" is not an id like kz-mvd")
        }
        for replica in replicas where !Origin.isValid(replica.origin) || Origin.agency(of: replica.origin) != agency {
            throw RosterError(.invalidField, "replica \(replica.origin) is not an origin of agency \(agency)")
        }
        guard !replicas.isEmpty else { throw RosterError(.invalidField, "a peer descriptor names at least one replica") }
        if let node, !replicas.contains(where: { $0.origin == node }) {
            throw RosterError(.invalidField, "node \(node) is not one of the descriptor's replicas")
        }
        for endpoint in endpoints where Endpoint(endpoint) == nil {
            throw RosterError(.invalidField, "endpoint \"\(endpoint)\" is not https://host:port")
        }
        if let tlsPin, !Hex.isSHA256(tlsPin) {
            throw RosterError(.invalidField, "tls_spki_sha256 must be a SHA-256 in lower-case hex")
        }
        guard endpoints.isEmpty || tlsPin != nil else {
            throw RosterError(.invalidField, "a descriptor with endpoints needs tls_spki_sha256: peers are reached by pin")
        }
        self.endpoints = endpoints
        self.tlsPin = tlsPin
        self.agency = agency
        self.node = node
        self.name = name
        self.jurisdiction = jurisdiction
        self.replicas = replicas
    }

    public var json: JSON {
        var members: [String: JSON] = [
            "v": 1, "agency": .string(agency),
            "replicas": .array(replicas.map { ["origin": .string($0.origin), "alg": .string(Signature.ed25519), "key": .string($0.key.base64)] }),
        ]
        if let node { members["node"] = .string(node) }
        if let name { members["name"] = .string(name) }
        if let jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
        if !endpoints.isEmpty { members["endpoints"] = .array(endpoints.map(JSON.string)) }
        if let tlsPin { members["tls_spki_sha256"] = .string(tlsPin) }
        return .object(members)
    }

    public init(json: JSON) throws {
        guard json["v"] == 1, let agency = json["agency"]?.string, case .array(let list)? = json["replicas"] else {
            throw RosterError(.badInput, "a peer descriptor needs v 1, agency and replicas")
        }
        let replicas = try list.map { item -> Replica in
            guard let origin = item["origin"]?.string, let key = item["key"]?.string else {
                throw RosterError(.badInput, "each replica needs origin and key")
            }
            let alg = item["alg"]?.string ?? Signature.ed25519
            guard alg == Signature.ed25519 else {
                throw RosterError(.unsupportedAlgorithm, "replica \(origin) uses alg \(alg); this node verifies ed25519 only")
            }
            return Replica(origin: origin, key: try PublicKey(base64: key))
        }
        var endpoints: [String] = []
        if let list = json["endpoints"] {
            guard case .array(let items) = list, items.allSatisfy({ $0.string != nil }) else {
                throw RosterError(.badInput, "endpoints must be a list of https URLs")
            }
            endpoints = items.compactMap(\.string)
        }
        try self.init(agency: agency, node: json["node"]?.string, name: json["name"]?.string, jurisdiction: json["jurisdiction"]?.string, replicas: replicas,
                      endpoints: endpoints, tlsPin: json["tls_spki_sha256"]?.string)
    }

    /// How this node is named in `peers list`, `sync --peer` and logs.
    public var id: String { node ?? agency }
}
