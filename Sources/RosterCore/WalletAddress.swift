/// A payment address, `CHAIN:ADDRESS`, checked by its chain's own rules and kept in one
/// normal form, so that an exchange asking about an address finds it however it was
/// written: `btc` (Base58Check P2PKH and P2SH, Bech32 and Bech32m segwit, mainnet),
/// `eth` (20 bytes in hex, EIP-55 when mixed case; EVM chains share it), `trx`
/// (Base58Check, prefix 0x41) and `xmr` (standard, integrated and subaddresses, with
/// their Keccak checksum). An address that fails its checksum is refused as such.
public enum WalletAddress {
    public enum Chain: String, CaseIterable, Sendable {
        case btc, eth, trx, xmr
    }

    /// No address of these chains is longer; a longer text is refused before decoding.
    static let maximumLength = 120

    public static func normalise(_ text: String) throws -> String {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let chain = Chain(rawValue: parts[0].lowercased()) else {
            throw RosterError(.invalidResource, "wallet \"\(text.prefix(64))\" is not CHAIN:ADDRESS with CHAIN one of "
                + Chain.allCases.map(\.rawValue).joined(separator: ", ") + " (btc:bc1q…, eth:0x…, trx:T…, xmr:4…)")
        }
        let address = String(parts[1])
        guard !address.isEmpty else { throw RosterError(.invalidResource, "the \(chain.rawValue) address is empty: write \(chain.rawValue):ADDRESS") }
        guard address.utf8.count <= maximumLength else {
            throw RosterError(.invalidResource, "the \(chain.rawValue) address is \(address.utf8.count) bytes long; no address is longer than \(maximumLength)")
        }
        guard address.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw RosterError(.invalidResource, "\(chain.rawValue) address \"\(Text.printable(address, limit: 130))\" holds a space, a control character or a letter outside ASCII, which no address has")
        }
        switch chain {
        case .btc: return "btc:" + (try bitcoin(address))
        case .eth: return "eth:" + (try ethereum(address))
        case .trx: return "trx:" + (try tron(address))
        case .xmr: return "xmr:" + (try monero(address))
        }
    }

    /// As a person reads it: an Ethereum address in its EIP-55 case, others as stored.
    public static func display(_ value: String) -> String {
        guard value.hasPrefix("eth:0x") else { return value }
        return "eth:" + eip55(String(value.dropFirst("eth:0x".count)))
    }

    static func refuse(_ chain: String, _ address: String, _ reason: String) -> RosterError {
        RosterError(.invalidResource, "\(chain) address \(Text.printable(address, limit: 130)) \(reason)")
    }

    static func bitcoin(_ address: String) throws -> String {
        let lower = address.lowercased()
        if lower.hasPrefix("bc1") || lower.hasPrefix("tb1") || lower.hasPrefix("bcrt1") {
            let hrp: String
            do {
                hrp = try Bech32.segwit(address).hrp
            } catch .checksum {
                throw refuse("btc", address, "fails its Bech32/Bech32m checksum: check it was copied whole and unchanged")
            } catch .malformed(let reason) {
                throw refuse("btc", address, "is not a segwit address: \(reason)")
            }
            guard hrp == "bc" else {
                throw refuse("btc", address, ["tb", "bcrt"].contains(hrp) ? "is a test network address (\(hrp)): only mainnet addresses (bc1…) are listed"
                    : "has the human-readable part \(hrp), not bc: it is not a Bitcoin mainnet address")
            }
            return lower
        }
        let payload = try checked("btc", address)
        guard payload.count == 21 else { throw refuse("btc", address, "holds \(payload.count) bytes, not a version and a 20-byte hash") }
        switch payload[0] {
        case 0x00, 0x05: return address
        case 0x6F, 0xC4: throw refuse("btc", address, "is a test network address: only mainnet addresses (1…, 3…, bc1…) are listed")
        default: throw refuse("btc", address, "has version byte \(payload[0]), neither P2PKH (0) nor P2SH (5)")
        }
    }

    static func tron(_ address: String) throws -> String {
        let payload = try checked("trx", address)
        guard payload.count == 21, payload[0] == 0x41 else { throw refuse("trx", address, "is not a Tron address (21 bytes starting 0x41, written T…)") }
        return address
    }

    /// A Base58Check payload, in the one spelling its bytes have.
    static func checked(_ chain: String, _ address: String) throws -> [UInt8] {
        switch Base58.decodeChecked(address) {
        case nil: throw refuse(chain, address, "is not Base58 (the characters 0, O, I and l are not used)")
        case .failure: throw refuse(chain, address, "fails its Base58Check checksum: check it was copied whole and unchanged")
        case .success(let payload):
            guard Base58.encode(payload + Base58.checksum(payload)) == address else { throw refuse(chain, address, "is not in its normal Base58 form") }
            return payload
        }
    }

    static func ethereum(_ address: String) throws -> String {
        var hex = address
        if hex.hasPrefix("0x") || hex.hasPrefix("0X") { hex.removeFirst(2) }
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ isHexDigit($0) }) else {
            throw refuse("eth", address, "is not 0x and 40 hexadecimal digits")
        }
        let lower = hex.lowercased()
        let mixed = hex != lower && hex != hex.uppercased()
        if mixed && eip55(lower) != "0x" + hex {
            throw refuse("eth", address, "fails its EIP-55 checksum (the case of its letters): check it was copied unchanged, or write it in lower case")
        }
        return "0x" + lower
    }

    /// The EIP-55 spelling of 40 lower-case hex digits.
    static func eip55(_ lower: String) -> String {
        let hash = Keccak.hash256(Array(lower.utf8))
        return "0x" + String(decoding: lower.utf8.enumerated().map { index, character in
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            return character >= UInt8(ascii: "a") && nibble >= 8 ? character - 32 : character
        }, as: UTF8.self)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
    }

    /// Monero's Base58: blocks of 8 bytes as 11 characters, the last block shorter.
    static func monero(_ address: String) throws -> String {
        guard address.utf8.count == 95 || address.utf8.count == 106 else {
            throw refuse("xmr", address, "is \(address.utf8.count) characters long, not 95 (a standard address or subaddress) or 106 (an integrated one)")
        }
        guard let bytes = moneroBase58(Array(address.utf8)) else {
            throw refuse("xmr", address, "fails Monero's Base58 check (a character outside the alphabet, or a block that decodes past its bytes, as a mistyped character makes): check it was copied whole and unchanged")
        }
        guard bytes.count == 69 || bytes.count == 77 else { throw refuse("xmr", address, "decodes to \(bytes.count) bytes, not 69 or 77") }
        let body = Array(bytes.dropLast(4))
        guard Array(Keccak.hash256(body).prefix(4)) == Array(bytes.suffix(4)) else {
            throw refuse("xmr", address, "fails its Keccak checksum: check it was copied whole and unchanged")
        }
        switch (bytes[0], bytes.count) {
        case (18, 69), (42, 69), (19, 77): return address
        case (18, _), (42, _), (19, _):
            throw refuse("xmr", address, "has prefix \(bytes[0]) and \(bytes.count) bytes: a standard address (18) or subaddress (42) has 69, an integrated one (19) 77")
        case (53, _), (54, _), (63, _), (24, _), (25, _), (36, _):
            throw refuse("xmr", address, "is a testnet or stagenet address: only mainnet addresses are listed")
        default: throw refuse("xmr", address, "has prefix \(bytes[0]), not a mainnet standard (18), integrated (19) or subaddress (42)")
        }
    }

    static let moneroBlockSizes = [0, 2, 3, 5, 6, 7, 9, 10, 11]

    static func moneroBase58(_ text: [UInt8]) -> [UInt8]? {
        var result: [UInt8] = []
        var start = 0
        while start < text.count {
            let block = text[start..<min(start + 11, text.count)]
            guard let size = moneroBlockSizes.firstIndex(of: block.count), size > 0 else { return nil }
            var number: UInt64 = 0
            for character in block {
                guard character < 128, case let digit = Base58.values[Int(character)], digit >= 0 else { return nil }
                let (times, overflow) = number.multipliedReportingOverflow(by: 58)
                let (sum, carry) = times.addingReportingOverflow(UInt64(digit))
                guard !overflow, !carry else { return nil }
                number = sum
            }
            guard size == 8 || number >> (8 * UInt64(size)) == 0 else { return nil }
            for index in (0..<size).reversed() { result.append(UInt8((number >> (8 * UInt64(index))) & 0xFF)) }
            start += 11
        }
        return result
    }
}
