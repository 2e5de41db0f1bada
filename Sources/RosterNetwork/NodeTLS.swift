import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOSSL
import RosterCore
import RosterStore
import X509

/// The node's TLS identity: a self-signed certificate made on first use and kept in
/// the data folder (`tls.crt`, `tls.key` with mode 0600), or files the operator
/// provides. Peers know it by the SHA-256 of its public key, not by a CA.
public struct NodeTLS: Sendable {
    public let certificate: NIOSSLCertificate
    public let privateKey: NIOSSLPrivateKey
    /// Lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo.
    public let pin: String

    public static let certificateFile = "tls.crt"
    static let keyFile = "tls.key"

    /// Loads the operator's PEM files, or the node's own, creating those if absent.
    public static func load(folder: URL, origin: String, certificatePath: String? = nil, keyPath: String? = nil) throws -> NodeTLS {
        let certificateURL = certificatePath.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent(certificateFile)
        let keyURL = keyPath.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent(keyFile)
        if certificatePath == nil && keyPath == nil {
            try createIfMissing(certificateURL: certificateURL, keyURL: keyURL, origin: origin)
        }
        try checkMode(of: keyURL)
        do {
            let certificate = try NIOSSLCertificate(file: certificateURL.path, format: .pem)
            let privateKey = try NIOSSLPrivateKey(file: keyURL.path, format: .pem)
            return NodeTLS(certificate: certificate, privateKey: privateKey, pin: try pin(of: certificate))
        } catch let error as RosterError {
            throw error
        } catch {
            throw RosterError(.badKey, "cannot load the TLS certificate \(certificateURL.path) and key \(keyURL.path): \(error)")
        }
    }

    public static func pin(of certificate: NIOSSLCertificate) throws -> String {
        Hex.encode(SHA256.hash(data: try certificate.extractPublicKey().toSPKIBytes()))
    }

    /// A TLS key readable by others is refused, as the replica key is.
    static func checkMode(of keyURL: URL) throws {
        var status = stat()
        guard stat(keyURL.path, &status) == 0 else {
            throw RosterError(.badKey, "cannot read the TLS key \(keyURL.path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw RosterError(.badKey, "the TLS key \(keyURL.path) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))): run chmod 600 on it")
        }
    }

    /// Makes the node's key and certificate under temporary names and renames them
    /// into place, key first: a crash leaves both, neither, or a key without a
    /// certificate, which the next start completes with a certificate for that key,
    /// so the pin peers hold stays valid.
    static func createIfMissing(certificateURL: URL, keyURL: URL, origin: String) throws {
        let manager = FileManager.default
        let hasKey = manager.fileExists(atPath: keyURL.path)
        let hasCertificate = manager.fileExists(atPath: certificateURL.path)
        switch (hasKey, hasCertificate) {
        case (true, true):
            return
        case (false, true):
            throw RosterError(.badKey, "\(certificateURL.path) has no key beside it: remove it to make a new TLS identity (peers will need the new pin from roster peers descriptor)")
        case (true, false):
            try checkMode(of: keyURL)
            guard let pem = try? String(contentsOf: keyURL, encoding: .utf8), let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) else {
                throw RosterError(.badKey, "cannot read the TLS key \(keyURL.path): remove it and tls.crt to make a new TLS identity")
            }
            try AtomicFile.write(certificatePEM(for: key, origin: origin), to: certificateURL, mode: 0o644)
        case (false, false):
            let key = P256.Signing.PrivateKey()
            let certificate = try certificatePEM(for: key, origin: origin)
            try AtomicFile.write(key.pemRepresentation + "\n", to: keyURL, mode: 0o600)
            try AtomicFile.write(certificate, to: certificateURL, mode: 0o644)
        }
    }

    static func certificatePEM(for key: P256.Signing.PrivateKey, origin: String) throws -> String {
        let name = try DistinguishedName {
            OrganizationName("Roster")
            CommonName(origin)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                // The loopback names a development node serves on, so that a resolver that trusts
                // this file (Unbound's tls-cert-bundle) can verify it by address or by name.
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: .init(key))
        return try certificate.serializeAsPEM().pemString + "\n"
    }
}
