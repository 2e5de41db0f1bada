import Foundation
import NationalSuites
import RosterCore
import Testing

/// Keys in a hardware token, reached through OpenSSL's PKCS#11 engine: a SoftHSM2
/// token that the test makes, with keys generated inside it by OpenSC's pkcs11-tool.
@Suite("Keys in a PKCS#11 token (SoftHSM2), used through the system OpenSSL", .serialized)
struct HardwareKeyTests {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"

    /// One SoftHSM2 configuration for the process, and its tokens, made before the
    /// engine first loads the module: SoftHSM2 reads its tokens once, when loaded.
    static let pin: URL = {
        for label in ["agency-sign", "agency-refuse"] { try? token(label) }
        return tokens.appendingPathComponent("token.pin")
    }()

    static let tokens: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-softhsm-\(getpid())")
        try? FileManager.default.createDirectory(at: folder.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        let configuration = folder.appendingPathComponent("softhsm2.conf")
        try? "directories.tokendir = \(folder.path)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(to: configuration, atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", configuration.path, 1)
        return folder
    }()

    /// A new token holding a P-256 key (`root`) and an RSA 3072 key (`rsa`); the PIN file, of mode 0600.
    static func token(_ label: String) throws {
        let folder = tokens
        let environment = ["SOFTHSM2_CONF": folder.appendingPathComponent("softhsm2.conf").path]
        let made = try Command.run("/usr/bin/env", ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", "123456", "--so-pin", "654321"],
                                   environment: environment)
        #expect(made.status == 0, "\(made.output)")
        for (type, name, id) in [("EC:prime256v1", "root", "01"), ("rsa:3072", "rsa", "02")] {
            let generated = try Command.run("/usr/bin/env", ["pkcs11-tool", "--module", module, "--token-label", label, "--login", "--pin", "123456",
                                                             "--keypairgen", "--key-type", type, "--label", name, "--id", id], environment: environment)
            #expect(generated.status == 0, "\(generated.output)")
        }
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("token.pin").path, contents: Data("123456\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
    }

    @Test("A P-256 and an RSA key in the token sign; openssl verifies; the private keys are marked never extractable")
    func signsInTheToken() throws {
        let pin = Self.pin
        for (object, suite) in [("root", Suite.ecdsaP256), ("rsa", .rsaPSS)] {
            let uri = "pkcs11:token=agency-sign;object=\(object)?module-path=\(Self.module)&pin-source=file:\(pin.path)"
            let key = try SuiteKey(pkcs11: uri, environment: [:], expecting: suite)
            #expect(key.suite == suite)
            let message = Array("{\"seq\":1}".utf8)
            let signature = try key.sign(message)
            #expect(key.publicKey.isValidSignature(signature, for: message))
            let folder = try Folder()
            try Data(message).write(to: folder.path("message"))
            try Data(signature).write(to: folder.path("signature"))
            try key.publicKey.pem.write(to: folder.path("public.pem"), atomically: true, encoding: .utf8)
            let verified = try OpenSSLCommand.run(suite, ["dgst", "-sha256"] + OpenSSLCommand.verifyOptions(suite)
                + ["-verify", folder.path("public.pem").path, "-signature", folder.path("signature").path, folder.path("message").path])
            #expect(verified.status == 0 && verified.output.contains("Verified OK"), "\(verified.output)")
        }
        // The token keeps its private keys to itself: sensitive, never extractable.
        let listed = try Command.run("/usr/bin/env", ["pkcs11-tool", "--module", Self.module, "--token-label", "agency-sign", "--login", "--pin", "123456",
                                                      "--list-objects", "--type", "privkey"],
                                     environment: ["SOFTHSM2_CONF": Self.tokens.appendingPathComponent("softhsm2.conf").path])
        #expect(listed.output.components(separatedBy: "never extractable").count == 3, "\(listed.output)")
    }

    @Test("A PKCS#11 URI reaches the engine with the key's attributes only, a binary id as written; an & or a repeated attribute is refused")
    func uri() throws {
        #expect(try PKCS11URI("pkcs11:token=kz%20mvd;id=%A1%02;pin-source=file:/x?module-path=/m&pin-source=file:/y").path == "pkcs11:id=%A1%02;token=kz%20mvd")
        #expect(try PKCS11URI("pkcs11:token=kz%20mvd;object=root").attributes["token"] == "kz mvd")
        #expect(throws: RosterError(.badKey, "")) { try PKCS11URI("pkcs11:token=a&b;object=x") }
        #expect(throws: RosterError(.badKey, "")) { try PKCS11URI("pkcs11:token=a;object=x;object=y") }
        #expect(throws: RosterError(.badKey, "")) { try PKCS11URI("pkcs11:token=a;object=x;PIN-VALUE=1") }
    }

    @Test("A wrong PIN, a missing token or key, a PIN in the URI, no module, another suite than asked: each refused with the reason")
    func refused() throws {
        let pin = Self.pin
        let wrong = Self.tokens.appendingPathComponent("wrong.pin")
        _ = FileManager.default.createFile(atPath: wrong.path, contents: Data("000000\n".utf8), attributes: [.posixPermissions: 0o600])
        let open = Self.tokens.appendingPathComponent("open.pin")
        _ = FileManager.default.createFile(atPath: open.path, contents: Data("123456\n".utf8), attributes: [.posixPermissions: 0o644])
        let base = "?module-path=\(Self.module)&pin-source=file:"
        // A wrong PIN, before this process logs in to the token (libp11 keeps a session logged in).
        do {
            _ = try SuiteKey(pkcs11: "pkcs11:token=agency-refuse;object=root\(base)\(wrong.path)", environment: [:])
            Issue.record("a wrong PIN opened the key")
        } catch let error as RosterError {
            #expect(error.reason.contains("the token refused the PIN") || error.reason.contains("that this PIN opens"), "\(error.reason)")
        }
        // A pin-source among the path's attributes is read by this node, never passed to the engine; a Windows line end is no part of the PIN.
        let crlf = Self.tokens.appendingPathComponent("crlf.pin")
        _ = FileManager.default.createFile(atPath: crlf.path, contents: Data("123456\r\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(try SuiteKey(pkcs11: "pkcs11:token=agency-refuse;object=rsa;pin-source=file:\(crlf.path)?module-path=\(Self.module)", environment: [:]).suite == .rsaPSS)
        // The PIN from the environment works as well as from a file; a key of another suite than asked is refused.
        let uri = "pkcs11:token=agency-refuse;object=root?module-path=\(Self.module)"
        #expect(try SuiteKey(pkcs11: uri, environment: ["ROSTER_PKCS11_PIN": "123456"]).suite == .ecdsaP256)
        #expect(throws: RosterError(.badKey, "")) { try SuiteKey(pkcs11: uri, environment: ["ROSTER_PKCS11_PIN": "123456"], expecting: .rsaPSS) }
        let cases: [(String, [String: String], String)] = [
            ("pkcs11:token=no-such-token;object=root\(base)\(pin.path)", [:], "no key pkcs11:object=root;token=no-such-token that this PIN opens"),
            ("pkcs11:token=agency-refuse;object=nothing\(base)\(pin.path)", [:], "no key pkcs11:object=nothing;token=agency-refuse"),
            ("pkcs11:token=agency-refuse;object=root;pin-value=123456?module-path=\(Self.module)", [:], "carries its PIN (pin-value)"),
            ("pkcs11:token=agency-refuse;object=root", ["ROSTER_PKCS11_PIN": "123456"], "name the token's PKCS#11 module"),
            ("pkcs11:token=agency-refuse;object=root?module-path=\(Self.module)", [:], "the token needs its PIN"),
            ("pkcs11:object=root?module-path=\(Self.module)", [:], "names no token"),
            // libp11 splits the path at & too: no spelling lets a PIN through.
            ("pkcs11:token=agency-refuse;object=root&pin-value=123456\(base)\(wrong.path)", [:], "carries its PIN (pin-value)"),
            ("pkcs11:token=agency-refuse;object=root;library-path=/tmp/x\(base)\(pin.path)", [:], "an attribute this node does not pass on: library-path"),
            ("pkcs11:token=agency-refuse;object=root\(base)\(open.path)", [:], "is readable by others (mode 644): run chmod 600 on it"),
            ("pkcs11:token=agency-refuse;object=root?module-path=/usr/lib/x86_64-linux-gnu/libz.so.1&pin-source=file:\(pin.path)", [:],
             "is not a PKCS#11 module (it has no C_GetFunctionList)"),
        ]
        for (uri, environment, reason) in cases {
            do {
                _ = try SuiteKey(pkcs11: uri, environment: environment)
                Issue.record("\(uri) was read")
            } catch let error as RosterError {
                #expect(error.reason.contains(reason), "\(uri): \(error.reason)")
            }
        }
    }
}
