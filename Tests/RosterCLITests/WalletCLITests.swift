import Foundation
import RosterCore
import Testing

/// Payment addresses as an operator lists them and an exchange checks them.
@Suite("Wallets: listed, checked and exported like any resource, refused with the reason their chain gives", .serialized)
struct WalletCLITests {
    static let eth = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    static let btc = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    static let xmr = "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge"

    @Test("A wallet is added, checked by the CLI and over HTTPS, exported in JSON, CSV and STIX (valid), and never in DNS formats")
    func listed() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        for value in ["eth:\(Self.eth)", "btc:\(Self.btc.uppercased())", "xmr:\(Self.xmr)"] {
            let added = try node.roster.run(["add", "wallet", value, "--category", "drugs"] + CLITests.basis)
            #expect(added.status == 0, "\(value): \(added.stderr)")
        }
        #expect(try node.roster.run(["add", "domain", "shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        // Checked however it is written: the EIP-55 case, lower case; Bech32 in either case.
        for text in ["eth:\(Self.eth)", "eth:\(Self.eth.lowercased())", "btc:\(Self.btc)", "BTC:\(Self.btc.uppercased())"] {
            let checked = try node.roster.run(["check", text])
            #expect(checked.status == 0 && checked.stdout.contains("listed"), "\(text): \(checked.stdout)\(checked.stderr)")
        }
        #expect(try node.roster.run(["check", "eth:0x" + String(repeating: "0", count: 40)]).status == 1, "an address not listed")
        let shown = try node.roster.run(["show", "kz-mvd/main:1"]).stdout
        #expect(shown.contains("wallet eth:\(Self.eth)"), "show writes the EIP-55 case: \(shown)")

        try node.start()
        let served = try ConsumerTests.fetch("/v1/check?resource=eth:\(Self.eth.lowercased())", from: node)
        #expect(served.status == 200 && served.body.contains("\"listed\":true") && served.body.contains("\"kind\":\"wallet\""))
        let json = try ConsumerTests.fetch("/v1/export/json", from: node).body
        let csv = try ConsumerTests.fetch("/v1/export/csv", from: node).body
        #expect(json.contains("eth:\(Self.eth.lowercased())") && csv.contains("wallet,btc:\(Self.btc)"))
        for format in ["rpz", "hosts", "dnsmasq", "unbound", "mastodon"] {
            let body = try ConsumerTests.fetch("/v1/export/\(format)", from: node).body
            #expect(!body.contains("0x5aaeb") && !body.contains("bc1q") && body.contains("shop.example"), "\(format) carries names only")
        }
        let stix = try ConsumerTests.fetch("/v1/export/stix", from: node).body
        #expect(stix.contains("[cryptocurrency-wallet:value = '\(Self.btc)']"), "\(stix.prefix(400))")
        let bundle = folder.path("bundle.json")
        try stix.write(to: bundle, atomically: true, encoding: .utf8)
        let validated = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["stix2_validator", bundle.path])
        #expect(validated.status == 0 && validated.stdout.contains("STIX JSON: Valid"), "\(validated.stdout)\(validated.stderr)")
        // Another agency's platform reads the bundle back: the chain is the one whose rules the address passes.
        let other = try FederatedNode(folder: folder, agency: "uz-iib")
        let imported = try other.roster.run(["import", bundle.path, "--format", "stix"])
        #expect(imported.status == 0, "\(imported.stderr)")
        for text in ["eth:\(Self.eth)", "btc:\(Self.btc)", "xmr:\(Self.xmr)"] {
            #expect(try other.roster.run(["check", text]).status == 0, "\(text) imported from STIX")
        }
    }

    @Test("An address that fails its checksum is refused as such, on one line, and nothing is written")
    func refused() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        let before = try node.status()
        let cases = [
            ("eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "fails its EIP-55 checksum"),
            ("btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "fails its Bech32/Bech32m checksum"),
            ("btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "fails its Base58Check checksum"),
            ("xmr:" + Self.xmr.dropLast() + "f", "fails its Keccak checksum"),
            ("btc:tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "only mainnet"),
            ("doge:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", "CHAIN:ADDRESS"),
            ("xmr:z" + Self.xmr.dropFirst(), "fails Monero's Base58 check"),
            ("btc:bc1x1qdrrcyfgakq20nqdcsrwew0xnt98gmhg2gtu79t", "not a Bitcoin mainnet address"),
            ("eth:0x5aAe\u{1B}[31mb", "control character"),
        ]
        for (value, reason) in cases {
            let added = try node.roster.run(["add", "wallet", value, "--category", "drugs"] + CLITests.basis)
            #expect(added.status == 2 && added.stderr.contains(reason) && added.stderr.split(separator: "\n").count == 1, "\(value): \(added.stderr)")
        }
        // A payment address written as an account would be lower-cased and never matched as a wallet.
        let account = try node.roster.run(["add", "account", "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "--category", "drugs"] + CLITests.basis)
        #expect(account.status == 2 && account.stderr.contains("add it with kind wallet"), "\(account.stderr)")
        #expect(try node.status() == before, "nothing was written")
    }
}
