import GRDB
import RosterCore

/// An agency this node syncs with, as its descriptor says.
public struct Peer: Sendable, Equatable {
    public let agency: String
    public let endpoint: Endpoint?
    public let tlsPin: String?
    public let descriptor: PeerDescriptor
}

extension DatabaseReading {
    public func peers() throws -> [Peer] {
        try Row.fetchAll(db, sql: "SELECT descriptor FROM peer ORDER BY agency").map { row in
            let descriptor = try PeerDescriptor(json: JSONParser.parse(row[0] as String))
            return Peer(agency: descriptor.agency, endpoint: descriptor.endpoints.first.flatMap(Endpoint.init),
                        tlsPin: descriptor.tlsPin, descriptor: descriptor)
        }
    }
}

extension Transaction {
    /// Accepts a descriptor: its replicas' keys, and its endpoint and pin for sync.
    public func addPeer(_ descriptor: PeerDescriptor) throws {
        for replica in descriptor.replicas { try register(origin: replica.origin, key: replica.key) }
        try db.execute(sql: """
            INSERT OR REPLACE INTO peer (agency, descriptor, endpoint, tls_spki_sha256) VALUES (?, ?, ?, ?)
            """, arguments: [descriptor.agency, CanonicalJSON.string(descriptor.json), descriptor.endpoints.first, descriptor.tlsPin])
    }

    /// Stops syncing with an agency. Its keys stay: the operations it signed remain
    /// the truth of its entries and must still verify in an audit.
    public func removePeer(_ agency: String) throws {
        try db.execute(sql: "DELETE FROM peer WHERE agency = ?", arguments: [agency])
        guard db.changesCount > 0 else {
            throw RosterError(.invalidField, "\(agency) is not a peer: roster peers list shows them")
        }
    }
}
