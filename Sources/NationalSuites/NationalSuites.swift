import RosterCore

/// Brings every suite to Core through the system OpenSSL: each program that reads
/// or signs operations calls `install()` once as it starts.
public enum NationalSuites {
    public static func install() {
        SuiteVerification.install { key in
            if let package = key.suite.package, Engine.gost == nil {
                throw RosterError(.suiteUnavailable, "\(key.suite.rawValue) signatures need the OpenSSL GOST engine, which this machine lacks: install \(package) and restart the node")
            }
            return try SuitePublicKey(spki: key.spki)
        }
    }

    /// Whether this machine verifies `suite` now.
    public static func isAvailable(_ suite: Suite) -> Bool { suite.package == nil || Engine.gost != nil }
}

extension SuitePublicKey: KeyVerifier {}

extension ReplicaKey {
    /// A key the system OpenSSL holds (a PEM file of any suite, a key in a token) as
    /// the key a replica or an agency signs with.
    public init(_ key: SuiteKey) throws {
        self.init(signer: try OpenSSLSigner(key))
    }
}

/// A `SuiteKey` with its public half in Core's form.
private struct OpenSSLSigner: SuiteSigner {
    let key: SuiteKey
    let publicKey: PublicKey

    init(_ key: SuiteKey) throws {
        self.key = key
        publicKey = try PublicKey(spki: key.publicKey.spki)
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] { try key.sign(message) }
}
