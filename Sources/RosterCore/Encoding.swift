import Foundation

/// Lower-case hexadecimal, the form in which SHA-256 values travel in operations.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        write(bytes, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the hex of `bytes` to `output`.
    static func write(_ bytes: some Sequence<UInt8>, to output: inout [UInt8]) {
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
    }

    /// Accepts lower-case only: a hash has one spelling on the wire.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func value(_ byte: UInt8) -> UInt8? {
        digit(byte, upperCase: false)
    }

    /// The value of one hex digit: lower case only where a value has one spelling
    /// (hashes), either case where the standard allows both (`\u` escapes, `%` escapes).
    static func digit(_ byte: UInt8, upperCase: Bool) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where upperCase: return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    public static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && decode(text) != nil
    }
}

/// Standard base64 with padding (RFC 4648 section 4), as `sig` and keys use.
/// One spelling only: `decode` takes exactly what `encode` writes (padding, and
/// zero bits past the data), so a signature has one form on the wire.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(value) }
        return values
    }()

    /// The length of the base64 of `count` bytes, padding included.
    public static func length(of count: Int) -> Int { (count + 2) / 3 * 4 }

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        write(Array(bytes), to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the encoding of `bytes` to `output`.
    static func write(_ bytes: [UInt8], to output: inout [UInt8]) {
        output.reserveCapacity(output.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { output.append(alphabet[Int(group >> shift & 0x3F)]) }
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let group = UInt32(bytes[index]) << 16
            output += [alphabet[Int(group >> 18 & 0x3F)], alphabet[Int(group >> 12 & 0x3F)], UInt8(ascii: "="), UInt8(ascii: "=")]
        case 2:
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output += [alphabet[Int(group >> 18 & 0x3F)], alphabet[Int(group >> 12 & 0x3F)], alphabet[Int(group >> 6 & 0x3F)], UInt8(ascii: "=")]
        default:
            break
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 4 == 0 else { return nil }
        let padding = utf8.reversed().prefix(2).prefix { $0 == UInt8(ascii: "=") }.count
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 4 * 3)
        var group: UInt32 = 0
        for (position, byte) in utf8.enumerated() {
            let value: UInt8
            if position >= utf8.count - padding {
                value = 0
            } else {
                value = values[Int(byte)]
                guard value != 0xFF else { return nil }
            }
            group = group << 6 | UInt32(value)
            if position % 4 == 3 {
                output += [UInt8(truncatingIfNeeded: group >> 16), UInt8(truncatingIfNeeded: group >> 8), UInt8(truncatingIfNeeded: group)]
                group = 0
            }
        }
        guard padding > 0 else { return output }
        // The bits past the data are zero in the one spelling `encode` writes.
        let last = values[Int(utf8[utf8.count - padding - 1])]
        guard last & (padding == 1 ? 0x03 : 0x0F) == 0 else { return nil }
        output.removeLast(padding)
        return output
    }
}
