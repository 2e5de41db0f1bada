import ArgumentParser
import Foundation
import RosterCore
import RosterNetwork
import RosterStore

struct Peers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The nodes this node syncs with, and the agencies whose operations it accepts.",
        subcommands: [Descriptor.self, AddPeer.self, ListPeers.self, RemovePeer.self])

    struct Descriptor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "descriptor", abstract: "Print this node's peer descriptor, for other agencies' Peers/ folders.")
        @OptionGroup var node: NodeOptions
        @Option(help: "The https://host:port peers reach this node at (roster serve --listen).") var endpoint: [String] = []

        func run() throws {
            let opened = try node.openNode()
            let identity = opened.identity
            let tls = try NodeTLS.load(folder: opened.folder, origin: identity.origin)
            // This replica first, then the other replicas of its agency that it knows,
            // so that peers accept their operations when this node relays them.
            let siblings = try opened.store.keys()
                .filter { Origin.agency(of: $0.key) == identity.agency && $0.key != identity.origin }
                .sorted { $0.key < $1.key }
                .map { PeerDescriptor.Replica(origin: $0.key, key: $0.value) }
            let descriptor = try PeerDescriptor(
                agency: identity.agency, node: identity.origin, name: identity.name, jurisdiction: identity.jurisdiction,
                replicas: [.init(origin: identity.origin, key: opened.replica.key.publicKey)] + siblings,
                endpoints: endpoint, tlsPin: tls.pin)
            Terminal.printJSON(descriptor.json)
        }
    }

    struct AddPeer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Accept the replicas named by a peer descriptor, or by every *.json in a folder.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "A peer descriptor (JSON) or a folder of them, like Peers/.") var path: String
        @Flag(help: "Accept a known peer's new endpoint or TLS pin (checked with its agency out of band).") var replace = false

        func run() throws {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw RosterError(.badInput, "cannot read \(path): check the path")
            }
            let files = isFolder.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.sorted()
                    .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
                : [path]
            let descriptors = try files.map { file in
                do {
                    return try PeerDescriptor(json: JSONParser.parse(InputFile.read(file, limit: InputFile.descriptorLimit)))
                } catch let error as RosterError {
                    throw RosterError(error.code, "\(file): \(error.reason)")
                }
            }
            let opened = try node.openNode()
            let ownPin = try NodeTLS.load(folder: opened.folder, origin: opened.identity.origin).pin
            // A folder like Peers/ may hold this node's own descriptor: it is not its own peer.
            let isOwn = { (descriptor: PeerDescriptor) in descriptor.node == opened.identity.origin || descriptor.tlsPin == ownPin }
            try opened.store.addPeers(descriptors, replacing: replace, isOwn: isOwn)
            for descriptor in descriptors {
                let own = isOwn(descriptor)
                Terminal.print("\(own ? "this node; keys of" : "peer \(descriptor.id): accepting") \(descriptor.replicas.map(\.origin).joined(separator: ", "))")
            }
        }
    }

    struct RemovePeer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Stop syncing with a node or an agency (keys stay, so their operations still verify).")
        @OptionGroup var node: NodeOptions
        @Argument(help: "A peer id (as roster peers list shows it) or an agency id, for all its nodes.") var peer: String

        func run() throws {
            for id in try node.openNode().store.removePeer(peer) {
                Terminal.print("removed \(id)")
            }
        }
    }

    struct ListPeers: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List known signers and their keys.")
        @OptionGroup var node: NodeOptions

        func run() throws {
            let opened = try node.openNode()
            let (keys, clock, peers) = (try opened.store.keys(), try opened.store.clock(), try opened.store.peers())
            for peer in peers {
                if node.json {
                    Terminal.printJSON(["peer": .string(peer.id), "agency": .string(peer.agency), "endpoint": peer.endpoint.map { .string($0.description) } ?? .null,
                                        "tls_spki_sha256": peer.tlsPin.map(JSON.string) ?? .null])
                } else {
                    Terminal.print("peer \(peer.id)\t\(peer.endpoint?.description ?? "(no endpoint)")\ttls sha256 \(peer.tlsPin ?? "-")")
                }
            }
            for (origin, key) in keys.sorted(by: { $0.key < $1.key }) {
                if node.json {
                    Terminal.printJSON(["origin": .string(origin), "key": .string(key.base64), "seq": .integer(Int64(clock[origin]))])
                } else {
                    Terminal.print("\(origin)\t\(key.base64)\tseq \(clock[origin])")
                }
            }
        }
    }
}
