import Foundation
import GRDB
import Logging
import RosterCore

/// Who a node is: written once by `roster init` as `node.json` in the data folder.
public struct NodeIdentity: Sendable, Equatable {
    public let agency: String
    public let replica: String
    public let name: String?
    public let jurisdiction: String?

    public init(agency: String, replica: String, name: String? = nil, jurisdiction: String? = nil) throws {
        guard Origin.isValidAgency(agency) else {
            throw RosterError(.invalidField, "agency \"\(agency)\" must be lower-case letters, digits and hyphens, like kz-mvd")
        }
        guard Origin.isValidAgency(replica) else {
            throw RosterError(.invalidField, "replica \"\(replica)\" must be lower-case letters, digits and hyphens, like astana-1")
        }
        self.agency = agency
        self.replica = replica
        self.name = try name.map { try Text.required($0, field: "name") }
        self.jurisdiction = try jurisdiction.map(Text.jurisdiction)
    }

    public var origin: String { "\(agency)/\(replica)" }

    var json: JSON {
        var members: [String: JSON] = ["v": 1, "agency": .string(agency), "replica": .string(replica)]
        if let name { members["name"] = .string(name) }
        if let jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
        return .object(members)
    }

    init(json: JSON) throws {
        guard let agency = json["agency"]?.string, let replica = json["replica"]?.string else {
            throw RosterError(.noNode, "node.json lacks agency or replica")
        }
        try self.init(agency: agency, replica: replica, name: json["name"]?.string, jurisdiction: json["jurisdiction"]?.string)
    }
}

/// A node's data folder: identity, private key (mode 0600) and database.
public final class Node: Sendable {
    public let folder: URL
    public let identity: NodeIdentity
    public let replica: Replica
    public let store: Store

    static let identityFile = "node.json"
    static let keyFile = "replica.key"
    static let databaseFile = "roster.sqlite"

    private init(folder: URL, identity: NodeIdentity, replica: Replica, store: Store) {
        self.folder = folder
        self.identity = identity
        self.replica = replica
        self.store = store
    }

    /// Creates the folder, a fresh key pair and the database; refuses to touch an existing node.
    public static func create(at folder: URL, identity: NodeIdentity, logger: Logger = Logger(label: "roster")) throws -> Node {
        let files = FileManager.default
        if files.fileExists(atPath: folder.appendingPathComponent(identityFile).path)
            || files.fileExists(atPath: folder.appendingPathComponent(keyFile).path) {
            throw RosterError(.nodeExists, "\(folder.path) already holds a node: use another --data folder, or remove it to start over")
        }
        do {
            try files.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RosterError(.storage, "cannot create \(folder.path): \(error.localizedDescription)")
        }
        let key = ReplicaKey()
        try writeSecret(key.pem, to: folder.appendingPathComponent(keyFile))
        let store = try Store(path: folder.appendingPathComponent(databaseFile).path, logger: logger)
        let replica = Replica(origin: identity.origin, key: key)
        try store.write { try $0.register(origin: replica.origin, key: key.publicKey) }
        // The identity file goes last: its presence says the node is complete.
        try Data(CanonicalJSON.encode(identity.json) + [0x0A]).write(to: folder.appendingPathComponent(identityFile), options: .atomic)
        return Node(folder: folder, identity: identity, replica: replica, store: store)
    }

    public static func open(at folder: URL, logger: Logger = Logger(label: "roster")) throws -> Node {
        let identityURL = folder.appendingPathComponent(identityFile)
        guard let identityData = FileManager.default.contents(atPath: identityURL.path) else {
            throw RosterError(.noNode, "no node in \(folder.path): run roster init --agency ID first, or pass --data DIR")
        }
        let identity = try NodeIdentity(json: JSONParser.parse(Array(identityData)))
        let keyURL = folder.appendingPathComponent(keyFile)
        let attributes = try? FileManager.default.attributesOfItem(atPath: keyURL.path)
        guard let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue,
            let pem = try? String(contentsOf: keyURL, encoding: .utf8)
        else {
            throw RosterError(.badKey, "cannot read the private key \(keyURL.path)")
        }
        guard mode & 0o077 == 0 else {
            throw RosterError(.badKey, "the private key \(keyURL.path) is readable by others (mode \(String(mode, radix: 8))): run chmod 600 on it")
        }
        let key = try ReplicaKey(pem: pem)
        let store = try Store(path: folder.appendingPathComponent(databaseFile).path, logger: logger)
        // Only this node's own key row: another edited row must not keep audit from running.
        let registered = try store.read { snapshot in
            try Row.fetchOne(snapshot.db, sql: "SELECT public_key FROM origin WHERE name = ?", arguments: [identity.origin])?.blob(0)
        }
        guard registered == key.publicKey.raw else {
            throw RosterError(.badKey, "the private key in \(folder.path) does not match the key registered for \(identity.origin)")
        }
        return Node(folder: folder, identity: identity, replica: Replica(origin: identity.origin, key: key), store: store)
    }

    /// Creates the file with mode 0600 from the start, so the secret is never readable by others.
    static func writeSecret(_ text: String, to url: URL) throws {
        let descriptor = Foundation.open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw RosterError(.storage, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw RosterError(.storage, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
