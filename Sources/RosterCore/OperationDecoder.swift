/// Reads a replica's operation from its canonical bytes straight into
/// `SignedOperation`, without a JSON tree: the hot path of every stored row,
/// sync page, ops export and audit.
///
/// It shares its lexical rules with `JSONParser` (`JSONScanner`) and its
/// operation rules with it too (`Operation(members:)`), and accepts only when
/// re-encoding what it read gives back the very bytes it was handed. So it can
/// never accept what the tree reader would refuse: anything else (another
/// spelling, a key event, a refusal to explain) returns nil, and the caller
/// reads the bytes with the tree, whose answer and reason stand. A test fuzzes
/// the two against each other.
struct OperationDecoder {
    private var scanner: JSONScanner

    /// The operation, or nil where only the tree reader can answer.
    static func decode(_ bytes: [UInt8]) -> SignedOperation? {
        var decoder = OperationDecoder(scanner: JSONScanner(bytes))
        return try? decoder.operation()
    }

    private struct Unsupported: Error {}

    private mutating func operation() throws -> SignedOperation {
        var members = OperationMembers()
        var signature: [UInt8]?
        guard scanner.next == UInt8(ascii: "{") else { throw Unsupported() }
        try scanner.open()
        repeat {
            guard scanner.next == UInt8(ascii: "\"") else { throw Unsupported() }
            let name = try scanner.string()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            if name == "sig" {
                guard scanner.next == UInt8(ascii: "\""), let decoded = Base64.decode(try scanner.string()),
                      (1...Suite.maximumSignatureSize).contains(decoded.count)
                else { throw Unsupported() }
                signature = decoded
                continue
            }
            // Key events (`sigs`, `keys`) and unknown members are the tree's to read.
            guard let known = OperationMembers.Name.named[name], known != .keys, members[known] == nil else { throw Unsupported() }
            members[known] = try value(flatObject: known == .resource || known == .basis || known == .clock)
        } while scanner.take(UInt8(ascii: ","))
        guard scanner.take(UInt8(ascii: "}")), scanner.isAtEnd, let signature else { throw Unsupported() }
        let operation = try Operation(members: members)
        guard !operation.isKeyEvent else { throw Unsupported() }
        let encoding = operation.canonicalEncoding(signature: signature)
        guard encoding.bytes == scanner.bytes else { throw Unsupported() }
        return SignedOperation(operation: operation, signature: signature, bytes: encoding.bytes, signatureMember: encoding.signatureMember)
    }

    /// A scalar, or an object of scalars (a resource, a basis, a clock).
    private mutating func value(flatObject: Bool) throws -> JSON {
        guard let byte = scanner.next else { throw Unsupported() }
        switch byte {
        case UInt8(ascii: "\""): return .string(try scanner.string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try scanner.number()
        case UInt8(ascii: "t"): try scanner.expect(word: "true"); return .bool(true)
        case UInt8(ascii: "n"): try scanner.expect(word: "null"); return .null
        case UInt8(ascii: "{") where flatObject:
            try scanner.open()
            defer { scanner.close() }
            var members: [String: JSON] = [:]
            if scanner.take(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                guard scanner.next == UInt8(ascii: "\"") else { throw Unsupported() }
                let name = try scanner.string()
                try scanner.expect(UInt8(ascii: ":"), "':'")
                guard members.updateValue(try value(flatObject: false), forKey: name) == nil else { throw Unsupported() }
            } while scanner.take(UInt8(ascii: ","))
            guard scanner.take(UInt8(ascii: "}")) else { throw Unsupported() }
            return .object(members)
        default: throw Unsupported()
        }
    }
}
