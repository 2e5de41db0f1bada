import Foundation
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
        guard replica != Origin.agencyReplica else {
            throw RosterError(.invalidField, "replica \"\(Origin.agencyReplica)\" is reserved for the agency's own key events: choose another name")
        }
        self.agency = agency
        self.replica = replica
        self.name = try name.map { try Text.required($0, field: "name") }
        self.jurisdiction = try jurisdiction.map(Text.jurisdiction)
    }

    public var origin: String { "\(agency)/\(replica)" }

    var json: JSON {
        var members: [String: JSON] = ["v": .integer(Self.formatVersion), "agency": .string(agency), "replica": .string(replica)]
        if let name { members["name"] = .string(name) }
        if let jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
        return .object(members)
    }

    /// 2 since agency keys; a folder of format 1 is refused.
    static let formatVersion: Int64 = 2

    init(json: JSON) throws {
        guard json["v"]?.integer == Self.formatVersion else {
            throw RosterError(.noNode, "this data folder holds a node of format \(json["v"]?.integer.map(String.init) ?? "unknown"), from before agency keys, "
                + "which this version does not read: create a new node with roster init --agency ID in another folder, "
                + "and bring the entries over with roster export csv (old version) and roster import")
        }
        guard let agency = json["agency"]?.string, let replica = json["replica"]?.string else {
            throw RosterError(.noNode, "node.json lacks agency or replica")
        }
        try self.init(agency: agency, replica: replica, name: json["name"]?.string, jurisdiction: json["jurisdiction"]?.string)
    }
}

/// How a new node comes to trust its own agency.
public enum AgencySetup: Sendable {
    /// A new agency: `key` is its root; the node signs the agency's first key event
    /// with it, then the enrol of its own replica.
    case found(key: AgencyKey, chain: [[UInt8]] = [])
    /// An agency that exists: the node pins its root key by fingerprint, and its
    /// replica signs nothing until an enrol made with the agency key reaches it.
    case join(root: String)
}

/// A node's data folder: identity, private key (mode 0600) and database.
public final class Node: Sendable {
    public let folder: URL
    public let identity: NodeIdentity
    public let replica: Replica
    public let store: Store

    public static let identityFile = "node.json"
    static let keyFile = "replica.key"
    /// The Ed25519 key of the checkpoints of a replica whose key is of another suite.
    static let logKeyFile = "log.key"
    static let databaseFile = "roster.sqlite"

    private init(folder: URL, identity: NodeIdentity, replica: Replica, store: Store) {
        self.folder = folder
        self.identity = identity
        self.replica = replica
        self.store = store
    }

    /// Creates the folder, the replica's key file and the database; refuses to touch
    /// an existing node. The caller makes the key: the store draws no randomness. A
    /// key of another suite than Ed25519 comes with `keyText`, what its file holds (its
    /// PEM, or the PKCS #11 URI of its token).
    public static func create(at folder: URL, identity: NodeIdentity, agency: AgencySetup, key: ReplicaKey, keyText: String? = nil,
                              clock: WallClock = .system, logger: Logger = Logger(label: "roster")) async throws -> Node {
        guard let keyText = keyText ?? key.pem else {
            throw RosterError(.badKey, "a \(key.suite.rawValue) replica key is kept as the file or token it came from: give its text")
        }
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
        try writeSecret(keyText, to: folder.appendingPathComponent(keyFile))
        var logKey: ReplicaKey?
        if key.suite != .ed25519 {
            let made = ReplicaKey.generate()
            try writeKey(made, to: folder.appendingPathComponent(logKeyFile))
            logKey = made
        }
        let store = try Store(path: folder.appendingPathComponent(databaseFile).path, clock: clock, logger: logger)
        let replica = Replica(origin: identity.origin, key: key, logKey: logKey)
        switch agency {
        case .found(let agencyKey, let chain):
            try await store.trust(identity.agency, root: agencyKey.publicKey.fingerprint, replacing: false)
            let keys = try AgencyKeys([agencyKey.publicKey], chains: chain.isEmpty ? [:] : [agencyKey.publicKey: chain])
            _ = try await store.keyEvent(.rotate(keys: keys), agency: identity.agency, signedBy: [agencyKey])
            _ = try await store.keyEvent(.enrol(replica: identity.origin, key: key.publicKey, logKey: replica.enrolledLogKey),
                                         agency: identity.agency, signedBy: [agencyKey])
        case .join(let root):
            try await store.trust(identity.agency, root: root, replacing: false)
        }
        // The identity file goes last: its presence says the node is complete.
        try AtomicFile.write(CanonicalJSON.string(identity.json) + "\n", to: folder.appendingPathComponent(identityFile), mode: 0o644)
        return Node(folder: folder, identity: identity, replica: replica, store: store)
    }

    public static func open(at folder: URL, clock: WallClock = .system, logger: Logger = Logger(label: "roster")) async throws -> Node {
        let identityURL = folder.appendingPathComponent(identityFile)
        guard let identityData = FileManager.default.contents(atPath: identityURL.path) else {
            throw RosterError(.noNode, "no node in \(folder.path): run roster init --agency ID first, or pass --data DIR")
        }
        let identity = try NodeIdentity(json: JSONParser.parse(Array(identityData)))
        let key = try readKey(at: folder.appendingPathComponent(keyFile))
        let logKey = key.suite == .ed25519 ? nil : try readKey(at: folder.appendingPathComponent(logKeyFile))
        if let logKey, logKey.suite != .ed25519 {
            throw RosterError(.badKey, "\(folder.appendingPathComponent(logKeyFile).path) is a \(logKey.suite.rawValue) key: a log key is Ed25519")
        }
        let store = try Store(path: folder.appendingPathComponent(databaseFile).path, clock: clock, logger: logger)
        let registered = try await store.registeredKey(of: identity.origin)
        guard registered == nil || registered == key.publicKey.raw else {
            throw RosterError(.badKey, "the private key in \(folder.path) does not match the key registered for \(identity.origin)")
        }
        return Node(folder: folder, identity: identity, replica: Replica(origin: identity.origin, key: key, logKey: logKey), store: store)
    }

    /// The agency key kept in the data folder when the operator did not keep it elsewhere.
    public static let agencyKeyFile = "agency.key"

    /// Writes a private key file with mode 0600; refuses to overwrite one.
    public static func writeKey(_ key: ReplicaKey, to url: URL) throws {
        guard let pem = key.pem else {
            throw RosterError(.badKey, "a \(key.suite.rawValue) key is written from the file or token it came from")
        }
        try writeSecret(pem, to: url)
    }

    /// Reads a private key file, refusing one that others can read.
    public static func readKey(at url: URL) throws -> ReplicaKey {
        try ReplicaKey(pem: readSecret(at: url))
    }

    /// A private key file's text, once its mode shows no one else can read it.
    public static func readSecret(at url: URL) throws -> String {
        // The file a link names is what is read, so its mode is what counts.
        let path = url.resolvingSymlinksInPath().path
        let shown = Text.printable(url.path, limit: 200)
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size <= 1 << 20,
            let pem = try? String(contentsOfFile: path, encoding: .utf8)
        else {
            throw RosterError(.badKey, "cannot read the private key \(shown): it must be a PEM file (a few kilobytes)")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw RosterError(.badKey, "the private key \(shown) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))): run chmod 600 on it")
        }
        return pem
    }

    /// Creates the file with mode 0600 from the start, so the secret is never readable by others.
    public static func writeSecret(_ text: String, to url: URL) throws {
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

extension Replica {
    /// What an operator runs on a node holding the agency key to enrol this replica.
    public var enrolCommand: String {
        "roster agency enrol \(origin) --key \(key.publicKey.base64)" + (enrolledLogKey.map { " --log-key \($0.base64)" } ?? "")
    }
}
