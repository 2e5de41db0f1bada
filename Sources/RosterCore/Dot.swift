/// A replica's name for one of its operations: the origin (`kz-mvd/astana-1`) and
/// its sequence number. An add's dot is the id of the entry it creates.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let origin: String
    public let seq: UInt64

    public init(origin: String, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    /// Parses `origin:seq`, as entry ids are written.
    public init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let seq = Self.seq(text[text.index(after: colon)...]),
            Origin.isValid(String(text[..<colon]))
        else {
            throw RosterError(.invalidField, "\"\(text)\" is not an entry id like kz-mvd/astana-1:42")
        }
        self.init(origin: String(text[..<colon]), seq: seq)
    }

    /// A positive decimal without sign or leading zero that fits the store's signed
    /// 64-bit columns, as JSON integers do: one spelling for one number.
    static func seq(_ text: Substring) -> UInt64? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 19, digits[0] != UInt8(ascii: "0"),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int64(text)
        else { return nil }
        return UInt64(value)
    }

    public var agency: String { Origin.agency(of: origin) }

    public var description: String { "\(origin):\(seq)" }

    /// Orders by origin bytes, then seq: the canonical order of entries in a digest.
    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        if lhs.origin != rhs.origin { return lhs.origin.utf8.lexicographicallyPrecedes(rhs.origin.utf8) }
        return lhs.seq < rhs.seq
    }
}

/// Origins are `agency/replica`: an agency acts through one or more writer replicas.
public enum Origin {
    // Byte by byte: these run several times for every operation read.
    public static func isValid(_ origin: String) -> Bool {
        let parts = origin.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { isIdentifier($0) }
    }

    public static func isValidAgency(_ agency: String) -> Bool { isIdentifier(agency.utf8) }

    public static func agency(of origin: String) -> String {
        guard let slash = origin.utf8.firstIndex(of: UInt8(ascii: "/")) else { return origin }
        return String(origin[..<slash])
    }

    /// The replica name reserved for an agency's own origin, whose chain holds its
    /// key events: `kz-mvd/agency`. No writer replica may take it.
    public static let agencyReplica = "agency"
    private static let agencySuffix = "/" + agencyReplica

    public static func agencyOrigin(of agency: String) -> String { agency + agencySuffix }

    public static func isAgencyOrigin(_ origin: String) -> Bool { origin.hasSuffix(agencySuffix) }

    /// Lower-case letters, digits and inner hyphens, 1 to 63 characters: safe in
    /// paths, DNS labels and file names alike.
    static func isIdentifier(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 63, bytes.first != UInt8(ascii: "-") else { return false }
        var last: UInt8 = 0
        for byte in bytes {
            guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
            else { return false }
            last = byte
        }
        return last != UInt8(ascii: "-")
    }
}
