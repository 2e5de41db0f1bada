import Crypto
import Foundation

/// Signs with a key of a suite other than Ed25519, wherever the key lives (a file,
/// a PKCS #11 token): made by `NationalSuites`, which links OpenSSL.
public protocol SuiteSigner: Sendable {
    var publicKey: PublicKey { get }
    /// Throws when the key cannot sign now (a token removed, a PIN refused).
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// A replica's or an agency's signing key, of any suite: Ed25519 through
/// swift-crypto, any other through a `SuiteSigner`. Never printed: `description`
/// shows the public half only.
/// Unchecked Sendable: swift-crypto 3's keys are immutable but not yet marked.
public struct ReplicaKey: @unchecked Sendable, CustomStringConvertible {
    private enum Material {
        case ed25519(Curve25519.Signing.PrivateKey)
        case suite(any SuiteSigner)
    }

    private let material: Material
    public let publicKey: PublicKey

    /// A new Ed25519 key from `generator`'s 32 bytes: Core draws no randomness of its
    /// own, so the edge hands in the system's generator and a test a seeded one.
    public init(using generator: inout some RandomNumberGenerator) {
        let seed = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // Any 32 bytes are an Ed25519 seed.
        self.init(try! Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    public init(rawRepresentation: some ContiguousBytes) throws {
        do { self.init(try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation)) } catch {
            throw RosterError(.badKey, "the private key is not a 32-byte Ed25519 seed")
        }
    }

    private init(_ key: Curve25519.Signing.PrivateKey) {
        material = .ed25519(key)
        publicKey = PublicKey(key.publicKey)
    }

    public init(signer: any SuiteSigner) {
        material = .suite(signer)
        publicKey = signer.publicKey
    }

    public var suite: Suite { publicKey.suite }

    /// An Ed25519 key's 32-byte seed, for its key file only (`KeyFile` in the store);
    /// nil for a key of another suite, which its signer keeps.
    public var rawRepresentation: [UInt8]? {
        guard case .ed25519(let key) = material else { return nil }
        return Array(key.rawRepresentation)
    }

    /// The signer of a key of another suite than Ed25519.
    public var signer: (any SuiteSigner)? {
        guard case .suite(let signer) = material else { return nil }
        return signer
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch material {
        // BoringSSL's Ed25519 is deterministic, as RFC 8032 specifies; it cannot fail for a valid key.
        case .ed25519(let key): return Array(try! key.signature(for: message))
        case .suite(let signer): return try signer.sign(message)
        }
    }

    public var description: String { "ReplicaKey(\(suite.rawValue), public: \(publicKey.base64))" }
}
