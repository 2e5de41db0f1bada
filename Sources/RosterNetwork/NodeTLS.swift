import Crypto
import Foundation
import NIOSSL
import RosterCore
import X509

/// The node's TLS identity: a self-signed certificate made on first use and kept in
/// the data folder (`tls.crt`, `tls.key` with mode 0600), or files the operator
/// provides. Peers know it by the SHA-256 of its public key, not by a CA.
public struct NodeTLS: Sendable {
    public let certificate: NIOSSLCertificate
    public let privateKey: NIOSSLPrivateKey
    /// Lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo.
    public let pin: String

    static let certificateFile = "tls.crt"
    static let keyFile = "tls.key"

    /// Loads the operator's PEM files, or the node's own, creating those if absent.
    public static func load(folder: URL, origin: String, certificatePath: String? = nil, keyPath: String? = nil) throws -> NodeTLS {
        let certificateURL = certificatePath.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent(certificateFile)
        let keyURL = keyPath.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent(keyFile)
        if certificatePath == nil && keyPath == nil && !FileManager.default.fileExists(atPath: certificateURL.path) {
            try create(certificateURL: certificateURL, keyURL: keyURL, origin: origin)
        }
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

    static func create(certificateURL: URL, keyURL: URL, origin: String) throws {
        let key = P256.Signing.PrivateKey()
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
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: .init(key))
        let keyPEM = key.pemRepresentation + "\n"
        let descriptor = open(keyURL.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw RosterError(.storage, "cannot create \(keyURL.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(keyPEM.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else {
            throw RosterError(.storage, "cannot write \(keyURL.path)")
        }
        try (try certificate.serializeAsPEM().pemString + "\n").write(to: certificateURL, atomically: true, encoding: .utf8)
    }
}
