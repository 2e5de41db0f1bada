import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a node: data folder, replica key (mode 0600) and database; for a new agency, its agency key too.",
        discussion: """
            Examples:
              roster init --agency kz-mvd --replica astana-1 --data /var/lib/roster
              roster init --agency ru-mvd --alg gost2012-256 --agency-key /media/keys/agency.pem
              roster init --agency kz-mvd --agency-key 'pkcs11:token=MVD;object=agency-root?pin-source=file:/etc/roster/pin' \\
                --replica-key replica-p256.pem
            """)

    @OptionGroup var node: NodeOptions
    @Option(help: "The agency's id, like kz-mvd.") var agency: String?
    @Option(help: "This writer replica's name.") var replica = "main"
    @Option(help: "The agency's name, for people.") var name: String?
    @Option(help: "The agency's jurisdiction, ISO 3166-1 alpha-2.") var jurisdiction: String?
    @Option(help: ArgumentHelp("The agency's root key: a key file of any suite, or a PKCS #11 URI of a key in a token; a file that does not exist is made (mode 0600) with a new key of --alg (default: agency.key in the data folder).",
                               valueName: "file|pkcs11:uri"))
    var agencyKey: String?
    @Option(help: ArgumentHelp("The replica's key: a key file of any suite (PKCS #8 PEM, mode 0600) or a PKCS #11 URI (default: a new key of --alg).",
                               valueName: "file|pkcs11:uri"))
    var replicaKey: String?
    @Option(help: ArgumentHelp("The agency key's certificate chain from its national CA, PEM: its certificate first, then any intermediates. Key events carry it.",
                               valueName: "file"))
    var certificate: String?
    @Option(help: ArgumentHelp("The suite of the keys made here (default: ed25519); when given, keys given of another suite are refused: \(Suite.names).",
                               valueName: "suite"))
    var alg: String?
    @Option(help: ArgumentHelp("Join an agency that exists: the SHA-256 of its root key. The replica signs once the agency enrols it.",
                               valueName: "sha256"))
    var trust: String?
    @Flag(help: "A development node (agency dev, replica local); reuses one that exists.") var dev = false

    /// A node of its own agency `dev`, whose agency key stays in its data folder:
    /// for trying Roster out (`serve --dev`), not for an agency's list.
    static func developmentNode(at folder: URL) async throws -> Node {
        let identity = try NodeIdentity(agency: "dev", replica: "local", name: "Development node", jurisdiction: nil)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = AgencyKey.generate()
        let file = folder.appendingPathComponent(Node.agencyKeyFile)
        try Node.writeKey(key, to: file)
        do {
            return try await Node.create(at: folder, identity: identity, agency: .found(key: key), key: .generate(), clock: .system)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }

    func run() async throws {
        let identity: NodeIdentity
        if dev {
            identity = try NodeIdentity(agency: agency ?? "dev", replica: "local", name: name ?? "Development node",
                                        jurisdiction: jurisdiction)
            if let existing = try? await Node.open(at: node.folder) {
                Terminal.note("development node \(existing.identity.origin) already in \(node.folder.path)")
                return
            }
        } else {
            guard let agency else {
                throw ValidationError("give --agency ID (like kz-mvd), or --dev for a development node")
            }
            identity = try NodeIdentity(agency: agency, replica: replica, name: name, jurisdiction: jurisdiction)
        }
        if trust != nil && (agencyKey != nil || certificate != nil) {
            throw ValidationError("--trust joins an agency that has its key; --agency-key is a new agency's key: give one of them")
        }
        let asked = try alg.map(Suite.init(parsing:))
        let suite = asked ?? .ed25519
        let replica = try replicaKey.map { try KeySource($0, expecting: asked) } ?? KeySource(generating: suite)
        let setup: AgencySetup
        // The agency key file this command made, and the one it names: a made one is removed if the node is not.
        var madeKeyFile: URL?
        var keyFile: String?
        if let trust {
            setup = .join(root: trust)
        } else {
            let named = agencyKey ?? node.folder.appendingPathComponent(Node.agencyKeyFile).path
            let existed = KeySource.exists(named)
            if !existed && named.hasPrefix(node.folder.path) {
                try FileManager.default.createDirectory(at: node.folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            let key = try KeySource(named, orNew: suite, expecting: asked)
            if !existed { madeKeyFile = URL(fileURLWithPath: named) }
            keyFile = named
            do {
                guard key.key.publicKey.material != replica.key.publicKey.material else {
                    throw RosterError(.badKey, "the replica key is the agency key: a replica signs with a key of its own (leave out --replica-key, or give another key)")
                }
                let chain = try certificate.map { try AgencyKeys.chain(pem: InputFile.read($0, limit: 1 << 20), for: key.key.publicKey) } ?? []
                setup = .found(key: key.key, chain: chain)
            } catch {
                if let madeKeyFile { try? FileManager.default.removeItem(at: madeKeyFile) }
                throw error
            }
        }
        let created: Node
        do {
            created = try await Node.create(at: node.folder, identity: identity, agency: setup, key: replica.key, keyText: replica.text, clock: .system)
        } catch {
            // A node that was not made leaves no agency key behind it.
            if let madeKeyFile { try? FileManager.default.removeItem(at: madeKeyFile) }
            throw error
        }
        let root = try await created.store.trust().agencies[identity.agency]?.root ?? ""
        if node.json {
            Terminal.printJSON(["origin": .string(identity.origin), "alg": .string(created.replica.key.suite.rawValue),
                                "public_key": .string(created.replica.key.publicKey.base64),
                                "log_key": created.replica.enrolledLogKey.map { .string($0.base64) } ?? .null,
                                "agency_root_sha256": .string(root), "agency_key": keyFile.map { .string($0) } ?? .null])
            return
        }
        Terminal.print("created node \(identity.origin) in \(node.folder.path)")
        Terminal.print("public key (\(created.replica.key.suite.rawValue)): \(created.replica.key.publicKey.base64)")
        if let logKey = created.replica.enrolledLogKey {
            Terminal.print("log key (ed25519, signs checkpoints): \(logKey.base64)")
        }
        Terminal.print("agency \(identity.agency) root key sha256: \(root)")
        if let keyFile {
            Terminal.print("agency key: \(keyFile)\(keyFile.hasPrefix("pkcs11:") ? "" : " (mode 0600)"); it signs key events and descriptors; keep it safe")
        } else {
            Terminal.print("not enrolled yet: on a node that holds the agency key, run")
            Terminal.print("  \(created.replica.enrolCommand)")
        }
    }
}
