import Foundation
@testable import RosterStore
import RosterCore
import RosterTestSupport
import Testing

@Suite("Key files: PKCS #8 and SubjectPublicKeyInfo PEM, as OpenSSL writes and reads them")
struct KeyFileTests {
    /// Runs `openssl` with `arguments`; its standard output.
    func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl \(arguments)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test("A key from openssl genpkey is read, and its public key written as openssl pkey -pubout writes it")
    func fromOpenSSL() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("agency.key")
        _ = try openssl(["genpkey", "-algorithm", "ed25519", "-out", file.path])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let key = try Node.readKey(at: file)
        #expect(try openssl(["pkey", "-in", file.path, "-pubout"]) == key.publicKey.pem)
        #expect(try key.pem == String(contentsOf: file, encoding: .utf8), "the same PKCS #8 bytes, written back")
    }

    @Test("A key this node writes is read by openssl, and the public key it derives is ours")
    func toOpenSSL() throws {
        let folder = try TemporaryFolder()
        let key = ReplicaKey.random()
        let file = folder.path("replica.key")
        let pem = try #require(key.pem)
        try pem.write(to: file, atomically: true, encoding: .utf8)
        #expect(try openssl(["pkey", "-in", file.path, "-pubout"]) == key.publicKey.pem)
        #expect(try ReplicaKey(pem: pem).publicKey == key.publicKey)
    }

    @Test("A key file of another suite reads as that suite; what is no key of a suite is refused with one line, never a trap")
    func refusals() throws {
        let p256 = try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        #expect(try ReplicaKey(pem: p256).suite == .ecdsaP256)
        let p384 = try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"])
        let valid = try #require(ReplicaKey.random().pem)
        for text in [p384, "", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", valid.replacingOccurrences(of: "PRIVATE", with: "PUBLIC"),
                     String(valid.dropLast(12)), ReplicaKey.random().publicKey.pem] {
            #expect(throws: RosterError(.badKey, "")) { try ReplicaKey(pem: text) }
        }
    }
}
