/// Bech32 (BIP 173) and Bech32m (BIP 350): a human-readable part, the separator "1",
/// and 5-bit data ending in a 6-character checksum, all in one case.
public enum Bech32 {
    public enum Encoding: Sendable { case bech32, bech32m }

    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in charset.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// Why a text is not Bech32: the checksum's failure is told apart, for the operator.
    public enum Failure: Error, Equatable {
        case malformed(String)
        case checksum
    }

    /// The part before the separator (lower case), the data without the checksum, and which encoding's checksum holds.
    public static func decode(_ text: String) throws(Failure) -> (hrp: String, data: [UInt8], encoding: Encoding) {
        let bytes = Array(text.utf8)
        guard bytes.count <= 90 else { throw .malformed("longer than 90 characters") }
        guard bytes.allSatisfy({ (33...126).contains($0) }) else { throw .malformed("a character outside printable ASCII") }
        let hasLower = bytes.contains { (97...122).contains($0) }, hasUpper = bytes.contains { (65...90).contains($0) }
        guard !(hasLower && hasUpper) else { throw .malformed("mixed upper and lower case") }
        let lower = bytes.map { (65...90).contains($0) ? $0 + 32 : $0 }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")) else { throw .malformed("no separator 1") }
        guard separator >= 1 else { throw .malformed("no human-readable part before the 1") }
        guard lower.count - separator - 1 >= 6 else { throw .malformed("a checksum shorter than 6 characters") }
        var data: [UInt8] = []
        for character in lower[(separator + 1)...] {
            guard character < 128, case let value = values[Int(character)], value >= 0 else {
                throw .malformed("\"\(Character(Unicode.Scalar(character)))\" is not a Bech32 character")
            }
            data.append(UInt8(value))
        }
        let hrp = Array(lower[..<separator])
        let check = polymod(expand(hrp) + data)
        let encoding: Encoding
        switch check {
        case 1: encoding = .bech32
        case 0x2BC8_30A3: encoding = .bech32m
        default: throw .checksum
        }
        return (String(decoding: hrp, as: UTF8.self), Array(data.dropLast(6)), encoding)
    }

    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1FF_FFFF) << 5 ^ UInt32(value)
            for index in 0..<5 where (top >> index) & 1 == 1 { check ^= generator[index] }
        }
        return check
    }

    static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups 5-bit values into bytes, refusing more than 4 bits of padding or padding that is not zero.
    static func bytes(fromFiveBit data: ArraySlice<UInt8>) -> [UInt8]? {
        var accumulator: UInt32 = 0, bits = 0
        var result: [UInt8] = []
        for value in data {
            accumulator = accumulator << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                result.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        guard bits < 5, accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return result
    }

    /// A native segwit address (BIP 173, BIP 350): its human-readable part, witness version and program.
    public static func segwit(_ text: String) throws(Failure) -> (hrp: String, version: Int, program: [UInt8]) {
        let (hrp, data, encoding) = try decode(text)
        guard let version = data.first else { throw .malformed("no witness version") }
        guard version <= 16 else { throw .malformed("witness version \(version) above 16") }
        guard let program = bytes(fromFiveBit: data.dropFirst()) else { throw .malformed("padding that is not zero, or longer than 4 bits") }
        guard (2...40).contains(program.count) else { throw .malformed("a witness program of \(program.count) bytes (2 to 40)") }
        guard version != 0 || program.count == 20 || program.count == 32 else {
            throw .malformed("a version 0 program of \(program.count) bytes (20 or 32)")
        }
        // Version 0 is Bech32, every later version Bech32m: the other checksum does not hold for it.
        guard (version == 0) == (encoding == .bech32) else { throw .checksum }
        return (hrp, Int(version), program)
    }
}
