import Foundation
import NationalSuites
import RosterCore
import Testing

/// Each suite signs through the system OpenSSL, and what it signs verifies with
/// tools that share none of our code: the openssl command (GOST through a
/// configuration that loads the engine) and, for ECDSA and RSA-PSS, Python's
/// `cryptography`.
@Suite("National signature suites through the system OpenSSL")
struct SuiteTests {
    static let suites: [Suite] = [.ecdsaP256, .rsaPSS, .gost256, .gost512]
    static let message = Array("{\"alg\":\"x\",\"note\":\"Пример\"}".utf8)

    @Test("A key of each suite signs, verifies its own signature and refuses a changed message or signature", arguments: suites)
    func signAndVerify(suite: Suite) throws {
        let key = try SuiteKey.generate(suite)
        #expect(key.suite == suite && key.publicKey.suite == suite)
        let signature = try key.sign(Self.message)
        #expect(key.publicKey.isValidSignature(signature, for: Self.message))
        #expect(!key.publicKey.isValidSignature(signature, for: Self.message + [0x20]))
        var changed = signature
        changed[changed.count / 2] ^= 0x01
        #expect(!key.publicKey.isValidSignature(changed, for: Self.message))
        #expect(!key.publicKey.isValidSignature([], for: Self.message))
        // The public key read back from its SubjectPublicKeyInfo is the same key, of the same suite.
        let again = try SuitePublicKey(spki: key.publicKey.spki)
        #expect(again == key.publicKey && again.suite == suite && again.isValidSignature(signature, for: Self.message))
        // And the private key from its PEM.
        let read = try SuiteKey(pem: try key.pem(), expecting: suite)
        #expect(read.publicKey == key.publicKey)
    }

    @Test("What each suite signs verifies with openssl, and ECDSA and RSA-PSS with Python's cryptography", arguments: suites)
    func independentlyVerified(suite: Suite) throws {
        let folder = try Folder()
        let key = try SuiteKey.generate(suite)
        try Data(Self.message).write(to: folder.path("message"))
        try Data(try key.sign(Self.message)).write(to: folder.path("signature"))
        try key.publicKey.pem.write(to: folder.path("public.pem"), atomically: true, encoding: .utf8)
        let verified = try OpenSSLCommand.run(suite, ["dgst"] + OpenSSLCommand.digest(suite) + OpenSSLCommand.verifyOptions(suite)
            + ["-verify", folder.path("public.pem").path, "-signature", folder.path("signature").path, folder.path("message").path])
        #expect(verified.status == 0 && verified.output.contains("Verified OK"), "\(verified.output)")
        // A signature over another message does not.
        try Data(Self.message + [0x20]).write(to: folder.path("other"))
        let refused = try OpenSSLCommand.run(suite, ["dgst"] + OpenSSLCommand.digest(suite) + OpenSSLCommand.verifyOptions(suite)
            + ["-verify", folder.path("public.pem").path, "-signature", folder.path("signature").path, folder.path("other").path])
        #expect(refused.status != 0, "\(refused.output)")
        guard suite == .ecdsaP256 || suite == .rsaPSS else { return }
        let script = """
            import sys
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec, padding
            key = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
            message, signature = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
            if sys.argv[4] == "ecdsa":
                key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            else:
                key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
            print("verified")
            """
        let python = try Command.run("/usr/bin/env", ["python3", "-c", script, folder.path("public.pem").path, folder.path("message").path,
                                                      folder.path("signature").path, suite == .ecdsaP256 ? "ecdsa" : "pss"])
        #expect(python.status == 0 && python.output.contains("verified"), "\(python.output)")
    }

    @Test("Keys made by openssl genpkey are read as their suite; a key of another suite than asked, curve or size is refused",
          arguments: [(Suite.ecdsaP256, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                      (.rsaPSS, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]),
                      (.rsaPSS, ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:3072"]),
                      (.gost256, ["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"]),
                      (.gost512, ["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"]),
                      (.ed25519, ["-algorithm", "ED25519"])] as [(Suite, [String])])
    func externalKeys(suite: Suite, options: [String]) throws {
        let folder = try Folder()
        let made = try OpenSSLCommand.run(suite, ["genpkey"] + options + ["-out", folder.path("key.pem").path])
        #expect(made.status == 0, "\(made.output)")
        let pem = Array(try Data(contentsOf: folder.path("key.pem")))
        let key = try SuiteKey(pem: pem, expecting: suite)
        #expect(key.suite == suite)
        if suite != .ed25519 {
            let signature = try key.sign(Self.message)
            #expect(key.publicKey.isValidSignature(signature, for: Self.message))
        }
        let other: Suite = suite == .ecdsaP256 ? .rsaPSS : .ecdsaP256
        #expect(throws: RosterError(.badKey, "")) { try SuiteKey(pem: pem, expecting: other) }
        do {
            _ = try SuiteKey(pem: pem, expecting: other)
        } catch let error as RosterError {
            #expect(error.reason == "the key is of suite \(suite.rawValue), not \(other.rawValue) as asked")
        }
    }

    @Test("A curve, size or algorithm outside the suites, garbage and an encrypted PEM are refused with the reason",
          arguments: [(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "curve secp384r1"),
                      (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "RSA key of 2048 bits"),
                      (["-algorithm", "ED448"], "a key of algorithm ED448"),
                      (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-128-cbc", "-pass", "pass:x"], "the key is encrypted")])
    func refused(options: [String], reason: String) throws {
        let folder = try Folder()
        #expect(try OpenSSLCommand.run(.ecdsaP256, ["genpkey"] + options + ["-out", folder.path("key.pem").path]).status == 0)
        let pem = Array(try Data(contentsOf: folder.path("key.pem")))
        do {
            _ = try SuiteKey(pem: pem)
            Issue.record("\(options) was read")
        } catch let error as RosterError {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
        // The public half, where it can be had, is refused the same way.
        let exported = try OpenSSLCommand.run(.ecdsaP256, ["pkey", "-in", folder.path("key.pem").path, "-pubout", "-outform", "DER",
                                                           "-out", folder.path("public.der").path, "-passin", "pass:x"])
        if exported.status == 0 && !reason.contains("encrypted") {
            #expect(throws: RosterError(.badKey, "")) { try SuitePublicKey(spki: Array(try Data(contentsOf: folder.path("public.der")))) }
        }
        #expect(throws: RosterError(.badKey, "")) { try SuitePublicKey(spki: [0x30, 0x03, 0x02, 0x01, 0x00]) }
        #expect(throws: RosterError(.badKey, "")) { try SuiteKey(pem: Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8)) }
    }
}
