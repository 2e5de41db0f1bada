import Crypto

/// An operation with its signature, in the canonical bytes that are stored,
/// exchanged and hashed. Parsing checks form; `verify` checks the signer.
public struct SignedOperation: Hashable, Sendable {
    public let operation: Operation
    public let signature: [UInt8]
    /// RFC 8785 canonical JSON of the whole signed operation.
    public let bytes: [UInt8]
    /// SHA-256 of `bytes`: what the next operation's `prev` and the transparency log name.
    public let hash: [UInt8]

    public var dot: Dot { operation.dot }

    public static func sign(_ operation: Operation, with key: ReplicaKey) -> SignedOperation {
        let signature = key.sign(CanonicalJSON.encode(operation.json))
        return SignedOperation(operation: operation, signature: signature)
    }

    private init(operation: Operation, signature: [UInt8]) {
        self.operation = operation
        self.signature = signature
        guard case .object(var members) = operation.json else { preconditionFailure("an operation encodes as an object") }
        members["sig"] = .string(Base64.encode(signature))
        bytes = CanonicalJSON.encode(.object(members))
        hash = Array(SHA256.hash(data: bytes))
    }

    /// For bytes already known to be the canonical encoding (see `PreparedOperation`).
    init(operation: Operation, signature: [UInt8], bytes: [UInt8]) {
        self.operation = operation
        self.signature = signature
        self.bytes = bytes
        hash = Array(SHA256.hash(data: bytes))
    }

    /// Reads one operation (a line of an `ops` export, a database row, a request body).
    /// The signature is not checked here: call `verify(with:)` before it touches state.
    public init(parsing text: some Collection<UInt8>) throws {
        let json = try JSONParser.parse(text)
        guard let signature = json["sig"]?.string.flatMap(Base64.decode), signature.count == 64 else {
            throw RosterError(.malformedOperation, "sig must be standard base64 of a 64-byte signature")
        }
        self.init(operation: try Operation(json: json), signature: signature)
    }

    /// Checks the signature against the origin's key; throws a reason naming the operation.
    public func verify(with key: PublicKey) throws {
        guard operation.alg == Signature.ed25519 else {
            throw RosterError(.unsupportedAlgorithm, "operation \(dot) uses alg \(operation.alg); this node verifies ed25519 only")
        }
        guard key.isValidSignature(signature, for: CanonicalJSON.encode(operation.json)) else {
            throw RosterError(.badSignature, "operation \(dot) has a signature that does not verify with \(operation.origin)'s key")
        }
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var hashHex: String { Hex.encode(hash) }
}
