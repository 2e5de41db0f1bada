import Foundation
import NationalSuites
import RosterCore
import SwiftASN1

/// How keys are kept in files: a private key as PKCS #8 PEM (RFC 5958, RFC 8410),
/// as `openssl genpkey -algorithm ed25519` writes it, and a public key as
/// SubjectPublicKeyInfo PEM, as `openssl pkey -pubout` writes it. The DER is read
/// and written by swift-asn1, so that no structure is spelled out as bytes here.
enum KeyFile {
    /// id-Ed25519 (RFC 8410).
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]

    static func pem(seed raw: [UInt8]) -> String {
        // Serializing integers, identifiers and octet strings cannot fail.
        var seed = DER.Serializer()
        try! seed.serialize(ASN1OctetString(contentBytes: ArraySlice(raw)))
        var info = DER.Serializer()
        try! info.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(0)
            try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ed25519) }
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(seed.serializedBytes)))
        }
        return PEMDocument(type: "PRIVATE KEY", derBytes: info.serializedBytes).pemString + "\n"
    }

    /// A key file's key: an Ed25519 PEM is read here; a PEM of another suite, or a
    /// PKCS #11 URI naming a key in a token, through the system OpenSSL.
    static func key(text: String) throws -> ReplicaKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("pkcs11:") { return try ReplicaKey(SuiteKey(pkcs11: trimmed)) }
        if let key = try? ed25519(pem: trimmed) { return key }
        return try ReplicaKey(SuiteKey(pem: Array(trimmed.utf8)))
    }

    static func ed25519(pem: String) throws -> ReplicaKey {
        let refusal = RosterError(.badKey, "the private key file is not an Ed25519 PKCS #8 PEM key")
        do {
            let document = try PEMDocument(pemString: pem.trimmingCharacters(in: .whitespacesAndNewlines))
            guard document.discriminator == "PRIVATE KEY" else { throw refusal }
            let seed = try DER.sequence(try DER.parse(document.derBytes), identifier: .sequence) { nodes in
                // Version 0, or 1 (OneAsymmetricKey, which may add the public key after the seed).
                guard try [0, 1].contains(Int(derEncoded: &nodes)) else { throw refusal }
                let algorithm = try DER.sequence(nodes.next() ?? { throw refusal }(), identifier: .sequence) { inner in
                    try ASN1ObjectIdentifier(derEncoded: &inner)
                }
                guard algorithm == ed25519 else { throw refusal }
                let outer = try ASN1OctetString(derEncoded: &nodes)
                while nodes.next() != nil {}
                return try ASN1OctetString(derEncoded: try DER.parse(outer.bytes)).bytes
            }
            return try ReplicaKey(rawRepresentation: Array(seed))
        } catch let error as RosterError {
            throw error
        } catch {
            throw refusal
        }
    }
}

extension PublicKey {
    /// SubjectPublicKeyInfo PEM, which `openssl pkeyutl -verify -pubin` reads.
    public var pem: String { PEMDocument(type: "PUBLIC KEY", derBytes: spki).pemString + "\n" }

    /// A public key as an operator hands it over: base64 as `roster keys show` prints
    /// it, base64 of a SubjectPublicKeyInfo (DER), an SPKI PEM, or a file holding one.
    public init(named text: String) throws {
        var given = text
        if !text.contains("-----BEGIN"), FileManager.default.fileExists(atPath: text) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: text), (attributes[.size] as? Int ?? .max) <= 1 << 16,
                  let contents = try? String(contentsOfFile: text, encoding: .utf8) else {
                throw RosterError(.badKey, "cannot read the public key file \(Text.printable(text, limit: 200)): it must be a PEM of a few kilobytes")
            }
            given = contents
        }
        // The PEM block of what roster keys show prints whole, or of a file.
        if let begin = given.range(of: "-----BEGIN PUBLIC KEY-----") {
            let block = given[begin.lowerBound...]
            let end = block.range(of: "-----END PUBLIC KEY-----").map { String(block[..<$0.upperBound]) } ?? String(block)
            guard let document = try? PEMDocument(pemString: end), document.discriminator == "PUBLIC KEY" else {
                throw RosterError(.badKey, "not a PUBLIC KEY PEM (openssl pkey -pubout writes one)")
            }
            try self.init(spki: document.derBytes)
            return
        }
        let trimmed = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count <= Base64.length(of: PublicKey.maximumSize), let bytes = Base64.decode(trimmed) else {
            throw RosterError(.badKey, "public key \"\(Text.printable(trimmed, limit: 60))\" is neither base64 of a key nor an SPKI PEM, nor a file holding one")
        }
        if bytes.count == 32 { try self.init(raw: bytes) } else { try self.init(spki: bytes) }
    }
}

extension ReplicaKey {
    /// A key file's text: PKCS #8 PEM of any suite, as `openssl genpkey` writes it,
    /// or a PKCS #11 URI (RFC 7512) of a key in a token.
    public init(pem: String) throws { self = try KeyFile.key(text: pem) }

    /// An Ed25519 key's PKCS #8 PEM; nil for another suite, whose file or token the
    /// operator gave.
    public var pem: String? { rawRepresentation.map(KeyFile.pem(seed:)) }
}
