import GRDB
import RosterCore

/// A node this node syncs with, as its descriptor says.
public struct Peer: Sendable, Equatable {
    public let descriptor: PeerDescriptor

    /// The node's replica origin, or its agency when the descriptor names no node.
    public var id: String { descriptor.id }
    public var agency: String { descriptor.agency }
    public var endpoint: Endpoint? { descriptor.endpoints.first.flatMap(Endpoint.init) }
    public var tlsPin: String? { descriptor.tlsPin }

    /// Whether `name` (a peer id or an agency) designates this peer.
    public func isNamed(_ name: String) -> Bool { name == id || name == agency }
}

/// A row of `peer`: the descriptor as added, and the columns derived from it that
/// sync looks up (endpoint, TLS pin).
struct PeerRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "peer"

    var id: String
    var agency: String
    var descriptor: String
    var endpoint: String?
    var pin: String?

    enum CodingKeys: String, CodingKey {
        case id, agency, descriptor, endpoint, pin = "tls_spki_sha256"
    }

    init(_ descriptor: PeerDescriptor) {
        id = descriptor.id
        agency = descriptor.agency
        self.descriptor = CanonicalJSON.string(descriptor.json)
        endpoint = descriptor.endpoints.first
        pin = descriptor.tlsPin
    }
}

extension DatabaseReading {
    func peers() throws -> [Peer] {
        let records = try Cell.decoding("a peer row") { try PeerRecord.order(Column("id")).fetchAll(db) }
        return try records.map { Peer(descriptor: try PeerDescriptor(json: JSONParser.parse($0.descriptor))) }
    }
}

extension Transaction {
    /// Accepts a descriptor: its key events (verified from the pinned root, as any
    /// operation), and, unless `isOwn`, its node's endpoint and pin for sync. A known
    /// peer's endpoint and pin change only when `replacing`: a new pin silently taken
    /// would hand the peer's identity to whoever holds the new key.
    func addPeer(_ descriptor: PeerDescriptor, replacing: Bool, isOwn: Bool) throws {
        _ = try descriptor.verified(by: trust())
        let outcomes = try receive(Verifier.verify(descriptor.keyEvents, trust: trust()), from: "descriptor",
                                   jurisdictions: descriptor.jurisdiction.map { [descriptor.agency: $0.uppercased()] } ?? [:])
        for (event, outcome) in zip(descriptor.keyEvents, outcomes) {
            if case .rejected(let error) = outcome, error.code != .equivocation { throw RosterError(error.code, "key event \(event.dot): \(error.reason)") }
        }
        // The node may hold more of the agency's key events than the descriptor: it is
        // the keys and replicas as the node holds them that must vouch for it, so that
        // a key rotated out or a replica retired signs no descriptor that is taken.
        let held = try trust()
        guard held.agencies[descriptor.agency]?.keys?.keys.contains(descriptor.signature.key) == true else {
            throw RosterError(.badSignature, "the descriptor of \(descriptor.agency) is signed by key \(descriptor.signature.key.fingerprint), "
                + "which the agency's key events held here no longer count among its keys: ask the agency for a descriptor signed with a current key")
        }
        if let node = descriptor.node, held.replicas[node] == nil || held.lastValid(node) != nil {
            throw RosterError(.notEnrolled, "the descriptor names node \(node), which \(descriptor.agency) has not enrolled, or has retired "
                + "or is quarantined: a node runs a replica its agency stands behind")
        }
        guard !isOwn else { return }
        if let known = try peers().first(where: { $0.id == descriptor.id }),
            known.descriptor.endpoints != descriptor.endpoints || known.tlsPin != descriptor.tlsPin, !replacing {
            throw RosterError(.peerChanged, "peer \(descriptor.id) is known at \(known.endpoint?.description ?? "no endpoint") with TLS pin \(known.tlsPin ?? "none"); "
                + "this descriptor says \(descriptor.endpoints.first ?? "no endpoint") with TLS pin \(descriptor.tlsPin ?? "none"): "
                + "check it with the agency out of band, then add it again with --replace")
        }
        try PeerRecord(descriptor).save(db)
    }

    /// Stops syncing with a node, or with every node of an agency. What they signed
    /// stays, and so does the trust in their agency (`distrust` ends that).
    func removePeer(_ name: String) throws -> [String] {
        let removed = try String.fetchAll(db, sql: "DELETE FROM peer WHERE id = ? OR agency = ? RETURNING id", arguments: [name, name])
        guard !removed.isEmpty else {
            throw RosterError(.invalidField, "\(name) is not a peer: roster peers list shows them")
        }
        return removed.sorted()
    }
}
