import ArgumentParser
import Foundation
import NationalSuites
import RosterCore
import RosterStore

extension Keys {
    /// What an agency bringing its own key checks first: that the key is one of the
    /// suites, reachable (a file of mode 0600, or a token through its PIN), and, where
    /// its jurisdiction certifies keys, certified by its national CA.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a key of any suite (a PEM file or a PKCS#11 URI) and print its suite and public key; check its certificate.",
            discussion: """
                Examples:
                  roster keys inspect agency-gost.pem --suite gost2012-256
                  ROSTER_PKCS11_PIN=… roster keys inspect "pkcs11:token=kz-mvd;object=root?module-path=/usr/lib/softhsm/libsofthsm2.so"
                  roster keys inspect agency.pem --certificate agency-chain.pem --ca kz-root.pem
                """)

        @Argument(help: "A private key: a PKCS#8 PEM file (mode 0600), or an RFC 7512 PKCS#11 URI whose PIN comes from pin-source or ROSTER_PKCS11_PIN.")
        var key: String
        @Option(help: "Refuse a key of another suite: \(Suite.names).") var suite: String?
        @Option(help: "The key's X.509 certificate, then any intermediates, in one PEM file.") var certificate: String?
        @Option(help: "The national CA's root certificates (PEM) to verify --certificate against, now.") var ca: String?
        @Flag(help: "Print machine-readable JSON.") var json = false

        /// A chain or a set of roots is a few certificates; this is thousands.
        static let largestChain = 16 << 20

        func run() async throws {
            let expecting = try suite.map(Suite.init(parsing:))
            let read: SuiteKey
            if PKCS11URI.isURI(key) {
                read = try SuiteKey(pkcs11: key, expecting: expecting)
            } else {
                read = try SuiteKey(pem: Array(Node.readSecret(at: URL(fileURLWithPath: key)).utf8), expecting: expecting)
            }
            let publicKey = read.publicKey
            var certified: CertifiedKey?
            if ca != nil && certificate == nil { throw RosterError(.invalidField, "--ca needs --certificate, the key's certificate to verify against it") }
            if let certificate {
                guard let ca else { throw RosterError(.invalidField, "--certificate needs --ca, the national CA's root certificates to verify it against") }
                func certificates(_ path: String, _ option: String) throws -> [[UInt8]] {
                    do {
                        return try CertifiedKey.certificates(pem: InputFile.read(path, limit: Self.largestChain))
                    } catch let error as RosterError {
                        throw RosterError(error.code, "\(option) \(Text.printable(path, limit: 200)): \(error.reason)")
                    }
                }
                certified = try CertifiedKey.verify(chain: certificates(certificate, "--certificate"), roots: certificates(ca, "--ca"),
                                                    at: WallClock.system.now())
                guard certified?.publicKey == publicKey else {
                    throw RosterError(.badKey, "the certificate in \(Text.printable(certificate, limit: 200)) certifies another key than the one inspected")
                }
            }
            let fingerprint = Hex.encode(SHA256Digest.of(publicKey.spki))
            if json {
                var members: [String: JSON] = ["suite": .string(publicKey.suite.rawValue), "spki": .string(Base64.encode(publicKey.spki)),
                                               "sha256": .string(fingerprint), "pem": .string(publicKey.pem)]
                if let certified { members["certificate"] = ["subject": .string(certified.subject), "issuer": .string(certified.issuer)] }
                Terminal.printJSON(.object(members))
                return
            }
            Terminal.print("suite:    \(publicKey.suite.rawValue)")
            Terminal.print("sha256:   \(fingerprint) (of its SubjectPublicKeyInfo)")
            if let certified {
                Terminal.print("subject:  \(certified.subject)")
                Terminal.print("issuer:   \(certified.issuer) (verified now, for digital signatures)")
            }
            Terminal.print(publicKey.pem.trimmingCharacters(in: .newlines))
        }
    }
}
