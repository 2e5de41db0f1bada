import Crypto

/// An operation with its signature, in the canonical bytes that are stored,
/// exchanged and hashed. Parsing checks form; `verify` checks the signer.
public struct SignedOperation: Hashable, Sendable {
    public let operation: Operation
    /// The replica's signature (`sig`); empty for a key event.
    public let signature: [UInt8]
    /// The agency keys' signatures on a key event (`sigs`); empty for a replica's operation.
    public let endorsements: [Endorsement]
    /// RFC 8785 canonical JSON of the whole signed operation.
    public let bytes: [UInt8]
    /// SHA-256 of `bytes` (of a key event: without `sigs`): what the next operation's
    /// `prev` and the transparency log name.
    public let hash: [UInt8]
    /// Where `,"sig":"…"` sits in `bytes`; nil for a key event.
    let signatureMember: Range<Int>?

    public var dot: Dot { operation.dot }

    /// Largest operation in bytes of canonical JSON, made or read: a node never makes
    /// what its peers would refuse, and a reader refuses before it parses. One byte
    /// under 64 KiB, so that every operation fits a log entry bundle (C2SP
    /// `tlog-tiles`), whose lengths are 16-bit.
    public static let maximumSize = (64 << 10) - 1

    /// Signs with `key`, whose suite becomes the operation's `alg`: what it signs
    /// names the suite it is signed with.
    public static func sign(_ operation: Operation, with key: ReplicaKey) throws -> SignedOperation {
        var operation = operation
        operation.alg = key.suite.rawValue
        let signature = try key.sign(operation.canonicalBytes())
        let encoding = operation.canonicalEncoding(signature: signature)
        return SignedOperation(operation: operation, signature: signature, bytes: encoding.bytes, signatureMember: encoding.signatureMember)
    }

    /// Refuses to make an operation larger than peers accept, naming what to shorten.
    public static func checkSize(_ size: Int, line: Int? = nil) throws {
        guard size > maximumSize else { return }
        throw RosterError(.invalidField, (line.map { "line \($0): " } ?? "")
            + "the operation would be \(size) bytes, more than the \(maximumSize) peers accept: shorten the value, note or evidence")
    }

    /// Signs a key event of the agency origin with every key given: the keys that
    /// must agree (the threshold, and for a rotation the new keys too) sign together.
    /// Its `alg` is the suite of the agency's keys after it: a rotation's new keys'.
    public static func sign(_ operation: Operation, with keys: [AgencyKey]) throws -> SignedOperation {
        var operation = operation
        if case .rotate(let set) = operation.payload {
            operation.alg = set.suite.rawValue
        } else if let first = keys.first {
            operation.alg = first.suite.rawValue
        }
        let message = operation.canonicalBytes()
        let endorsements = try keys.map { Endorsement(key: $0.publicKey, signature: try $0.sign(message)) }
        return SignedOperation(operation: operation, endorsements: endorsements)
    }

    init(operation: Operation, endorsements: [Endorsement]) {
        let sorted = Array(Set(endorsements)).sorted { $0.key.base64.utf8.lexicographicallyPrecedes($1.key.base64.utf8) }
        guard case .object(var members) = operation.json else { preconditionFailure("an operation encodes as an object") }
        members["sigs"] = .array(sorted.map(\.json))
        self.init(operation: operation, signature: [], endorsements: sorted, bytes: CanonicalJSON.encode(.object(members)), signatureMember: nil)
    }

    /// For bytes already known to be the canonical encoding (see `PreparedOperation`).
    /// A key event is named by what it says, not by who signed it: its hash leaves
    /// `sigs` out, so that another set of valid signatures on the same event is the
    /// same event, never a second history a relay could forge.
    init(operation: Operation, signature: [UInt8], endorsements: [Endorsement] = [], bytes: [UInt8], signatureMember: Range<Int>?) {
        self.operation = operation
        self.signature = signature
        self.endorsements = endorsements
        self.bytes = bytes
        self.signatureMember = signatureMember
        hash = Array(SHA256.hash(data: operation.isKeyEvent ? operation.canonicalBytes() : bytes))
    }

    /// Reads one operation (a line of an `ops` export, a database row, a request body).
    /// The signature is not checked here: call `verify(with:)` before it touches state.
    public init(parsing text: some Collection<UInt8>) throws {
        let bytes = Array(text)
        try Self.refuseOversized(bytes)
        if let decoded = OperationDecoder.decode(bytes) {
            self = decoded
        } else {
            try self.init(parsingTree: bytes)
        }
    }

    /// A reader refuses before it parses what no peer may send.
    private static func refuseOversized(_ text: [UInt8]) throws {
        guard text.count <= maximumSize else {
            throw RosterError(.malformedOperation, "an operation is \(text.count) bytes, more than the \(maximumSize) an operation may have")
        }
    }

    /// The reader of any spelling and of key events, through a JSON tree: what
    /// `OperationDecoder` hands over to, and the reference it is fuzzed against.
    init(parsingTree text: [UInt8]) throws {
        try Self.refuseOversized(text)
        let json = try JSONParser.parse(text)
        if let origin = json["origin"]?.string, Origin.isAgencyOrigin(origin) {
            try self.init(keyEvent: json, text: text)
            return
        }
        guard json["sigs"] == nil else { throw RosterError(.malformedOperation, "sigs signs key events only: a replica's operation has sig") }
        guard let sig = json["sig"]?.string, sig.utf8.count <= Base64.length(of: Suite.maximumSignatureSize),
              let signature = Base64.decode(sig), (1...Suite.maximumSignatureSize).contains(signature.count) else {
            throw RosterError(.malformedOperation, "sig must be standard base64 of a signature of at most \(Suite.maximumSignatureSize) bytes")
        }
        let operation = try Operation(json: json, checkingNormalForm: false)
        let encoding = operation.canonicalEncoding(signature: signature)
        // One spelling only: what we would write must be what was signed. Canonical
        // input (every export) is checked byte for byte; anything else member by member.
        if encoding.bytes != text {
            guard case .object(var members) = json else { throw RosterError(.malformedOperation, "an operation must be a JSON object") }
            members["sig"] = nil
            guard operation.json == .object(members) else {
                throw RosterError(.malformedOperation, "operation \(operation.dot) is not in normal form (a field is not normalised)")
            }
        }
        self.init(operation: operation, signature: signature, bytes: encoding.bytes, signatureMember: encoding.signatureMember)
    }

    private init(keyEvent json: JSON, text: [UInt8]) throws {
        guard json["sig"] == nil, let list = json["sigs"]?.array, (1...AgencyKeys.maximumKeys).contains(list.count) else {
            throw RosterError(.malformedOperation, "a key event carries sigs: 1 to \(AgencyKeys.maximumKeys) agency keys' signatures, and no sig")
        }
        let endorsements = try list.map(Endorsement.init(json:))
        guard Set(endorsements.map(\.key)).count == endorsements.count else {
            throw RosterError(.malformedOperation, "a key event's sigs name each key once")
        }
        let operation = try Operation(json: json)
        self.init(operation: operation, endorsements: endorsements)
        guard bytes == text || (try? JSONParser.parse(bytes)) == json else {
            throw RosterError(.malformedOperation, "operation \(operation.dot) is not in normal form (sigs out of order)")
        }
    }

    /// Checks a key event's signatures: every one is by a key of `current` or of the
    /// keys a rotation names and verifies (nothing else may ride along), at least
    /// `current.threshold` are by current keys, and a rotation is signed by every key
    /// it names, so that no key is made the agency's without its holder. The agency's
    /// first event has no current keys: its own keys sign it, all of them.
    /// Its `alg` must be the suite of the agency's keys after it: a rotation's new
    /// keys', or else the current keys'.
    public func verify(endorsedBy current: AgencyKeys?) throws {
        try checkEndorsers(current: current)
        let message = operation.canonicalBytes()
        for endorsement in endorsements {
            guard try endorsement.key.isValidSignature(endorsement.signature, for: message) else {
                throw RosterError(.badSignature, "key event \(dot) carries a signature by \(endorsement.key.fingerprint) that does not verify")
            }
        }
    }

    /// What `verify(endorsedBy:)` checks but the signatures themselves: the suite
    /// named, who signed, how many. A node that cannot verify the suite still
    /// refuses a key event that fails these.
    public func checkEndorsers(current: AgencyKeys?) throws {
        var new: [PublicKey] = []
        var suite = current?.suite
        if case .rotate(let keys) = operation.payload {
            new = keys.keys
            suite = keys.suite
        }
        if let suite, operation.alg != suite.rawValue {
            throw RosterError(.badSignature, "key event \(dot) says alg \(Text.printable(operation.alg, limit: 40)), and the agency's keys are \(suite.rawValue): forged")
        }
        let allowed = Set((current?.keys ?? []) + new)
        for endorsement in endorsements {
            guard allowed.contains(endorsement.key) else {
                throw RosterError(.badSignature, "key event \(dot) carries a signature by \(endorsement.key.fingerprint), which is not one of the agency's keys")
            }
            guard endorsement.key.suite.signatureSizes.contains(endorsement.signature.count) else {
                throw RosterError(.badSignature, "key event \(dot) carries a signature of \(endorsement.signature.count) bytes by a \(endorsement.key.suite.rawValue) key, which signs \(endorsement.key.suite.signatureSizes) bytes")
            }
        }
        let signed = Set(endorsements.map(\.key))
        if let current {
            let signers = current.keys.filter(signed.contains).count
            guard signers >= current.threshold else {
                throw RosterError(.badSignature, "key event \(dot) carries signatures of \(signers) of the current agency keys, and needs \(current.threshold)")
            }
        }
        if let unsigned = new.first(where: { !signed.contains($0) }) {
            throw RosterError(.badSignature, "rotate \(dot) names key \(unsigned.fingerprint), which did not sign it: every new key signs its rotation")
        }
    }

    /// Checks the signature against the origin's key; throws a reason naming the
    /// operation. An `alg` other than the key's suite is a forgery: the suite is
    /// signed, so that no signature is read under another suite's rules.
    public func verify(with key: PublicKey) throws {
        guard operation.alg == key.suite.rawValue else {
            throw RosterError(.badSignature, "operation \(dot) says alg \(Text.printable(operation.alg, limit: 40)), and \(operation.origin)'s key is \(key.suite.rawValue): forged")
        }
        guard try key.isValidSignature(signature, for: message) else {
            throw RosterError(.badSignature, "operation \(dot) has a signature that does not verify with \(operation.origin)'s key")
        }
    }

    /// The signed message: the canonical bytes without the `sig` member.
    public var message: [UInt8] {
        guard let signatureMember else { return operation.canonicalBytes() }
        var message = bytes
        message.removeSubrange(signatureMember)
        return message
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var hashHex: String { Hex.encode(hash) }
}
