import Crypto
import Foundation

/// A key that signs operations or key events, of any suite: what peers and auditors
/// check signatures with. On the wire an Ed25519 key is its 32 raw bytes, as it
/// always was; a key of any other suite is its SubjectPublicKeyInfo (DER), which
/// names its suite, so that no key can be read as another suite's.
/// Unchecked Sendable: swift-crypto 3's keys are immutable but not yet marked, and
/// the verifier cache is behind a lock.
public struct PublicKey: Hashable, @unchecked Sendable {
    public let suite: Suite
    /// The bytes the wire carries in base64, the store keeps and a fingerprint hashes.
    public let raw: [UInt8]
    /// What makes the key this key however its bytes are spelled (an RSA key is one
    /// key as rsaEncryption and as RSASSA-PSS): keys that must differ are compared by it.
    public let material: [UInt8]
    private let ed25519: Curve25519.Signing.PublicKey?
    private let national: NationalVerifier?

    /// The largest key the wire carries: an RSA key of `Suite.maximumRSABits`.
    public static let maximumSize = 1_100

    private init(suite: Suite, raw: [UInt8], material: [UInt8], ed25519: Curve25519.Signing.PublicKey?, national: NationalVerifier?) {
        self.suite = suite
        self.raw = raw
        self.material = material
        self.ed25519 = ed25519
        self.national = national
    }

    init(_ key: Curve25519.Signing.PublicKey) {
        let raw = Array(key.rawRepresentation)
        self.init(suite: .ed25519, raw: raw, material: raw, ed25519: key, national: nil)
    }

    /// The wire's bytes: 32 of an Ed25519 key, or another suite's SubjectPublicKeyInfo.
    public init(raw: [UInt8]) throws {
        if raw.count == 32 {
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw RosterError(.badKey, "an Ed25519 public key is 32 bytes")
            }
            self.init(key)
            return
        }
        guard raw.count <= Self.maximumSize else {
            throw RosterError(.badKey, "a public key of \(raw.count) bytes: the largest a suite has is \(Self.maximumSize) (an RSA key of \(Suite.maximumRSABits) bits)")
        }
        let info = try SubjectPublicKeyInfo(der: raw)
        guard info.suite != .ed25519 else {
            throw RosterError(.badKey, "an Ed25519 key is written as its 32 raw bytes, not as a SubjectPublicKeyInfo")
        }
        self.init(suite: info.suite, raw: raw, material: info.material, ed25519: nil, national: NationalVerifier())
    }

    /// A SubjectPublicKeyInfo (DER) of any suite, as `openssl pkey -pubout` writes
    /// it; an Ed25519 key becomes its raw bytes.
    public init(spki: [UInt8]) throws {
        guard spki.count <= Self.maximumSize else { try self.init(raw: spki); return }
        let info = try SubjectPublicKeyInfo(der: spki)
        try self.init(raw: info.ed25519 ?? spki)
    }

    /// Base64 of `raw`, as peer descriptors and key events carry it.
    public init(base64: String) throws {
        guard base64.utf8.count <= Base64.length(of: Self.maximumSize) else {
            throw RosterError(.badKey, "a public key of \(base64.utf8.count / 4 * 3) bytes or so: the largest a suite has is \(Self.maximumSize) (an RSA key of \(Suite.maximumRSABits) bits)")
        }
        guard let raw = Base64.decode(base64) else {
            throw RosterError(.badKey, "public key \"\(Text.printable(base64, limit: 60))\" is not base64 of a key (32 bytes of Ed25519, or a SubjectPublicKeyInfo)")
        }
        try self.init(raw: raw)
    }

    public var base64: String { Base64.encode(raw) }

    /// An Ed25519 key of small order (libsodium's list, sign bit ignored): a key for
    /// which anyone can make signatures that verify. Key events refuse them.
    public var hasSmallOrder: Bool {
        guard suite == .ed25519, raw.count == 32 else { return false }
        return Self.smallOrder.contains { point in point.prefix(31).elementsEqual(raw.prefix(31)) && point[31] == raw[31] & 0x7F }
    }

    private static let smallOrder: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),
        [1] + [UInt8](repeating: 0, count: 31),
        [0x26, 0xE8, 0x95, 0x8F, 0xC2, 0xB2, 0x27, 0xB0, 0x45, 0xC3, 0xF4, 0x89, 0xF2, 0xEF, 0x98, 0xF0,
         0xD5, 0xDF, 0xAC, 0x05, 0xD3, 0xC6, 0x33, 0x39, 0xB1, 0x38, 0x02, 0x88, 0x6D, 0x53, 0xFC, 0x05],
        [0xC7, 0x17, 0x6A, 0x70, 0x3D, 0x4D, 0xD8, 0x4F, 0xBA, 0x3C, 0x0B, 0x76, 0x0D, 0x10, 0x67, 0x0F,
         0x2A, 0x20, 0x53, 0xFA, 0x2C, 0x39, 0xCC, 0xC6, 0x4E, 0xC7, 0xFD, 0x77, 0x92, 0xAC, 0x03, 0x7A],
        [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [0xEE] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
    ]


    /// The SubjectPublicKeyInfo (DER), which OpenSSL and X.509 certificates read.
    public var spki: [UInt8] { suite == .ed25519 ? SubjectPublicKeyInfo.ed25519(raw: raw) : raw }

    /// Whether `signature` is this key's on `message`. Throws `.suiteUnavailable`
    /// when this machine cannot verify the suite: the signature is neither valid nor
    /// invalid yet.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) throws -> Bool {
        guard suite.signatureSizes.contains(signature.count) else { return false }
        if let ed25519 { return ed25519.isValidSignature(signature, for: message) }
        guard let national else { return false }
        return try national.verifier(for: self).isValidSignature(signature, for: message)
    }

    /// Loads the key where its suite's verifier lives (OpenSSL), which checks it whole:
    /// throws `.badKey` for a key that could not verify anything, `.suiteUnavailable`
    /// when this machine lacks the suite. An Ed25519 key was checked when read.
    public func checkUsable() throws {
        guard let national else { return }
        _ = try national.verifier(for: self)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.raw == rhs.raw }
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }
}

/// The verifier of a key of a suite other than Ed25519, made once per key on first
/// use by what `SuiteVerification` has installed.
private final class NationalVerifier: @unchecked Sendable {
    private let lock = NSLock()
    private var made: (any KeyVerifier)?

    func verifier(for key: PublicKey) throws -> any KeyVerifier {
        try lock.withLock {
            if let made { return made }
            let verifier = try SuiteVerification.verifier(for: key)
            made = verifier
            return verifier
        }
    }
}
