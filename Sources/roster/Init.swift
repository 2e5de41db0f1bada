import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a node: data folder, Ed25519 key pair (mode 0600) and database.")

    @OptionGroup var node: NodeOptions
    @Option(help: "The agency's id, like kz-mvd.") var agency: String?
    @Option(help: "This writer replica's name.") var replica = "main"
    @Option(help: "The agency's name, for people.") var name: String?
    @Option(help: "The agency's jurisdiction, ISO 3166-1 alpha-2.") var jurisdiction: String?
    @Flag(help: "A development node (agency dev, replica local); reuses one that exists.") var dev = false

    func run() throws {
        let identity: NodeIdentity
        if dev {
            identity = try NodeIdentity(agency: agency ?? "dev", replica: "local", name: name ?? "Development node",
                                        jurisdiction: jurisdiction)
            if let existing = try? Node.open(at: node.folder) {
                Terminal.note("development node \(existing.identity.origin) already in \(node.folder.path)")
                return
            }
        } else {
            guard let agency else {
                throw ValidationError("give --agency ID (like kz-mvd), or --dev for a development node")
            }
            identity = try NodeIdentity(agency: agency, replica: replica, name: name, jurisdiction: jurisdiction)
        }
        let created = try Node.create(at: node.folder, identity: identity)
        if node.json {
            Terminal.printJSON(["origin": .string(identity.origin), "public_key": .string(created.replica.key.publicKey.base64)])
        } else {
            Terminal.print("created node \(identity.origin) in \(node.folder.path)")
            Terminal.print("public key (ed25519): \(created.replica.key.publicKey.base64)")
        }
    }
}
