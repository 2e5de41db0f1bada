/// A strict RFC 8259 parser for bytes that come from files and peers:
/// duplicate member names, trailing data and lone surrogates are refused,
/// because two readers must never see two different operations in one text.
/// The lexical rules are `JSONScanner`'s; this builds the tree.
public struct JSONParser {
    private var scanner: JSONScanner

    public static func parse(_ text: String) throws -> JSON {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSON {
        var parser = JSONParser(scanner: JSONScanner(Array(bytes)))
        parser.scanner.skipWhitespace()
        let value = try parser.value()
        parser.scanner.skipWhitespace()
        guard parser.scanner.isAtEnd else { throw parser.scanner.error("unexpected data after the JSON value") }
        return value
    }

    private mutating func value() throws -> JSON {
        guard let byte = scanner.next else { throw scanner.error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try scanner.string())
        case UInt8(ascii: "t"): try scanner.expect(word: "true"); return .bool(true)
        case UInt8(ascii: "f"): try scanner.expect(word: "false"); return .bool(false)
        case UInt8(ascii: "n"): try scanner.expect(word: "null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try scanner.number()
        default: throw scanner.error("unexpected character")
        }
    }

    private mutating func object() throws -> JSON {
        try scanner.open()
        defer { scanner.close() }
        var members: [String: JSON] = [:]
        if scanner.take(UInt8(ascii: "}")) { return .object(members) }
        while true {
            scanner.skipWhitespace()
            guard scanner.next == UInt8(ascii: "\"") else { throw scanner.error("expected a member name") }
            let key = try scanner.string()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            scanner.skipWhitespace()
            let value = try value()
            guard members.updateValue(value, forKey: key) == nil else { throw scanner.error("duplicate member \"\(key)\"") }
            scanner.skipWhitespace()
            guard !scanner.isAtEnd else { throw scanner.error("unterminated object") }
            if scanner.take(UInt8(ascii: ",")) { continue }
            if scanner.take(UInt8(ascii: "}")) { return .object(members) }
            throw scanner.error("expected ',' or '}'")
        }
    }

    private mutating func array() throws -> JSON {
        try scanner.open()
        defer { scanner.close() }
        var elements: [JSON] = []
        if scanner.take(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            scanner.skipWhitespace()
            elements.append(try value())
            scanner.skipWhitespace()
            guard !scanner.isAtEnd else { throw scanner.error("unterminated array") }
            if scanner.take(UInt8(ascii: ",")) { continue }
            if scanner.take(UInt8(ascii: "]")) { return .array(elements) }
            throw scanner.error("expected ',' or ']'")
        }
    }
}
