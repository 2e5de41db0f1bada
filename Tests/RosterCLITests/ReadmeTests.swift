import Foundation
import Testing

@Suite("The README's walk-throughs, run as written", .serialized)
struct ReadmeTests {
    /// The shell block that follows `marker` in README.md.
    static func block(after marker: String) throws -> String {
        let readme = try String(contentsOf: RosterProcess.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: marker)).upperBound
        let open = try #require(readme.range(of: "```sh\n", range: start..<readme.endIndex)).upperBound
        let close = try #require(readme.range(of: "\n```", range: open..<readme.endIndex)).lowerBound
        return String(readme[open..<close])
    }

    /// Runs the block after `marker` in bash, with the built roster first on the PATH and a free PORT;
    /// `adapting` turns the block as written into the script run.
    static func run(_ marker: String, adapting: (String) -> String = { $0 }) throws -> RosterProcess.Result {
        let script = adapting(try block(after: marker))
        var port = Int.random(in: 20_000..<40_000)
        while FederatedNode.canConnect(port) { port += 1 }
        let bin = RosterProcess.binary.deletingLastPathComponent().path
        return try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "PATH=\(bin):/usr/bin:/bin:/usr/sbin:/sbin", "PORT=\(port)", "bash", "-euo", "pipefail", "-c", script,
        ])
    }

    @Test("The five-minute tour, as written (built already, its /tmp a test folder): a wallet checked, a mirror listed under its original's decision and lifted with it")
    func tour() throws {
        let folder = try TemporaryFolder()
        // The tour's first line builds the binary and names it; the test has built it and puts it on the PATH.
        let result = try Self.run("<!-- walkthrough: tour -->") { block in
            block.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("swift build") }
                .joined(separator: "\n").replacingOccurrences(of: "/tmp/", with: folder.url.path + "/")
        }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("listed: wallet eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), "\(out)")
        #expect(result.stderr.contains("fails its Bech32/Bech32m checksum") && out.contains("refused, nothing written"), "\(result.stderr)")
        #expect(out.contains("kz-mvd/astana-1:6\n") && out.contains("listed: domain shop-mirror.example"), "\(out)")
        #expect(out.contains("No. 119-ПР") && out.contains("mirror of kz-mvd/astana-1:2"), "\(out)")
        #expect(out.contains("shop-mirror.example: not listed, lifted with its original"), "\(out)")
        #expect(out.contains("no findings"), "\(out)")
    }

    @Test("An agency's own national key: a GOST node, a P-256 key certified by a test CA and trusted through it, an agency in a SoftHSM2 token that rotates; a wrong PIN refused")
    func nationalKeys() throws {
        let result = try Self.run("<!-- walkthrough: national keys -->")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.components(separatedBy: "suite:    gost2012-256").count == 2, "\(out)")
        #expect(out.contains("public key (gost2012-256): ") && out.contains("log key (ed25519, signs checkpoints): "), "\(out)")
        #expect(out.contains(#""alg":"gost2012-256""#), "the GOST replica's add: \(out)")
        #expect(out.contains("subject:  CN=kz-mvd root key,O=MVD KZ,C=KZ") && out.contains("issuer:   CN=KZ Root,O=National CA,C=KZ"), "\(out)")
        #expect(out.contains("trusted for KZ: CN=KZ Root,O=National CA,C=KZ"), "\(out)")
        #expect(out.contains("certified: subject CN=kz-mvd root key,O=MVD KZ,C=KZ; issuer CN=KZ Root,O=National CA,C=KZ"), "\(out)")
        #expect(out.contains("agency key: pkcs11:token=tj-mvd;object=root") && out.contains("rotated the agency keys as tj-mvd/agency:3"), "\(out)")
        #expect(out.contains("no findings"), "\(out)")
        #expect(out.contains("wrong PIN refused") && result.stderr.contains("roster: the token refused the PIN"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("roster: ") }.count == 1, "one line: \(result.stderr)")
    }

    @Test("Keys and trust: the agency key kept off the node, a second replica enrolled, a rotation, a retire seen on every node, a distrust")
    func keysAndTrust() throws {
        let result = try Self.run("<!-- walkthrough: keys and trust -->")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("enrolled kz-mvd/almaty-1"), "\(out)")
        #expect(out.contains("rotated the agency keys"), "\(out)")
        #expect(out.contains("mirror-3.example: void on uz") && !out.contains("mirror-1.example: void"), "\(out)")
        #expect(out.contains("almaty-1 signs no more") && result.stderr.contains("retired by its agency after seq 1"), "\(result.stderr)")
        #expect(out.contains("history: kz-mvd/almaty-1 is retired by its agency after seq 1: 2 operations of it held here are void"), "\(out)")
        #expect(out.contains("mirror-1.example: not listed on uz") && out.contains("history: agency kz-mvd is distrusted"), "\(out)")
    }

    @Test("The auditor's walkthrough: a clean audit over HTTPS and of a bundle, then a rewritten history, a stale checkpoint, an edited row, a deleted and reordered leaves caught")
    func auditor() throws {
        let result = try Self.run("<!-- walkthrough: auditor -->")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.components(separatedBy: "no findings; auditor.json now holds this checkpoint").count == 5, "two audits, the bundle, the grown node: \(out)")
        #expect(out.contains("revoked for \"decision overturned on appeal\": 1"), "\(out)")
        #expect(out.contains("the node rewrote its history since") && out.contains("rewritten history caught"), "\(out)")
        #expect(out.contains("more than --max-age 1 s: the log is frozen, withheld or stalled") && out.contains("stale checkpoint caught"), "\(out)")
        #expect(out.contains("edited row caught\n") && out.contains("edited row caught remotely"), "\(out)")
        #expect(out.contains("a leaf was deleted") && out.contains("deleted leaf caught"), "\(out)")
        #expect(out.contains("the log was reordered") && out.contains("reordered leaves caught"), "\(out)")
        #expect(out.contains("has a signature that does not verify"), "\(out)")
    }

    @Test("The resolver's walkthrough: Unbound fetches the RPZ over HTTPS, blocks the listed names, and lifts the block after a revoke")
    func resolver() throws {
        let result = try Self.run("<!-- walkthrough: resolver -->")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("shop.example CNAME .\n*.shop.example CNAME .\n"), "\(out)")
        for line in ["shop.example status: NXDOMAIN", "www.shop.example status: NXDOMAIN", "exact.example status: NXDOMAIN",
                     "www.exact.example status: NOERROR", "free.example status: NOERROR",
                     "after the revoke: shop.example status: NOERROR, exact.example status: NXDOMAIN"] {
            #expect(out.contains(line + "\n"), "\(line): \(out)")
        }
    }
}
