import Foundation
import RosterCore
import Testing

@Suite("Wallet addresses: BIP 173 and 350, EIP-55, Base58Check and Monero, checked by their published vectors")
struct WalletTests {
    static func refusal(_ text: String) -> String? {
        do {
            _ = try Resource(kind: .wallet, value: text)
            return nil
        } catch let error as RosterError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    @Test("Bech32 and Bech32m: every valid string of BIP 173 and 350 decodes with its own checksum, every invalid one is refused")
    func checksums() throws {
        let vectors = try Vectors.load("segwit")
        for (key, encoding) in [("bech32", Bech32.Encoding.bech32), ("bech32m", .bech32m)] {
            for text in vectors["\(key)_valid"]?.array?.compactMap(\.string) ?? [] {
                #expect(throws: Never.self, "\(text)") { try Bech32.decode(text) }
                #expect((try? Bech32.decode(text))?.encoding == encoding, "\(text)")
            }
            let invalid = vectors["\(key)_invalid"]?.array?.compactMap(\.string) ?? []
            #expect(invalid.count >= 12)
            for text in invalid {
                let decoded = try? Bech32.decode(text)
                #expect(decoded == nil || decoded?.encoding != encoding, "\(text.debugDescription) is not valid \(key)")
            }
        }
    }

    @Test("Segwit addresses: BIP 350's valid ones decode to their scriptPubKey; mainnet ones are listed lower-case, testnet ones refused")
    func segwitAddresses() throws {
        let vectors = try Vectors.load("segwit")
        let valid = vectors["address_valid"]?.array ?? []
        #expect(valid.count == 8)
        for pair in valid {
            let address = pair.array?[0].string ?? "", script = pair.array?[1].string ?? ""
            let (hrp, version, program) = try Bech32.segwit(address)
            let expected = [UInt8(version == 0 ? 0 : 0x50 + version), UInt8(program.count)] + program
            #expect(expected.map { String(format: "%02x", $0) }.joined() == script, "\(address)")
            if hrp == "bc" {
                #expect(try Resource(kind: .wallet, value: "btc:" + address).value == "btc:" + address.lowercased())
            } else {
                #expect(Self.refusal("btc:" + address)?.contains("only mainnet") == true, "\(address)")
            }
        }
        let invalid = vectors["address_invalid"]?.array ?? []
        #expect(invalid.count == 25)
        for pair in invalid {
            let address = pair.array?[0].string ?? ""
            #expect(Self.refusal("btc:" + address) != nil, "\(address): \(pair.array?[1].string ?? "")")
        }
        // A checksum that fails says so.
        #expect(Self.refusal("btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")?.contains("fails its Bech32/Bech32m checksum") == true)
    }

    @Test("EIP-55: every test case is accepted and shown in its checksum case; one letter's case changed fails the checksum")
    func eip55() throws {
        let vectors = try Vectors.load("wallets")
        for address in vectors["eip55"]?["valid"]?.array?.compactMap(\.string) ?? [] {
            let resource = try Resource(kind: .wallet, value: "eth:" + address)
            #expect(resource.value == "eth:" + address.lowercased())
            let mixed = address.dropFirst(2) != address.dropFirst(2).lowercased() && address.dropFirst(2) != address.dropFirst(2).uppercased()
            if mixed {
                #expect(WalletAddress.display(resource.value) == "eth:" + address)
                // Swap the case of the first letter: the checksum no longer holds.
                var characters = Array(address)
                let index = try #require(characters.indices.dropFirst(2).first { characters[$0].isLetter })
                characters[index] = characters[index].isUppercase ? Character(characters[index].lowercased()) : Character(characters[index].uppercased())
                #expect(Self.refusal("eth:" + String(characters))?.contains("fails its EIP-55 checksum") == true)
            }
        }
        #expect(Self.refusal("eth:0x123")?.contains("40 hexadecimal digits") == true)
    }

    @Test("Base58Check (Bitcoin, Tron) and Monero: published addresses pass, a changed character fails the checksum")
    func base58() throws {
        let vectors = try Vectors.load("wallets")
        let cases = (vectors["base58check"]?["btc"]?.array ?? []).map { ("btc", $0.string ?? "") }
            + (vectors["base58check"]?["trx"]?.array ?? []).map { ("trx", $0.string ?? "") }
            + (vectors["monero"]?["valid"]?.array ?? []).map { ("xmr", $0.string ?? "") }
        #expect(cases.count == 5)
        for (chain, address) in cases {
            #expect(try Resource(kind: .wallet, value: "\(chain):\(address)").value == "\(chain):\(address)")
            // The last character changed to another of the alphabet.
            let changed = String(address.dropLast()) + (address.last == "2" ? "3" : "2")
            let reason = Self.refusal("\(chain):\(changed)") ?? ""
            #expect(reason.contains("checksum") || reason.contains("not Monero Base58"), "\(chain):\(changed): \(reason)")
        }
        #expect(Self.refusal("trx:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")?.contains("not a Tron address") == true)
        #expect(Self.refusal("doge:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L")?.contains("CHAIN:ADDRESS") == true)
        #expect(Self.refusal("btc:" + String(repeating: "1", count: 500)) != nil)
    }

    @Test("Keccak-256 of the empty string and of \"abc\" are the published digests")
    func keccak() {
        #expect(Keccak.hash256([]).map { String(format: "%02x", $0) }.joined() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Keccak.hash256(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
            == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
    }
}
