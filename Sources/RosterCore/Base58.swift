import Crypto

/// Base58 as Bitcoin writes it (and Tron after it): a big number in the alphabet
/// without 0, O, I and l, each leading zero byte a leading "1". Base58Check adds the
/// first four bytes of SHA-256(SHA-256(payload)).
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// Nil for a character outside the alphabet. Quadratic in the length: callers bound it.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var zeros = 0
        var leading = true
        for character in text.utf8 {
            guard character < 128, case let value = values[Int(character)], value >= 0 else { return nil }
            if leading && value == 0 {
                zeros += 1
                continue
            }
            leading = false
            // bytes = bytes * 58 + value, big-endian.
            var carry = Int(value)
            for index in bytes.indices.reversed() {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [UInt8] = []
        for byte in bytes.dropFirst(zeros) {
            var carry = Int(byte)
            for index in digits.indices.reversed() {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.insert(UInt8(carry % 58), at: 0)
                carry /= 58
            }
        }
        return String(decoding: [UInt8](repeating: alphabet[0], count: zeros) + digits.map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// The payload of a Base58Check text; nil if the text is not Base58, `.failure` if the checksum does not match.
    public static func decodeChecked(_ text: String) -> Result<[UInt8], ChecksumMismatch>? {
        guard let bytes = decode(text), bytes.count > 4 else { return nil }
        let payload = Array(bytes.dropLast(4))
        return Array(bytes.suffix(4)) == checksum(payload) ? .success(payload) : .failure(ChecksumMismatch())
    }

    public static func checksum(_ payload: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array(SHA256.hash(data: payload))).prefix(4))
    }

    public struct ChecksumMismatch: Error {}
}
