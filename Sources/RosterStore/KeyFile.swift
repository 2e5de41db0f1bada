import Foundation
import RosterCore
import SwiftASN1

/// How keys are kept in files: a private key as PKCS #8 PEM (RFC 5958, RFC 8410),
/// as `openssl genpkey -algorithm ed25519` writes it, and a public key as
/// SubjectPublicKeyInfo PEM, as `openssl pkey -pubout` writes it. The DER is read
/// and written by swift-asn1, so that no structure is spelled out as bytes here.
enum KeyFile {
    /// id-Ed25519 (RFC 8410).
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]

    static func pem(of key: ReplicaKey) -> String {
        // Serializing integers, identifiers and octet strings cannot fail.
        var seed = DER.Serializer()
        try! seed.serialize(ASN1OctetString(contentBytes: ArraySlice(key.rawRepresentation)))
        var info = DER.Serializer()
        try! info.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(0)
            try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ed25519) }
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(seed.serializedBytes)))
        }
        return PEMDocument(type: "PRIVATE KEY", derBytes: info.serializedBytes).pemString + "\n"
    }

    static func key(pem: String) throws -> ReplicaKey {
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
    public var pem: String {
        var info = DER.Serializer()
        try! info.appendConstructedNode(identifier: .sequence) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(KeyFile.ed25519) }
            try coder.serialize(ASN1BitString(bytes: ArraySlice(raw)))
        }
        return PEMDocument(type: "PUBLIC KEY", derBytes: info.serializedBytes).pemString + "\n"
    }
}

extension ReplicaKey {
    /// PKCS #8 PEM, as `openssl genpkey -algorithm ed25519` writes it.
    public init(pem: String) throws { self = try KeyFile.key(pem: pem) }

    public var pem: String { KeyFile.pem(of: self) }
}
