import COpenSSL
import RosterCore

/// A public key of any suite, as its SubjectPublicKeyInfo (DER) says it: the form
/// that X.509 certificates, `openssl pkey -pubout` and key events carry. Reading it
/// decides its suite and checks that the suite allows it (the curve, the size).
public final class SuitePublicKey: Hashable, @unchecked Sendable {
    public let suite: Suite
    /// SubjectPublicKeyInfo, DER.
    public let spki: [UInt8]
    /// Immutable once read: OpenSSL verifies with one key on many threads.
    let key: OpaquePointer
    /// A verifying context set up once (digest, padding), copied for each signature:
    /// setting one up costs OpenSSL 3 as much as a P-256 verification's tenth.
    private let template: SigningContext

    public init(spki: [UInt8]) throws {
        _ = Engine.gost   // so that GOST key algorithms are known before any key is read
        var cursor: UnsafePointer<UInt8>? = nil
        let parsed: OpaquePointer? = spki.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            throw OpenSSL.error(.badKey, "the public key is not a SubjectPublicKeyInfo this node can read (a GOST key needs libengine-gost-openssl)")
        }
        do {
            suite = try KeyAlgorithm.suite(of: parsed)
            try Self.checkPublic(parsed, suite: suite)
        } catch {
            EVP_PKEY_free(parsed)
            throw error
        }
        key = parsed
        self.spki = spki
        do {
            template = try SigningContext(key: parsed, suite: suite, signing: false)
        } catch {
            EVP_PKEY_free(parsed)
            throw error
        }
    }

    /// OpenSSL's own check of a public key (a point on its curve, an RSA modulus and
    /// exponent a key may have); a suite whose provider has no such check passes.
    static func checkPublic(_ key: OpaquePointer, suite: Suite) throws {
        guard let context = EVP_PKEY_CTX_new(key, nil) else { throw OpenSSL.error(.badKey, "no memory") }
        defer { EVP_PKEY_CTX_free(context) }
        // RSA's check tests the modulus for primality, up to 128 exponentiations of 8192
        // bits that a stranger's key event could ask for: Core has checked its form.
        guard suite != .rsaPSS else { return }
        let checked = EVP_PKEY_public_check(context)
        ERR_clear_error()
        guard checked == 1 || checked == -2 else {
            throw RosterError(.badKey, "the \(suite.rawValue) public key fails OpenSSL's check of a public key: it is no key a signer could hold")
        }
    }

    /// The SubjectPublicKeyInfo (DER) of a key, private or public.
    static func spki(of key: OpaquePointer) throws -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let count = i2d_PUBKEY(key, &buffer)
        guard count > 0, let buffer else { throw OpenSSL.error(.badKey, "the public key cannot be written as a SubjectPublicKeyInfo") }
        defer { CRYPTO_free(buffer, nil, 0) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(count)))
    }

    deinit { EVP_PKEY_free(key) }

    /// Whether `signature` is this key's over `message`, by its suite's rules.
    /// An ECDSA signature must have the low s, an RSA one the modulus's length: one
    /// operation has one signature a relay cannot rewrite into another that verifies.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        if suite == .ecdsaP256, !LowS.isLow(signature) { return false }
        if suite == .rsaPSS, signature.count != Int(EVP_PKEY_get_size(key)) { return false }
        guard let context = template.copy() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    /// PEM of the SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it.
    public var pem: String {
        let body = Base64.encode(spki)
        var lines = ["-----BEGIN PUBLIC KEY-----"]
        var rest = Substring(body)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return (lines + ["-----END PUBLIC KEY-----"]).joined(separator: "\n") + "\n"
    }

    public static func == (lhs: SuitePublicKey, rhs: SuitePublicKey) -> Bool { lhs.spki == rhs.spki }
    public func hash(into hasher: inout Hasher) { hasher.combine(spki) }
}

/// What a key's algorithm says of its suite, and the digest each suite signs with.
enum KeyAlgorithm {
    static func suite(of key: OpaquePointer) throws -> Suite {
        let id = EVP_PKEY_get_base_id(key)
        switch id {
        case EVP_PKEY_ED25519:
            return .ed25519
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(key, "group", &name, name.count, &length) == 1 else {
                throw OpenSSL.error(.badKey, "an EC key whose curve OpenSSL cannot name")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" else {
                throw RosterError(.badKey, "an ECDSA key on curve \(curve): the suite \(Suite.ecdsaP256.rawValue) takes P-256 (prime256v1) only")
            }
            return .ecdsaP256
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
            let bits = Int(EVP_PKEY_get_bits(key))
            guard bits >= Suite.minimumRSABits else {
                throw RosterError(.badKey, "an RSA key of \(bits) bits: the suite \(Suite.rsaPSS.rawValue) takes \(Suite.minimumRSABits) bits or more")
            }
            return .rsaPSS
        case NID_id_GostR3410_2012_256:
            return .gost256
        case NID_id_GostR3410_2012_512:
            return .gost512
        default:
            let name = OBJ_nid2sn(id).map { String(cString: $0) } ?? "NID \(id)"
            throw RosterError(.badKey, "a key of algorithm \(name): the suites are \(Suite.names)")
        }
    }

    /// The digest a suite signs with; nil for Ed25519, which hashes inside.
    static func digest(_ suite: Suite) -> OpaquePointer? {
        switch suite {
        case .ed25519: return nil
        case .ecdsaP256, .rsaPSS: return EVP_sha256()
        case .gost256: return EVP_get_digestbyname("md_gost12_256")
        case .gost512: return EVP_get_digestbyname("md_gost12_512")
        }
    }
}

/// An EVP context set up for one key and suite, never used itself: each signature
/// or verification takes a copy, which costs less than setting one up again.
final class SigningContext: @unchecked Sendable {
    private let context: OpaquePointer

    init(key: OpaquePointer, suite: Suite, signing: Bool) throws {
        guard let context = EVP_MD_CTX_new() else { throw OpenSSL.error(.badKey, "no memory") }
        var parameters: OpaquePointer? = nil
        let digest = KeyAlgorithm.digest(suite)
        let ready = signing ? EVP_DigestSignInit(context, &parameters, digest, nil, key) : EVP_DigestVerifyInit(context, &parameters, digest, nil, key)
        guard ready == 1, suite != .rsaPSS || (parameters.map { roster_EVP_PKEY_CTX_set_rsa_pss($0) == 1 } ?? false) else {
            EVP_MD_CTX_free(context)
            throw OpenSSL.error(.badKey, "cannot \(signing ? "sign" : "verify") with the \(suite.rawValue) key")
        }
        self.context = context
    }

    /// A fresh copy to sign or verify one message with; the caller frees it.
    func copy() -> OpaquePointer? {
        guard let copy = EVP_MD_CTX_new() else { return nil }
        guard EVP_MD_CTX_copy_ex(copy, context) == 1 else {
            EVP_MD_CTX_free(copy)
            return nil
        }
        return copy
    }

    deinit { EVP_MD_CTX_free(context) }
}
