import Crypto

/// An agency's signing keys and how many of them must sign a key event: the root
/// of the agency's identity, apart from the replica keys that sign entries. One key
/// with threshold 1 is the usual set; a threshold above 1 needs several holders to
/// agree, as TUF's root role does.
public struct AgencyKeys: Hashable, Sendable {
    public static let maximumKeys = 16

    /// Sorted by their bytes, without repeats.
    public let keys: [PublicKey]
    public let threshold: Int
    /// Each key's X.509 certificate chain from its national CA (its certificate first,
    /// then intermediates, DER), in the order of `keys`; empty for a key without one.
    public let chains: [[[UInt8]]]

    /// A chain has at most this many certificates, each at most `maximumCertificateSize` bytes.
    public static let maximumChainLength = 4
    public static let maximumCertificateSize = 8 << 10

    public init(_ keys: [PublicKey], threshold: Int = 1, chains: [PublicKey: [[UInt8]]] = [:]) throws {
        let unique = Array(Set(keys)).sorted { $0.raw.lexicographicallyPrecedes($1.raw) }
        // One key written two ways (an RSA key as rsaEncryption and as RSASSA-PSS) is one holder.
        guard unique.count == keys.count, Set(keys.map(\.material)).count == keys.count else {
            throw RosterError(.invalidField, "agency keys must not repeat")
        }
        if let weak = unique.first(where: \.hasSmallOrder) {
            throw RosterError(.badKey, "key \(weak.fingerprint) is an Ed25519 key of small order, for which anyone can make signatures: it cannot be an agency key")
        }
        guard (1...Self.maximumKeys).contains(unique.count) else {
            throw RosterError(.invalidField, "an agency has 1 to \(Self.maximumKeys) keys, not \(keys.count)")
        }
        guard (1...unique.count).contains(threshold) else {
            throw RosterError(.invalidField, "the threshold must be from 1 to the number of keys (\(unique.count)), not \(threshold)")
        }
        guard let suite = unique.first?.suite, unique.allSatisfy({ $0.suite == suite }) else {
            throw RosterError(.invalidField, "an agency's keys are of one suite: rotate to another suite with all its keys")
        }
        if let stranger = chains.keys.first(where: { !unique.contains($0) }) {
            throw RosterError(.invalidField, "a certificate chain is given for key \(stranger.fingerprint), which is not one of the keys")
        }
        for chain in chains.values {
            guard chain.count <= Self.maximumChainLength, chain.allSatisfy({ (1...Self.maximumCertificateSize).contains($0.count) }) else {
                throw RosterError(.invalidField, "a certificate chain has 1 to \(Self.maximumChainLength) certificates of at most \(Self.maximumCertificateSize) bytes each")
            }
        }
        self.keys = unique
        self.threshold = threshold
        self.suite = suite
        self.chains = unique.map { chains[$0] ?? [] }
    }

    /// The certificate chain of `key`, if the key event that named it carried one.
    public func chain(of key: PublicKey) -> [[UInt8]] {
        keys.firstIndex(of: key).map { chains[$0] } ?? []
    }

    /// Whether any key carries a certificate chain: then `chains` is on the wire.
    public var isCertified: Bool { chains.contains { !$0.isEmpty } }

    /// `chains` as the wire carries it: one array of base64 DER per key, in key order.
    public var chainsJSON: JSON { .array(chains.map { .array($0.map { .string(Base64.encode($0)) }) }) }

    /// Reads `chains` as the wire carries it, for `keys` in the order the wire lists them.
    public static func chains(_ json: JSON, keys: [PublicKey]) throws -> [PublicKey: [[UInt8]]] {
        guard let list = json.array, list.count == keys.count else {
            throw RosterError(.malformedOperation, "chains is one array of base64 DER certificates per key, in the order of keys")
        }
        var chains: [PublicKey: [[UInt8]]] = [:]
        for (key, item) in zip(keys, list) {
            guard let certificates = item.array, certificates.count <= maximumChainLength else {
                throw RosterError(.malformedOperation, "a key's chain is an array of at most \(maximumChainLength) base64 DER certificates")
            }
            let chain = try certificates.map { certificate -> [UInt8] in
                guard let text = certificate.string, text.utf8.count <= Base64.length(of: maximumCertificateSize),
                      let der = Base64.decode(text), !der.isEmpty else {
                    throw RosterError(.malformedOperation, "a certificate in chains is base64 of at most \(maximumCertificateSize) bytes of DER")
                }
                return der
            }
            if !chain.isEmpty { chains[key] = chain }
        }
        return chains
    }

    /// The suite of every key: what a key event's `alg` names.
    public let suite: Suite

    public func contains(fingerprint: String) -> Bool { keys.contains { $0.fingerprint == fingerprint } }
}

/// One agency key's signature on a key event (`sigs` on the wire).
public struct Endorsement: Hashable, Sendable {
    public let key: PublicKey
    public let signature: [UInt8]

    public init(key: PublicKey, signature: [UInt8]) {
        self.key = key
        self.signature = signature
    }

    var json: JSON { ["key": .string(key.base64), "sig": .string(Base64.encode(signature))] }

    init(json: JSON) throws {
        guard let key = json["key"]?.string, let text = json["sig"]?.string, text.utf8.count <= Base64.length(of: Suite.maximumSignatureSize),
              let signature = Base64.decode(text), (1...Suite.maximumSignatureSize).contains(signature.count), json.object?.count == 2
        else { throw RosterError(.malformedOperation, "each of sigs is {\"key\": base64 key, \"sig\": base64 signature of at most \(Suite.maximumSignatureSize) bytes}") }
        self.init(key: try PublicKey(base64: key), signature: signature)
    }
}

extension PublicKey {
    /// Lower-case hex SHA-256 of `raw` (an Ed25519 key's 32 bytes, another suite's
    /// SubjectPublicKeyInfo): what an operator compares out of band and pins with `--trust`.
    public var fingerprint: String { Hex.encode(Array(SHA256.hash(data: raw))) }
}

/// Ed25519 keys that sign an agency's key events: the same kind of key as a replica's.
public typealias AgencyKey = ReplicaKey
