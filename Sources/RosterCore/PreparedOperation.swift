/// An operation encoded ahead of time, on any core, with placeholders where the
/// previous hash and the signature go. A replica's chain makes signing sequential;
/// preparing first leaves only the signature and two copies on the sequential path.
public struct PreparedOperation: Sendable {
    let operation: Operation
    /// Canonical JSON without `sig`, with a zero `prev`.
    var message: [UInt8]
    /// Canonical JSON with a placeholder `sig` and a zero `prev`.
    var signed: [UInt8]
    let prevOffsets: (message: Int, signed: Int)?
    /// Where `,"sig":"…"` sits in `signed`.
    let signatureMember: Range<Int>

    static let zeroHash = [UInt8](repeating: 0, count: 32)
    /// The largest signature of the operation's suite: `size` is never less than
    /// the signed operation's, whatever length its signature has.
    let placeholderSize: Int

    /// Encodes `operation` ignoring its `prev`, which `sign` supplies; its `alg`
    /// must be the suite of the key that will sign it.
    public init(_ operation: Operation) {
        var draft = operation
        draft.prev = operation.seq > 1 ? Self.zeroHash : nil
        self.operation = draft
        placeholderSize = (Suite(rawValue: operation.alg) ?? .ed25519).signatureSizes.upperBound
        message = draft.canonicalBytes()
        let encoding = draft.canonicalEncoding(signature: [UInt8](repeating: 0, count: placeholderSize))
        signed = encoding.bytes
        // A replica's operation always has a `sig` member once given a signature.
        guard let signatureMember = encoding.signatureMember else { preconditionFailure("a replica's operation has a sig member") }
        self.signatureMember = signatureMember
        let prevMember = Array("\"prev\":\"".utf8)
        if draft.prev != nil {
            let pattern = prevMember + Array(Hex.encode(Self.zeroHash).utf8)
            prevOffsets = (Self.offset(of: pattern, in: message) + prevMember.count, Self.offset(of: pattern, in: signed) + prevMember.count)
        } else {
            prevOffsets = nil
        }
    }

    /// Bytes of the signed operation, or at most that: the placeholders have the
    /// final lengths but for a signature shorter than its suite's longest (ECDSA's).
    public var size: Int { signed.count }

    /// Fills in the chain link and signs; the result is byte for byte what
    /// `SignedOperation.sign` gives for the same operation and signature.
    public func sign(prev: [UInt8]?, with key: ReplicaKey) throws -> SignedOperation {
        guard key.suite.rawValue == operation.alg else {
            throw RosterError(.badKey, "an operation prepared for \(Text.printable(operation.alg, limit: 40)) is signed with a \(key.suite.rawValue) key")
        }
        var message = self.message
        var signed = self.signed
        var operation = self.operation
        if let prevOffsets, let prev {
            let hex = Array(Hex.encode(prev).utf8)
            message.replaceSubrange(prevOffsets.message..<prevOffsets.message + hex.count, with: hex)
            signed.replaceSubrange(prevOffsets.signed..<prevOffsets.signed + hex.count, with: hex)
            operation.prev = prev
        }
        let signature = try key.sign(message)
        // The member ends with the signature's base64 and its closing quote.
        let value = Array(Base64.encode(signature).utf8)
        let end = signatureMember.upperBound - 1
        let placeholder = Base64.length(of: placeholderSize)
        signed.replaceSubrange(end - placeholder..<end, with: value)
        let member = signatureMember.lowerBound..<signatureMember.upperBound - placeholder + value.count
        return SignedOperation(operation: operation, signature: signature, bytes: signed, signatureMember: member)
    }

    static func offset(of pattern: [UInt8], in bytes: [UInt8]) -> Int {
        // Strings in canonical JSON escape their quotes, so the member's key is found only where it is a key.
        var index = 0
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] && bytes[index..<index + pattern.count].elementsEqual(pattern) { return index }
            index += 1
        }
        preconditionFailure("the member is in the encoding")
    }
}
