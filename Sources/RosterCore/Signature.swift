import Crypto
import Foundation

/// Signature suites by their `alg` name. Only Ed25519 (RFC 8032) today; the
/// field exists so that national suites can be added without a format change.
public enum Signature {
    public static let ed25519 = "ed25519"
}

/// A replica's Ed25519 signing key. Never printed: `description` hides it.
/// Unchecked Sendable: no lock, as none is needed; swift-crypto 3's keys are
/// immutable but not yet marked.
public struct ReplicaKey: @unchecked Sendable, CustomStringConvertible {
    private let key: Curve25519.Signing.PrivateKey

    /// A new key from `generator`'s 32 bytes: Core draws no randomness of its own, so
    /// the edge hands in the system's generator and a test a seeded one.
    public init(using generator: inout some RandomNumberGenerator) {
        let seed = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // Any 32 bytes are an Ed25519 seed.
        key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    public init(rawRepresentation: some ContiguousBytes) throws {
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation) } catch {
            throw RosterError(.badKey, "the private key is not a 32-byte Ed25519 seed")
        }
    }

    /// The 32-byte seed, for the key file only (`KeyFile` in the store).
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: PublicKey { PublicKey(key.publicKey) }

    public func sign(_ message: [UInt8]) -> [UInt8] {
        // BoringSSL's Ed25519 is deterministic, as RFC 8032 specifies; it cannot fail for a valid key.
        Array(try! key.signature(for: message))
    }

    public var description: String { "ReplicaKey(public: \(publicKey.base64))" }
}

/// A replica's Ed25519 public key: what peers and auditors check signatures with.
/// Unchecked Sendable: no lock, as none is needed; swift-crypto 3's keys are
/// immutable but not yet marked.
public struct PublicKey: Hashable, @unchecked Sendable {
    private let key: Curve25519.Signing.PublicKey
    public let raw: [UInt8]

    init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
        raw = Array(key.rawRepresentation)
    }

    public init(raw: [UInt8]) throws {
        guard raw.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw RosterError(.badKey, "an Ed25519 public key is 32 bytes")
        }
        self.init(key)
    }

    /// Base64 of the raw 32 bytes, as peer descriptors carry it.
    public init(base64: String) throws {
        guard let raw = Base64.decode(base64) else {
            throw RosterError(.badKey, "public key \"\(base64)\" is not base64 of 32 bytes")
        }
        try self.init(raw: raw)
    }

    public var base64: String { Base64.encode(raw) }

    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.raw == rhs.raw }
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }
}
