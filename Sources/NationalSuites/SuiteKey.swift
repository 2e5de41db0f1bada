import COpenSSL
import Foundation
import RosterCore

/// A private key of any suite, held by the system OpenSSL: read from a PKCS#8 PEM
/// file (as `openssl genpkey` writes it) or made anew. Never printed.
public final class SuiteKey: @unchecked Sendable, CustomStringConvertible {
    public let suite: Suite
    public let publicKey: SuitePublicKey
    /// Immutable once made: signing takes a context of its own each time.
    let key: OpaquePointer
    private let template: SigningContext

    /// Reads an unencrypted PKCS#8 PEM; `expecting` refuses a key of another suite.
    public convenience init(pem: [UInt8], expecting: Suite? = nil) throws {
        _ = Engine.gost
        guard pem.count <= Self.largestPEM else { throw RosterError(.badKey, "\(pem.count) bytes are no private key (a PEM key is a few kilobytes)") }
        if pem.firstRange(of: Array("ENCRYPTED".utf8)) != nil {
            throw RosterError(.badKey, "the key is encrypted: write it unencrypted to a file of mode 0600 (openssl pkey -in KEY -out PLAIN), or keep it in a token")
        }
        let read: OpaquePointer? = pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            // No passphrase is ever asked for: OpenSSL's default would read one from the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let read else {
            if pem.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                throw RosterError(.badKey, "the key file is empty: give a PKCS#8 PEM key, as openssl genpkey writes it")
            }
            if Engine.gost == nil, Self.namesGOST(pem) {
                ERR_clear_error()
                throw RosterError(.suiteUnavailable, "the key is a GOST key, and this machine lacks the OpenSSL GOST engine: install libengine-gost-openssl")
            }
            throw OpenSSL.error(.badKey, "not an unencrypted PKCS#8 private key in PEM (openssl genpkey writes one)")
        }
        try self.init(taking: read, expecting: expecting)
    }

    /// A key in a hardware token (RFC 7512 URI), used through OpenSSL's PKCS#11
    /// engine: signing happens in the token, and the private key never leaves it.
    public convenience init(pkcs11 text: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            expecting: Suite? = nil) throws {
        let uri = try PKCS11URI(text)
        let engine = try Engine.pkcs11(module: uri.module(environment: environment))
        ERR_clear_error()
        let pin = try uri.pin(environment: environment)
        guard ENGINE_ctrl_cmd_string(engine.pointer, "PIN", pin, 0) == 1 else { throw OpenSSL.error(.badKey, "the PKCS#11 engine takes no PIN") }
        ERR_clear_error()
        guard let key = ENGINE_load_private_key(engine.pointer, uri.path, nil, nil) else {
            // libp11 reports a refused PIN as a key it cannot see, unless the token says more.
            let reason = OpenSSL.reason()
            if reason.localizedCaseInsensitiveContains("PIN incorrect") {
                throw RosterError(.badKey, "the token refused the PIN for \(uri.path): check ROSTER_PKCS11_PIN or the pin-source file (a token locks after a few wrong tries)")
            }
            throw RosterError(.badKey, "no key \(uri.path) that this PIN opens, in any token the module \((try? uri.module(environment: environment)) ?? "") sees: "
                + "check the token is present, its label and the key's, and the PIN (OpenSSL: \(reason))")
        }
        try self.init(taking: key, expecting: expecting)
    }

    /// Whether a PEM's DER names a GOST R 34.10-2012 key (OID 1.2.643.7.1.1.1).
    static func namesGOST(_ pem: [UInt8]) -> Bool {
        let text = String(decoding: pem, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Base64.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
        return der.firstRange(of: [0x2A, 0x85, 0x03, 0x07, 0x01, 0x01, 0x01] as [UInt8]) != nil
    }

    /// Past this, a file is no PEM key (an RSA key of 16,384 bits is 13 KB).
    static let largestPEM = 1 << 20

    init(taking key: OpaquePointer, expecting: Suite?) throws {
        let suite: Suite
        do {
            suite = try KeyAlgorithm.suite(of: key)
            if let expecting, expecting != suite {
                throw RosterError(.badKey, "the key is of suite \(suite.rawValue), not \(expecting.rawValue) as asked")
            }
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        // The public half as a key of its own, read from its SubjectPublicKeyInfo: a
        // token's key verifies in software like any other.
        do {
            publicKey = try SuitePublicKey(spki: SuitePublicKey.spki(of: key))
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        do {
            template = try SigningContext(key: key, suite: suite, signing: true)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
        self.suite = suite
    }

    /// A new key of `suite` from the system's generator (P-256; RSA of 3072 bits; GOST paramset A).
    public static func generate(_ suite: Suite) throws -> SuiteKey {
        try Engine.require(suite)
        let context: OpaquePointer?
        switch suite {
        case .ed25519: context = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil)
        case .ecdsaP256: context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil)
        case .rsaPSS: context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil)
        case .gost256: context = EVP_PKEY_CTX_new_id(NID_id_GostR3410_2012_256, Engine.gost?.pointer)
        case .gost512: context = EVP_PKEY_CTX_new_id(NID_id_GostR3410_2012_512, Engine.gost?.pointer)
        }
        guard let context else { throw OpenSSL.error(.unsupportedAlgorithm, "this OpenSSL cannot make \(suite.rawValue) keys") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw OpenSSL.error(.unsupportedAlgorithm, "this OpenSSL cannot make \(suite.rawValue) keys") }
        let configured: Bool
        switch suite {
        case .ed25519: configured = true
        case .ecdsaP256: configured = EVP_PKEY_CTX_set_group_name(context, "P-256") == 1
        case .rsaPSS: configured = EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(Suite.minimumRSABits)) == 1
        case .gost256, .gost512: configured = EVP_PKEY_CTX_ctrl_str(context, "paramset", "A") > 0
        }
        guard configured else { throw OpenSSL.error(.unsupportedAlgorithm, "cannot set the parameters of a \(suite.rawValue) key") }
        var made: OpaquePointer? = nil
        guard EVP_PKEY_keygen(context, &made) == 1, let made else { throw OpenSSL.error(.unsupportedAlgorithm, "could not make a \(suite.rawValue) key") }
        return try SuiteKey(taking: made, expecting: suite)
    }

    deinit { EVP_PKEY_free(key) }

    /// The signature over `message` by the suite's rules.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = template.copy() else { throw OpenSSL.error(.badKey, "cannot sign with the \(suite.rawValue) key") }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw OpenSSL.error(.badKey, "cannot sign") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw OpenSSL.error(.badKey, "cannot sign") }
        let made = Array(signature.prefix(length))
        guard suite == .ecdsaP256 else { return made }
        guard let low = LowS.normalized(made) else { throw RosterError(.badKey, "the P-256 key made a signature that is not one") }
        return low
    }

    /// PKCS#8 PEM, unencrypted, for a key file of mode 0600.
    public func pem() throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSL.error(.badKey, "no memory") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { throw OpenSSL.error(.badKey, "cannot write the key") }
        var data: UnsafeMutablePointer<CChar>? = nil
        let count = roster_BIO_get_mem_data(bio, &data)
        guard count > 0, let data else { throw OpenSSL.error(.badKey, "cannot write the key") }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(count)))
    }

    public var description: String { "SuiteKey(\(suite.rawValue))" }
}
