/// RFC 8785 (JCS) serialisation: the one byte sequence that every signer and
/// verifier of an operation agrees on, whatever JSON library produced it.
public enum CanonicalJSON {
    public static func encode(_ value: JSON) -> [UInt8] {
        var writer = CanonicalWriter(capacity: 512)
        write(value, to: &writer)
        return writer.bytes
    }

    public static func string(_ value: JSON) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    static func write(_ value: JSON, to writer: inout CanonicalWriter) {
        switch value {
        case .null: writer.literal("null")
        case .bool(let flag): writer.literal(flag ? "true" : "false")
        case .integer(let number): writer.integer(number)
        case .double(let number): writer.literal(ECMAScriptNumber.format(number))
        case .string(let text): writer.string(text)
        case .array(let elements):
            writer.openArray()
            for element in elements {
                writer.element()
                write(element, to: &writer)
            }
            writer.closeArray()
        case .object(let members):
            writer.openObject()
            // RFC 8785 section 3.2.3: member names sorted by their UTF-16 code units.
            // For ASCII names (every name Roster writes) UTF-8 order is the same and cheaper.
            let keys = members.keys.sorted { a, b in
                a.utf8.allSatisfy({ $0 < 0x80 }) && b.utf8.allSatisfy({ $0 < 0x80 })
                    ? a.utf8.lexicographicallyPrecedes(b.utf8) : a.utf16.lexicographicallyPrecedes(b.utf16)
            }
            for key in keys {
                writer.key(key)
                if let member = members[key] { write(member, to: &writer) }
            }
            writer.closeObject()
        }
    }
}

/// ECMAScript's Number.prototype.toString, which RFC 8785 adopts for numbers.
/// Swift's `description` already yields the shortest round-tripping digits;
/// only their layout differs.
enum ECMAScriptNumber {
    static func format(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value < 0 { return "-" + format(-value) }
        // Split Swift's shortest representation into digits and a decimal exponent.
        let text = value.description
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...])!
        }
        var digits = mantissa.replacingOccurrences(".", "")
        let pointPosition = (mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count)
        // value = 0.digits × 10^n, in ECMAScript's terms.
        var n = pointPosition + exponent
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst(); n -= 1 }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let k = digits.count
        if k <= n && n <= 21 { return digits + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 {
            return String(digits.prefix(n)) + "." + String(digits.dropFirst(n))
        }
        if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + digits }
        let sign = n - 1 >= 0 ? "+" : "-"
        let head = String(digits.prefix(1))
        let tail = k > 1 ? "." + String(digits.dropFirst()) : ""
        return head + tail + "e" + sign + String(abs(n - 1))
    }
}

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
