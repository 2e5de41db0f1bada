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
    let sigOffset: Int

    static let zeroHash = [UInt8](repeating: 0, count: 32)
    static let placeholderSignature = [UInt8](repeating: 0, count: 64)

    /// Encodes `operation` ignoring its `prev`, which `sign` supplies.
    public init(_ operation: Operation) {
        var draft = operation
        draft.prev = operation.seq > 1 ? Self.zeroHash : nil
        self.operation = draft
        message = draft.canonicalBytes()
        // `sig` sorts right before `target` (amend, revoke) or else `time`: splice it in there.
        // Strings escape their quotes, so `,"time":"` is found only where it is a member.
        let next = draft.target != nil ? ",\"target\":\"" : ",\"time\":\""
        let at = Self.offset(of: Array(next.utf8), in: message) + 1
        signed = Array(message[..<at]) + Array("\"sig\":\"\(Base64.encode(Self.placeholderSignature))\",".utf8) + Array(message[at...])
        let prevPattern = Array("\"prev\":\"\(Hex.encode(Self.zeroHash))\"".utf8)
        if draft.prev != nil {
            prevOffsets = (Self.offset(of: prevPattern, in: message) + 8, Self.offset(of: prevPattern, in: signed) + 8)
        } else {
            prevOffsets = nil
        }
        sigOffset = Self.offset(of: Array("\"sig\":\"".utf8), in: signed) + 7
    }

    /// Bytes of the signed operation: the placeholders have the final lengths.
    public var size: Int { signed.count }

    /// Fills in the chain link and signs; the result is byte for byte what
    /// `SignedOperation.sign` gives for the same operation.
    public func sign(prev: [UInt8]?, with key: ReplicaKey) -> SignedOperation {
        var message = self.message
        var signed = self.signed
        var operation = self.operation
        if let prevOffsets, let prev {
            let hex = Array(Hex.encode(prev).utf8)
            message.replaceSubrange(prevOffsets.message..<prevOffsets.message + 64, with: hex)
            signed.replaceSubrange(prevOffsets.signed..<prevOffsets.signed + 64, with: hex)
            operation.prev = prev
        }
        let signature = key.sign(message)
        signed.replaceSubrange(sigOffset..<sigOffset + 88, with: Array(Base64.encode(signature).utf8))
        return SignedOperation(operation: operation, signature: signature, bytes: signed)
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
