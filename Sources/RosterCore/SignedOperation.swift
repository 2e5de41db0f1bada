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

    /// Largest operation in bytes of canonical JSON, made or read: a node never makes
    /// what its peers would refuse, and a reader refuses before it parses.
    public static let maximumSize = 64 << 10

    public static func sign(_ operation: Operation, with key: ReplicaKey) -> SignedOperation {
        let signature = key.sign(operation.canonicalBytes())
        return SignedOperation(operation: operation, signature: signature, bytes: operation.canonicalBytes(signature: signature))
    }

    /// Refuses to make an operation larger than peers accept, naming what to shorten.
    public static func checkSize(_ size: Int, line: Int? = nil) throws {
        guard size > maximumSize else { return }
        throw RosterError(.invalidField, (line.map { "line \($0): " } ?? "")
            + "the operation would be \(size) bytes, more than the \(maximumSize) peers accept: shorten the value, note or evidence")
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
        try self.init(parsingBytes: Array(text))
    }

    init(parsingBytes text: [UInt8]) throws {
        guard text.count <= Self.maximumSize else {
            throw RosterError(.malformedOperation, "an operation is \(text.count) bytes, more than the \(Self.maximumSize) an operation may have")
        }
        let json = try JSONParser.parse(text)
        guard let signature = json["sig"]?.string.flatMap(Base64.decode), signature.count == 64 else {
            throw RosterError(.malformedOperation, "sig must be standard base64 of a 64-byte signature")
        }
        let operation = try Operation(json: json, checkingNormalForm: false)
        let bytes = operation.canonicalBytes(signature: signature)
        // One spelling only: what we would write must be what was signed. Canonical
        // input (every export) is checked byte for byte; anything else member by member.
        if bytes != text {
            guard case .object(var members) = json else { throw RosterError(.malformedOperation, "an operation must be a JSON object") }
            members["sig"] = nil
            guard operation.json == .object(members) else {
                throw RosterError(.malformedOperation, "operation \(operation.dot) is not in normal form (a field is not normalised)")
            }
        }
        self.init(operation: operation, signature: signature, bytes: bytes)
    }

    /// Checks the signature against the origin's key; throws a reason naming the operation.
    public func verify(with key: PublicKey) throws {
        guard operation.alg == Signature.ed25519 else {
            throw RosterError(.unsupportedAlgorithm, "operation \(dot) uses alg \(operation.alg); this node verifies ed25519 only")
        }
        guard key.isValidSignature(signature, for: message) else {
            throw RosterError(.badSignature, "operation \(dot) has a signature that does not verify with \(operation.origin)'s key")
        }
    }

    /// The signed message: the canonical bytes without the `sig` member, cut out of
    /// `bytes` (it is never first or last, and its key appears nowhere else).
    public var message: [UInt8] {
        let marker = Array(",\"sig\":\"".utf8)
        var index = 0
        while index + marker.count <= bytes.count {
            if bytes[index] == marker[0] && bytes[index..<index + marker.count].elementsEqual(marker) {
                return Array(bytes[..<index]) + Array(bytes[(index + marker.count + 89)...])
            }
            index += 1
        }
        return operation.canonicalBytes()
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var hashHex: String { Hex.encode(hash) }
}
