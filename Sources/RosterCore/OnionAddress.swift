/// Tor v3 onion service addresses: 56 base32 characters (a 32-byte key, a
/// 2-byte checksum, version 3) followed by `.onion`.
public enum OnionAddress {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    public static func normalise(_ text: String) throws -> String {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard name.hasSuffix(".onion") else {
            throw RosterError(.invalidResource, "\"\(text)\" is not an onion address ending in .onion")
        }
        let service = Array(name.dropLast(".onion".count).utf8)
        guard service.count == 56, service.allSatisfy(alphabet.contains) else {
            throw RosterError(.invalidResource, "\"\(text)\" is not a v3 onion address: it needs 56 base32 characters before .onion")
        }
        // 56 characters are 280 bits; the last 8 are the version byte, 0b00000011: the final
        // character carries its low 5 bits (3, "d") and the one before ends in its top 3 (zero).
        let last = alphabet.firstIndex(of: service[55])!
        let beforeLast = alphabet.firstIndex(of: service[54])!
        guard last == 3 && beforeLast & 0b111 == 0 else {
            throw RosterError(.invalidResource, "\"\(text)\" is not a version 3 onion address")
        }
        return name
    }
}

/// Messenger and social accounts, written `platform:handle` (`telegram:shopname`).
/// Handles lose a leading `@` and are lower-cased, as the major platforms treat them.
public enum Account {
    public static func normalise(_ text: String) throws -> String {
        guard let colon = text.firstIndex(of: ":") else {
            throw RosterError(.invalidResource, "\"\(text)\" is not an account: write platform:handle, like telegram:shopname")
        }
        let platform = text[..<colon].lowercased()
        var handle = text[text.index(after: colon)...].lowercased()
        if handle.hasPrefix("@") { handle.removeFirst() }
        guard !platform.isEmpty, platform.utf8.allSatisfy({ isPlatformCharacter($0) }) else {
            throw RosterError(.invalidResource, "\"\(text)\" has a platform name that is not letters, digits and hyphens")
        }
        // A payment address is checked by its chain's rules, and matched as a wallet.
        if WalletAddress.Chain(rawValue: platform) != nil {
            throw RosterError(.invalidResource, "\"\(Text.printable(text, limit: 130))\" is a payment address: add it with kind wallet")
        }
        guard !handle.isEmpty, handle.utf8.count <= 256, !handle.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
            throw RosterError(.invalidResource, "\"\(text)\" has an empty handle or one with spaces")
        }
        return platform + ":" + handle
    }

    private static func isPlatformCharacter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}
