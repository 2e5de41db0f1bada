import Foundation
import GRDB
import NationalSuites
import RosterCore

/// The national certification authorities this node trusts, per jurisdiction
/// (`roster peers trust-ca`): from then on, a key event of an agency of that
/// jurisdiction is accepted only if every key it binds, or signs with, has a
/// certificate chain that verifies to one of them at the event's time.
public struct NationalCA: Sendable, Equatable {
    /// ISO 3166-1 alpha-2, upper case.
    public let jurisdiction: String
    public let subject: String
    /// SHA-256 of the certificate's DER, lower-case hex.
    public let sha256: String
}

extension DatabaseReading {
    /// Each jurisdiction's CA roots, DER.
    func nationalCARoots() throws -> [String: [[UInt8]]] {
        var roots: [String: [[UInt8]]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT jurisdiction, certificate FROM national_ca ORDER BY jurisdiction, sha256") {
            guard let jurisdiction = row.text("jurisdiction"), let certificate = row.blob("certificate") else { throw Cell.unreadable("a national_ca row") }
            roots[jurisdiction, default: []].append(certificate)
        }
        return roots
    }

    /// The jurisdiction an agency's descriptors, as this node took them, say.
    func jurisdiction(of agency: String) throws -> String? {
        for text in try String.fetchAll(db, sql: "SELECT descriptor FROM peer WHERE agency = ? ORDER BY id", arguments: [agency]) {
            if let jurisdiction = (try? JSONParser.parse(text))?["jurisdiction"]?.string { return jurisdiction.uppercased() }
        }
        return nil
    }
}

extension Transaction {
    /// Trusts the CA certificates in `pem` for `jurisdiction`; returns what was added.
    func trustCA(jurisdiction: String, pem: [UInt8]) throws -> [NationalCA] {
        let code = jurisdiction.uppercased()
        guard code.utf8.count == 2, code.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            throw RosterError(.invalidField, "a jurisdiction is an ISO 3166-1 alpha-2 code like KZ, not \"\(Text.printable(jurisdiction, limit: 20))\"")
        }
        var added: [NationalCA] = []
        for certificate in try CertifiedKey.certificates(pem: pem) {
            let authority = try CertifiedKey.names(of: certificate)
            let sha256 = Hex.encode(SHA256Digest.of(certificate))
            try db.execute(sql: "INSERT OR IGNORE INTO national_ca (sha256, jurisdiction, certificate) VALUES (?, ?, ?)",
                           arguments: [sha256, code, Data(certificate)])
            added.append(NationalCA(jurisdiction: code, subject: authority.subject, sha256: sha256))
        }
        logger.notice("trusted \(added.count) CA certificates for \(code)")
        return added
    }

    /// Key events of an agency whose jurisdiction has CA roots here, that bind a key
    /// (a rotation) or sign with one (an enrol, a retire) without a certificate chain
    /// that verifies to those roots at the event's time: each with its one-line reason.
    /// Key events already held are not judged again.
    func uncertifiedKeyEvents(_ incoming: [CausalDelivery.Incoming], jurisdictions: [String: String]) throws -> [Dot: RosterError] {
        let events = incoming.map(\.operation).filter(\.operation.isKeyEvent)
        guard !events.isEmpty else { return [:] }
        let roots = try nationalCARoots()
        guard !roots.isEmpty else { return [:] }
        let held = try db.cachedStatement(sql: "SELECT 1 FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?")
        var chains: [PublicKey: [[UInt8]]] = [:]
        for agency in try trust().agencies.values {
            guard let keys = agency.keys else { continue }
            for key in keys.keys { chains[key] = keys.chain(of: key) }
        }
        var refused: [Dot: RosterError] = [:]
        var known: [String: String?] = [:]
        for event in events {
            let op = event.operation
            if case .rotate(let set) = op.payload { for key in set.keys { chains[key] = set.chain(of: key) } }
            if try Row.fetchOne(held, arguments: [op.origin, Int64(op.seq)]) != nil { continue }
            if known[op.agency] == nil { known[op.agency] = try jurisdictions[op.agency] ?? jurisdiction(of: op.agency) }
            guard let jurisdiction = known[op.agency] ?? nil, let trusted = roots[jurisdiction] else { continue }
            var keys: [PublicKey]
            if case .rotate(let set) = op.payload { keys = set.keys } else { keys = event.endorsements.map(\.key) }
            for key in keys {
                do {
                    let certified = try CertifiedKey.verify(chain: chains[key] ?? [], roots: trusted, at: op.time)
                    guard certified.publicKey.spki == key.spki else {
                        throw RosterError(.badKey, "the certificate of \(certified.subject) is for another key")
                    }
                } catch let error as RosterError {
                    refused[event.dot] = RosterError(.untrustedAgency, "key event \(event.dot) of \(op.agency) (\(jurisdiction)) "
                        + "\(op.type == "rotate" ? "names" : "is signed by") key sha256 \(key.fingerprint): \(error.reason)")
                    break
                }
            }
        }
        return refused
    }
}

extension Store {
    /// Trusts the CA certificates of a PEM file for a jurisdiction (`roster peers trust-ca`).
    public func trustCA(jurisdiction: String, pem: [UInt8]) async throws -> [NationalCA] {
        try await write { try $0.trustCA(jurisdiction: jurisdiction, pem: pem) }
    }

    /// The national CA certificates this node trusts.
    public func nationalCAs() async throws -> [NationalCA] {
        try await read { snapshot in
            try snapshot.nationalCARoots().flatMap { jurisdiction, roots in
                try roots.map { root in
                    NationalCA(jurisdiction: jurisdiction, subject: try CertifiedKey.names(of: root).subject, sha256: Hex.encode(SHA256Digest.of(root)))
                }
            }.sorted { ($0.jurisdiction, $0.sha256) < ($1.jurisdiction, $1.sha256) }
        }
    }
}

extension AgencyKeys {
    /// A key's certificate chain from a PEM file (its certificate first, then any
    /// intermediates), refused if the first certificate is for another key.
    public static func chain(pem: [UInt8], for key: PublicKey) throws -> [[UInt8]] {
        let chain = try CertifiedKey.certificates(pem: pem)
        guard chain.count <= maximumChainLength, chain.allSatisfy({ $0.count <= maximumCertificateSize }) else {
            throw RosterError(.invalidField, "a chain is at most \(maximumChainLength) certificates of at most \(maximumCertificateSize) bytes: give the key's certificate and its intermediates, not the root")
        }
        guard let leaf = chain.first, try CertifiedKey.spki(of: leaf) == key.spki else {
            throw RosterError(.badKey, "the first certificate is not for key sha256 \(key.fingerprint): give the key's own certificate first, then its issuers")
        }
        return chain
    }

    /// Each certified key's subject and issuer, for people: what `agency show` and `audit` print.
    public func certifications() -> [(key: PublicKey, subject: String, issuer: String)] {
        zip(keys, chains).compactMap { key, chain in
            guard let leaf = chain.first, let names = try? CertifiedKey.names(of: leaf) else { return nil }
            return (key, names.subject, names.issuer)
        }
    }
}
