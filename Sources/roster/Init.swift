import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a node: data folder, Ed25519 replica key (mode 0600) and database; for a new agency, its agency key too.",
        discussion: "Example:\n  roster init --agency kz-mvd --replica astana-1 --data /var/lib/roster")

    @OptionGroup var node: NodeOptions
    @Option(help: "The agency's id, like kz-mvd.") var agency: String?
    @Option(help: "This writer replica's name.") var replica = "main"
    @Option(help: "The agency's name, for people.") var name: String?
    @Option(help: "The agency's jurisdiction, ISO 3166-1 alpha-2.") var jurisdiction: String?
    @Option(help: ArgumentHelp("Where to write the new agency's key (mode 0600), to keep it off the node (default: agency.key in the data folder).",
                               valueName: "file"))
    var agencyKey: String?
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
        if trust != nil && agencyKey != nil {
            throw ValidationError("--trust joins an agency that has its key; --agency-key writes a new agency's key: give one of them")
        }
        let setup: AgencySetup
        var keyFile: URL?
        if let trust {
            setup = .join(root: trust)
        } else {
            let key = AgencyKey.generate()
            let file = agencyKey.map { URL(fileURLWithPath: $0) } ?? node.folder.appendingPathComponent(Node.agencyKeyFile)
            if file.path.hasPrefix(node.folder.path) {
                try FileManager.default.createDirectory(at: node.folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            try Node.writeKey(key, to: file)
            keyFile = file
            setup = .found(key: key)
        }
        let created: Node
        do {
            created = try await Node.create(at: node.folder, identity: identity, agency: setup, key: .generate(), clock: .system)
        } catch {
            // A node that was not made leaves no agency key behind it.
            if let keyFile { try? FileManager.default.removeItem(at: keyFile) }
            throw error
        }
        let root = try await created.store.trust().agencies[identity.agency]?.root ?? ""
        if node.json {
            Terminal.printJSON(["origin": .string(identity.origin), "public_key": .string(created.replica.key.publicKey.base64),
                                "agency_root_sha256": .string(root), "agency_key": keyFile.map { .string($0.path) } ?? .null])
            return
        }
        Terminal.print("created node \(identity.origin) in \(node.folder.path)")
        Terminal.print("public key (ed25519): \(created.replica.key.publicKey.base64)")
        Terminal.print("agency \(identity.agency) root key sha256: \(root)")
        if let keyFile {
            Terminal.print("agency key: \(keyFile.path) (mode 0600); it signs key events and descriptors; keep it safe")
        } else {
            Terminal.print("not enrolled yet: on a node that holds the agency key, run")
            Terminal.print("  roster agency enrol \(identity.origin) --key \(created.replica.key.publicKey.base64)")
        }
    }
}
