import Foundation
import Testing

/// An agency whose keys live in a PKCS#11 token (SoftHSM2, a token made by the test,
/// keys generated inside it by OpenSC's pkcs11-tool), through `roster` processes.
@Suite("An agency whose keys are in a PKCS#11 token: founded, enrolling, rotating and retiring through real processes", .serialized)
struct HardwareAgencyTests {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"

    /// A token folder and configuration, a token labelled `label` holding P-256 keys
    /// `root` and `next`, and a PIN file of mode 0600; the environment roster needs.
    static func token(_ label: String, in folder: TemporaryFolder) throws -> (environment: [String: String], pin: URL) {
        let tokens = folder.path("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        let configuration = folder.path("softhsm2.conf")
        try "directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\n".write(to: configuration, atomically: true, encoding: .utf8)
        let environment = ["SOFTHSM2_CONF": configuration.path]
        func tool(_ arguments: [String]) throws {
            let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), arguments, environment: environment)
            guard result.status == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: result.stdout + result.stderr]) }
        }
        try tool(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", "123456", "--so-pin", "654321"])
        for (name, id) in [("root", "01"), ("next", "02")] {
            try tool(["pkcs11-tool", "--module", module, "--token-label", label, "--login", "--pin", "123456",
                      "--keypairgen", "--key-type", "EC:prime256v1", "--label", name, "--id", id])
        }
        let pin = folder.path("token.pin")
        _ = FileManager.default.createFile(atPath: pin.path, contents: Data("123456\n".utf8), attributes: [.posixPermissions: 0o600])
        return (environment, pin)
    }

    static func uri(_ object: String, token: String = "kz-mvd", pin: URL) -> String {
        "pkcs11:token=\(token);object=\(object)?module-path=\(module)&pin-source=file:\(pin.path)"
    }

    @Test("The agency's root key in a token founds the node, enrols a P-256 replica, rotates to the token's second key and retires the replica; no private key leaves the token")
    func lifecycle() throws {
        let folder = try TemporaryFolder()
        let (environment, pin) = try Self.token("kz-mvd", in: folder)
        let astana = RosterProcess(data: folder.path("astana"))
        let created = try astana.run(["init", "--agency", "kz-mvd", "--replica", "astana-1", "--agency-key", Self.uri("root", pin: pin)],
                                     environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("agency key: pkcs11:token=kz-mvd;object=root") && !created.stdout.contains("123456"), "\(created.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("astana/agency.key").path), "the agency key stays in the token")
        #expect(try astana.run(["add", "domain", "shop.example"] + NationalKeyTests.basis).status == 0)

        // A second replica, of P-256 made by the node, joins and is enrolled with the token's key.
        let root = try astana.run(["agency", "show", "--root"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let almaty = RosterProcess(data: folder.path("almaty"))
        let joined = try almaty.run(["init", "--agency", "kz-mvd", "--replica", "almaty-1", "--trust", root, "--alg", "ecdsa-p256-sha256", "--json"])
        #expect(joined.status == 0, "\(joined.stderr)")
        let key = try #require(joined.stdout.firstMatch(of: /"public_key":"([^"]+)"/).map { String($0.1) })
        let logKey = try #require(joined.stdout.firstMatch(of: /"log_key":"([^"]+)"/).map { String($0.1) })
        let enrolled = try astana.run(["agency", "enrol", "kz-mvd/almaty-1", "--key", key, "--log-key", logKey,
                                       "--agency-key", Self.uri("root", pin: pin)], environment: environment)
        #expect(enrolled.status == 0, "\(enrolled.stderr)")

        // A rotation to the token's second key: both sign, in the token.
        let rotated = try astana.run(["agency", "rotate", "--agency-key", Self.uri("root", pin: pin), "--new-key", Self.uri("next", pin: pin)],
                                     environment: environment)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        // The old key alone signs nothing more.
        let stale = try astana.run(["agency", "retire", "kz-mvd/almaty-1", "--after", "0", "--reason", "decommissioned",
                                    "--agency-key", Self.uri("root", pin: pin)], environment: environment)
        #expect(stale.status != 0 && stale.stderr.split(separator: "\n").count == 1, "\(stale.stderr)")
        let retired = try astana.run(["agency", "retire", "kz-mvd/almaty-1", "--after", "0", "--reason", "decommissioned",
                                      "--agency-key", Self.uri("next", pin: pin)], environment: environment)
        #expect(retired.status == 0, "\(retired.stderr)")
        let shown = try astana.run(["agency", "show", "--json"]).stdout
        #expect(shown.contains(#""retired_after":0"#) && shown.contains(#""alg":"ecdsa-p256-sha256""#), "\(shown)")
        #expect(try astana.run(["audit"]).stdout.contains("no findings"))
        let checked = try NationalKeyTests.independentlyVerified(astana, in: folder)
        #expect(checked.contains("\"ecdsa-p256-sha256\": 6"), "the first rotate, two enrols, the rotation (both keys) and the retire: \(checked)")

        // The token still holds both private keys, never extractable; no file of the node holds one.
        let listed = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["pkcs11-tool", "--module", Self.module, "--token-label", "kz-mvd",
                                                                                  "--login", "--pin", "123456", "--list-objects", "--type", "privkey"],
                                               environment: environment)
        #expect(listed.stdout.components(separatedBy: "never extractable").count == 3, "\(listed.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path("astana").path)
        #expect(Set(files).isSuperset(of: ["replica.key", "roster.sqlite"]) && !files.contains("agency.key"), "\(files)")
    }

    @Test("A wrong PIN, a missing token, a key of another suite than asked: refused in one line, nothing written")
    func refusals() throws {
        let folder = try TemporaryFolder()
        let (environment, pin) = try Self.token("kz-mvd", in: folder)
        let wrong = folder.path("wrong.pin")
        _ = FileManager.default.createFile(atPath: wrong.path, contents: Data("000000\n".utf8), attributes: [.posixPermissions: 0o600])
        let node = RosterProcess(data: folder.path("node"))
        for (arguments, reason) in [
            (["--agency-key", Self.uri("root", pin: wrong)], "PIN"),
            (["--agency-key", Self.uri("root", token: "no-such-token", pin: pin)], "no key"),
            (["--agency-key", Self.uri("root", pin: pin), "--alg", "gost2012-256"], "gost2012-256"),
            (["--replica-key", Self.uri("root", pin: pin), "--alg", "rsa-pss-sha256"], "rsa-pss-sha256"),
            (["--alg", "ed448"], "unknown signature suite"),
        ] {
            let refused = try node.run(["init", "--agency", "kz-mvd"] + arguments, environment: environment)
            #expect(refused.status != 0 && refused.stderr.contains(reason), "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "one line: \(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.path("node/node.json").path)
                    && !FileManager.default.fileExists(atPath: folder.path("node/roster.sqlite").path), "\(arguments): nothing written")
        }
        // A node that exists: a wrong PIN changes none of its agency's key events.
        #expect(try node.run(["init", "--agency", "kz-mvd", "--agency-key", Self.uri("root", pin: pin)], environment: environment).status == 0)
        let before = try node.run(["agency", "show", "--json"]).stdout
        let refused = try node.run(["agency", "rotate", "--agency-key", Self.uri("root", pin: wrong), "--new-key", Self.uri("next", pin: pin)],
                                   environment: environment)
        #expect(refused.status != 0 && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(try node.run(["agency", "show", "--json"]).stdout == before)
    }
}
