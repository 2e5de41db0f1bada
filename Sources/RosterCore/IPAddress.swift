#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address in canonical text form: dotted decimal without leading
/// zeros, and RFC 5952 for IPv6 (lower case, longest zero run compressed).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    public init(_ text: String) throws {
        if let address = Self.parseV4(text) {
            self = .v4(address)
        } else if text.contains(":"), let address = Self.parseV6(text) {
            self = .v6(address)
        } else {
            throw RosterError(.invalidResource, "\"\(text)\" is not an IPv4 or IPv6 address")
        }
    }

    public var bitWidth: Int {
        switch self {
        case .v4: return 32
        case .v6: return 128
        }
    }

    /// Keeps the first `length` bits.
    public func masked(to length: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            return .v4(length == 0 ? 0 : value & ~UInt32(0) << (32 - length))
        case .v6(let value):
            return .v6(length == 0 ? 0 : value & ~UInt128(0) << (128 - length))
        }
    }

    private static func parseV4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // Leading zeros are refused: some readers take them as octal.
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit),
                part == "0" || !part.hasPrefix("0"), let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseV6(_ text: String) -> UInt128? {
        var storage = in6_addr()
        guard !text.contains("%"), inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { bytes in
            bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        }
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .v6(let value):
            let groups = Self.groups(value)
            // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
            if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
                return "::ffff:" + IPAddress.v4(UInt32(truncatingIfNeeded: value)).description
            }
            let hex = groups.map { String($0, radix: 16) }
            guard let run = Self.longestZeroRun(groups) else { return hex.joined(separator: ":") }
            return hex[..<run.lowerBound].joined(separator: ":") + "::" + hex[run.upperBound...].joined(separator: ":")
        }
    }

    /// An IPv6 address's eight 16-bit groups, first to last.
    static func groups(_ value: UInt128) -> [UInt16] {
        (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
    }

    /// RFC 5952 section 4.2: the longest run of two or more zero groups, the first
    /// one on a tie; the text form writes it `::`, an RPZ owner name `zz`.
    static func longestZeroRun(_ groups: [UInt16]) -> Range<Int>? {
        var best: Range<Int>? = nil
        var start: Int? = nil
        for index in 0...groups.count {
            if index < groups.count && groups[index] == 0 {
                if start == nil { start = index }
            } else if let runStart = start {
                if index - runStart >= 2 && index - runStart > (best?.count ?? 0) { best = runStart..<index }
                start = nil
            }
        }
        return best
    }
}

/// A network in CIDR notation with no host bits set, like `10.0.0.0/8` or `2001:db8::/32`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw RosterError(.invalidResource, "\"\(text)\" is not a network in CIDR notation like 10.0.0.0/8")
        }
        let address = try IPAddress(String(parts[0]))
        guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit),
            parts[1] == "0" || !parts[1].hasPrefix("0"),
            let length = Int(parts[1]), length <= address.bitWidth
        else {
            throw RosterError(.invalidResource, "\"\(text)\" has a prefix length that is not 0 to \(address.bitWidth)")
        }
        let network = address.masked(to: length)
        guard network == address else {
            throw RosterError(.invalidResource, "\"\(text)\" has host bits set: did you mean \(network)/\(length)?")
        }
        self.init(address: network, length: length)
    }

    public init(address: IPAddress, length: Int) {
        self.address = address.masked(to: length)
        self.length = length
    }

    public var isSingleAddress: Bool { length == address.bitWidth }

    /// Whether `other` is in this network (of the same family).
    public func contains(_ other: IPAddress) -> Bool {
        other.bitWidth == address.bitWidth && other.masked(to: length) == address
    }

    public var description: String { "\(address)/\(length)" }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
