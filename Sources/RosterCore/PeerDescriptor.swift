/// What one agency publishes so that others accept its operations: its replicas
/// and their keys. Files of this form live in `Peers/`; exchanged out of band.
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
    public let name: String?
    public let jurisdiction: String?
    public let replicas: [Replica]

    public init(agency: String, name: String?, jurisdiction: String?, replicas: [Replica]) throws {
        guard Origin.isValidAgency(agency) else {
            throw RosterError(.invalidField, "agency \"\(agency)\" is not an id like kz-mvd")
        }
        for replica in replicas where !Origin.isValid(replica.origin) || Origin.agency(of: replica.origin) != agency {
            throw RosterError(.invalidField, "replica \(replica.origin) is not an origin of agency \(agency)")
        }
        guard !replicas.isEmpty else { throw RosterError(.invalidField, "a peer descriptor names at least one replica") }
        self.agency = agency
        self.name = name
        self.jurisdiction = jurisdiction
        self.replicas = replicas
    }

    public var json: JSON {
        var members: [String: JSON] = [
            "v": 1, "agency": .string(agency),
            "replicas": .array(replicas.map { ["origin": .string($0.origin), "alg": .string(Signature.ed25519), "key": .string($0.key.base64)] }),
        ]
        if let name { members["name"] = .string(name) }
        if let jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
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
        try self.init(agency: agency, name: json["name"]?.string, jurisdiction: json["jurisdiction"]?.string, replicas: replicas)
    }
}
