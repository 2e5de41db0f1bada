import COpenSSL
import Foundation
import RosterCore

/// An agency key certified by a national certification authority: the X.509 chain
/// from the key's certificate up to a root the node was given for the agency's
/// jurisdiction, verified by OpenSSL as it stood at a given time (a key event's),
/// for digital signatures. What a node then knows of the key: who it was issued to,
/// by whom, and the key itself.
public struct CertifiedKey: Sendable {
    public let subject: String
    public let issuer: String
    public let publicKey: SuitePublicKey

    /// `chain` is the key's certificate first, then any intermediates, each DER;
    /// `roots` the CA certificates trusted for the jurisdiction, DER.
    public static func verify(chain: [[UInt8]], roots: [[UInt8]], at time: Timestamp) throws -> CertifiedKey {
        _ = Engine.gost   // GOST certificates name GOST keys
        guard !chain.isEmpty else {
            throw RosterError(.badKey, "no certificate: this agency's jurisdiction needs its keys certified, so a key event must carry the key's certificate chain")
        }
        guard !roots.isEmpty else { throw RosterError(.badKey, "no CA root is trusted for this jurisdiction: add one with roster peers trust-ca") }
        let certificates = try chain.map(Certificate.init)
        let trusted = try roots.map(Certificate.init)
        guard let store = X509_STORE_new() else { throw OpenSSL.error(.badKey, "no memory") }
        defer { X509_STORE_free(store) }
        for root in trusted { guard X509_STORE_add_cert(store, root.pointer) == 1 else { throw OpenSSL.error(.badKey, "a CA root cannot be trusted") } }
        guard let untrusted = OPENSSL_sk_new_null() else { throw OpenSSL.error(.badKey, "no memory") }
        defer { OPENSSL_sk_free(untrusted) }
        for intermediate in certificates.dropFirst() { OPENSSL_sk_push(untrusted, UnsafeRawPointer(intermediate.pointer)) }
        guard let context = X509_STORE_CTX_new() else { throw OpenSSL.error(.badKey, "no memory") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, certificates[0].pointer, untrusted) == 1 else {
            throw OpenSSL.error(.badKey, "cannot set up the chain's verification")
        }
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context), time_t(time.seconds))
        guard X509_verify_cert(context) == 1 else {
            let code = X509_STORE_CTX_get_error(context)
            let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
            ERR_clear_error()
            throw RosterError(.badKey, "the certificate of \(certificates[0].subject) does not verify to a CA root trusted for its jurisdiction at \(time): \(reason)")
        }
        // For signatures, said so: a certificate without key usage says nothing of what its key may do.
        let leaf = certificates[0].pointer
        // An agency's key signs operations, not certificates: a CA's certificate is not one.
        guard X509_check_ca(leaf) == 0 else {
            throw RosterError(.badKey, "the certificate of \(certificates[0].subject) is a CA's: give the agency key's own certificate first, then its issuers")
        }
        guard X509_get_extension_flags(leaf) & UInt32(EXFLAG_KUSAGE) != 0, X509_get_key_usage(leaf) & UInt32(KU_DIGITAL_SIGNATURE) != 0 else {
            throw RosterError(.badKey, "the certificate of \(certificates[0].subject) does not allow digital signatures (its key usage lacks digitalSignature)")
        }
        return CertifiedKey(subject: certificates[0].subject, issuer: certificates[0].issuer, publicKey: try certificates[0].publicKey())
    }

    /// The SubjectPublicKeyInfo (DER) of the key a certificate (DER) certifies.
    public static func spki(of certificate: [UInt8]) throws -> [UInt8] {
        try Certificate(certificate).publicKey().spki
    }

    /// Who a certificate (DER) was issued to, and by whom, as RFC 2253 names.
    public static func names(of certificate: [UInt8]) throws -> (subject: String, issuer: String) {
        let parsed = try Certificate(certificate)
        return (parsed.subject, parsed.issuer)
    }

    /// The certificates of a PEM file, DER each, in order.
    public static func certificates(pem: [UInt8]) throws -> [[UInt8]] {
        guard pem.count <= Int(Int32.max) else { throw RosterError(.badKey, "\(pem.count) bytes are no certificate file") }
        var found: [[UInt8]] = []
        try pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { throw OpenSSL.error(.badKey, "no memory") }
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                defer { X509_free(certificate) }
                var buffer: UnsafeMutablePointer<UInt8>? = nil
                let count = i2d_X509(certificate, &buffer)
                guard count > 0, let buffer else { throw OpenSSL.error(.badKey, "a certificate cannot be written") }
                found.append(Array(UnsafeBufferPointer(start: buffer, count: Int(count))))
                CRYPTO_free(buffer, nil, 0)
            }
            ERR_clear_error()   // the end of the file reads as an error
        }
        guard !found.isEmpty else { throw RosterError(.badKey, "no certificate in the PEM (-----BEGIN CERTIFICATE-----)") }
        return found
    }
}

/// One X.509 certificate held by OpenSSL.
final class Certificate {
    let pointer: OpaquePointer

    init(_ der: [UInt8]) throws {
        var cursor: UnsafePointer<UInt8>? = nil
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw OpenSSL.error(.badKey, "not an X.509 certificate in DER") }
        pointer = parsed
    }

    deinit { X509_free(pointer) }

    var subject: String { Self.name(X509_get_subject_name(pointer)) }
    var issuer: String { Self.name(X509_get_issuer_name(pointer)) }

    func publicKey() throws -> SuitePublicKey {
        guard let key = X509_get0_pubkey(pointer) else { throw OpenSSL.error(.badKey, "the certificate's key cannot be read") }
        return try SuitePublicKey(spki: SuitePublicKey.spki(of: key))
    }

    /// RFC 2253 form, as `openssl x509 -nameopt RFC2253,-esc_msb` prints it, made
    /// safe to print: a CA's name is other people's text.
    static func name(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, name, 0, roster_XN_FLAG_RFC2253)
        var data: UnsafeMutablePointer<CChar>? = nil
        let count = roster_BIO_get_mem_data(bio, &data)
        guard count > 0, let data else { return "" }
        return Text.printable(String(decoding: UnsafeRawBufferPointer(start: data, count: Int(count)), as: UTF8.self))
    }
}
