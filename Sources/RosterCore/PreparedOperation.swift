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
    static let placeholderSignature = [UInt8](repeating: 0, count: 64)

    /// Encodes `operation` ignoring its `prev`, which `sign` supplies.
    public init(_ operation: Operation) {
        var draft = operation
        draft.prev = operation.seq > 1 ? Self.zeroHash : nil
        self.operation = draft
        message = draft.canonicalBytes()
        let encoding = draft.canonicalEncoding(signature: Self.placeholderSignature)
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

    /// Bytes of the signed operation: the placeholders have the final lengths.
    public var size: Int { signed.count }

    /// Fills in the chain link and signs; the result is byte for byte what
    /// `SignedOperation.sign` gives for the same operation. The template is
    /// Ed25519's, whose signatures have one length; a key of another suite signs
    /// the operation whole.
    public func sign(prev: [UInt8]?, with key: ReplicaKey) throws -> SignedOperation {
        guard key.suite == .ed25519 else {
            var operation = self.operation
            operation.prev = prev
            let signed = try SignedOperation.sign(operation, with: key)
            try SignedOperation.checkSize(signed.bytes.count)
            return signed
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
        signed.replaceSubrange(end - value.count..<end, with: value)
        return SignedOperation(operation: operation, signature: signature, bytes: signed, signatureMember: signatureMember)
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
