/// The lexical rules of RFC 8259 as Roster reads other people's bytes, written
/// once for the two readers built on them: `JSONParser`, which builds a tree of
/// any document, and `OperationDecoder`, which reads an operation straight into
/// its typed fields. Lone surrogates, control characters, invalid UTF-8 and
/// nesting past `maximumDepth` are refused; integers stay exact.
struct JSONScanner {
    let bytes: [UInt8]
    private(set) var index = 0
    private var depth = 0
    static let maximumDepth = 64

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    /// The byte under the cursor, or nil at the end.
    var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    func error(_ reason: String) -> RosterError {
        RosterError(.malformedJSON, "malformed JSON at byte \(index): \(reason)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    /// Consumes `byte` after any whitespace, if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard next == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard take(byte) else { throw error("expected \(what)") }
    }

    mutating func expect(word: String) throws {
        for byte in word.utf8 {
            guard next == byte else { throw error("expected \(word)") }
            index += 1
        }
    }

    /// Enters an object or array at the cursor, refusing nesting past the bound.
    mutating func open() throws {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
        index += 1
    }

    mutating func close() { depth -= 1 }

    /// A string at the cursor (which is on its opening quote), unescaped.
    mutating func string() throws -> String {
        index += 1
        var start = index
        var plain: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if plain.isEmpty && start < index, !bytes[start..<index].contains(where: { $0 >= 0x80 }) {
                    // Plain ASCII with no escape, the common case: one copy.
                    let text = String(decoding: bytes[start..<index], as: UTF8.self)
                    index += 1
                    return text
                }
                plain.append(contentsOf: bytes[start..<index])
                index += 1
                break
            }
            if byte < 0x20 { throw error("control character in string") }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            plain.append(contentsOf: bytes[start..<index])
            index += 1
            guard index < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): plain.append(0x22)
            case UInt8(ascii: "\\"): plain.append(0x5C)
            case UInt8(ascii: "/"): plain.append(0x2F)
            case UInt8(ascii: "b"): plain.append(0x08)
            case UInt8(ascii: "f"): plain.append(0x0C)
            case UInt8(ascii: "n"): plain.append(0x0A)
            case UInt8(ascii: "r"): plain.append(0x0D)
            case UInt8(ascii: "t"): plain.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    else { throw error("lone surrogate in string") }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate in string") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw error("lone surrogate in string")
                }
                // Surrogates are excluded above, so every code left is a scalar.
                guard let scalar = Unicode.Scalar(code) else { throw error("lone surrogate in string") }
                plain.append(contentsOf: Array(String(scalar).utf8))
            default: throw error("invalid escape")
            }
            start = index
        }
        guard let text = String(validating: plain, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
        return text
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Hex.digit(bytes[index], upperCase: true) else { throw error("bad hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A number at the cursor: `.integer` when it is written as one and fits 64 bits,
    /// so that a signed count re-encodes exactly; `.double` otherwise.
    mutating func number() throws -> JSON {
        let start = index
        var isInteger = true
        if next == UInt8(ascii: "-") { index += 1 }
        guard let first = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw error("bad number") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            skipDigits()
        }
        if next == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let digits = index
            skipDigits()
            guard index > digits else { throw error("bad fraction") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            let digits = index
            skipDigits()
            guard index > digits else { throw error("bad exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw error("number out of range") }
        return .double(value)
    }

    private mutating func skipDigits() {
        while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
    }
}
