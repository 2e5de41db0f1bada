import ArgumentParser
import Foundation
import RosterCore
import RosterNetwork
import RosterStore

struct Peers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The nodes this node syncs with, and the agencies whose operations it accepts.",
        discussion: "Examples:\n  roster peers add Peers/ --trust 9f2c…(the agency's root key sha256, checked out of band)\n  roster peers list",
        subcommands: [Descriptor.self, AddPeer.self, ListPeers.self, RemovePeer.self, TrustAgency.self, DistrustAgency.self, ResumePeer.self,
                      TrustCA.self])

    struct Descriptor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "descriptor", abstract: "Print this node's peer descriptor, for other agencies' Peers/ folders.",
        discussion: "Example:\n  roster peers descriptor --endpoint https://roster.mvd.kz:8443 > Peers/kz-mvd.json")
        @OptionGroup var node: NodeOptions
        @Option(help: "The https://host:port peers reach this node at (roster serve --listen).") var endpoint: [String] = []
        @Flag(help: "Only the agency's keys, with no endpoint or TLS pin: for nodes that relay the agency's operations but do not sync with this node.")
        var keysOnly = false
        @OptionGroup var keys: AgencyKeyOptions

        func run() async throws {
            let opened = try await node.openNode()
            let identity = opened.identity
            let trust = try await opened.store.trust()
            let tls = try NodeTLS.load(folder: opened.folder, origin: identity.origin)
            let events = try await opened.store.keyEvents(of: identity.agency)
            guard let first = events.first, case .rotate(let roots) = first.operation.payload,
                let root = roots.keys.first(where: { $0.fingerprint == trust.agencies[identity.agency]?.root ?? "" })
            else {
                throw RosterError(.notEnrolled, "this node holds none of its agency's key events yet: sync it with a node of \(identity.agency) first")
            }
            let signer = try keys.load(folder: opened.folder)[0]
            let descriptor = try PeerDescriptor(
                agency: identity.agency, node: identity.origin, name: identity.name, jurisdiction: identity.jurisdiction,
                root: root, keyEvents: events, endpoints: keysOnly ? [] : endpoint, tlsPin: keysOnly ? nil : tls.pin, signedBy: signer)
            // Checked as a receiver would check it, so that a node never hands out what peers refuse.
            _ = try descriptor.verified(by: trust)
            Terminal.printJSON(descriptor.json)
        }
    }

    struct AddPeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Sync with the node a descriptor names, or every *.json in a folder; trust a new agency by its root key.",
        discussion: "Example:\n  roster peers add Peers/uz-iib.json --trust 9f2c…(uz-iib's root key sha256)")
        @OptionGroup var node: NodeOptions
        @Argument(help: "A peer descriptor (JSON) or a folder of them, like Peers/.") var path: String
        @Option(help: ArgumentHelp("Trust a new agency whose root key has this SHA-256, checked with the agency out of band. Repeat for several.",
                                   valueName: "sha256"))
        var trust: [String] = []
        @Flag(help: "Accept a known peer's new endpoint or TLS pin (checked with its agency out of band).") var replace = false

        func run() async throws {
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
            let opened = try await node.openNode()
            let ownPin = try NodeTLS.load(folder: opened.folder, origin: opened.identity.origin).pin
            // A folder like Peers/ may hold this node's own descriptor: it is not its own peer.
            let ownOrigin = opened.identity.origin
            let isOwn = { @Sendable (descriptor: PeerDescriptor) in descriptor.node == ownOrigin || descriptor.tlsPin == ownPin }
            var trusting = Set(trust)
            let known = try await opened.store.trust()
            // On a terminal, a new agency may be trusted by confirming its fingerprint there.
            for descriptor in descriptors where known.agencies[descriptor.agency] == nil && !trusting.contains(descriptor.root.fingerprint) {
                guard isatty(0) == 1, isatty(2) == 1 else { continue }
                Terminal.note("agency \(descriptor.agency)\(descriptor.name.map { " (\($0))" } ?? "") has root key sha256 \(descriptor.root.fingerprint)")
                Terminal.note("trust it? Only if the agency confirmed this fingerprint to you out of band. [y/N] ")
                if readLine()?.lowercased() == "y" { trusting.insert(descriptor.root.fingerprint) }
            }
            try await opened.store.addPeers(descriptors, trusting: trusting, replacing: replace, isOwn: isOwn)
            let after = try await opened.store.trust()
            for descriptor in descriptors {
                let replicas = after.replicas.filter { Origin.agency(of: $0.key) == descriptor.agency && $0.value.retiredAfter == nil }.keys.sorted()
                let what = isOwn(descriptor) ? "this node" : "peer \(descriptor.id)"
                Terminal.print("\(what): agency \(descriptor.agency), root key sha256 \(descriptor.root.fingerprint), replicas \(replicas.joined(separator: ", "))")
            }
        }
    }

    struct RemovePeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Stop syncing with a node or an agency (keys stay, so their operations still verify).",
        discussion: "Example:\n  roster peers remove uz-iib/main")
        @OptionGroup var node: NodeOptions
        @Argument(help: "A peer id (as roster peers list shows it) or an agency id, for all its nodes.") var peer: String

        func run() async throws {
            for id in try await node.openNode().store.removePeer(peer) {
                Terminal.print("removed \(id)")
            }
        }
    }

    struct TrustAgency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust", abstract: "Trust an agency by its root key's SHA-256, or replace the root key pinned for it.",
        discussion: "Example:\n  roster peers trust uz-iib 9f2c…(root key sha256) --replace")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agency id.") var agency: String
        @Argument(help: "The SHA-256 of its root key, checked with the agency out of band.") var root: String
        @Flag(help: "Replace the root key pinned for the agency (only while none of its key events is held).") var replace = false

        func run() async throws {
            let store = try await node.openNode().store
            let before = try await store.trust().agencies[agency]?.root
            try await store.trust(agency, root: root, replacing: replace)
            if let before, before != root {
                Terminal.print("agency \(agency): root key sha256 \(before) replaced by \(root)")
            } else {
                Terminal.print("agency \(agency): trusted with root key sha256 \(root)")
            }
        }
    }

    struct TrustCA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust-ca",
            abstract: "Trust a national CA for a jurisdiction: from then on, that jurisdiction's agencies' key events must certify their keys to it.",
            discussion: """
                An agency's jurisdiction is the one its descriptor names. Key events already held are not judged again.
                Example:
                  roster peers trust-ca --jurisdiction KZ kz-root.pem
                """)
        @OptionGroup var node: NodeOptions
        @Option(help: "The jurisdiction, ISO 3166-1 alpha-2 (KZ).") var jurisdiction: String
        @Argument(help: "The CA's root certificate(s), PEM.") var file: String

        func run() async throws {
            let store = try await node.openNode().store
            for ca in try await store.trustCA(jurisdiction: jurisdiction, pem: InputFile.read(file, limit: 1 << 20)) {
                Terminal.print("trusted for \(ca.jurisdiction): \(ca.subject) (certificate sha256 \(ca.sha256))")
            }
        }
    }

    struct DistrustAgency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "distrust", abstract: "Stop accepting an agency's operations; its entries leave this node's view and exports (kept as history).",
        discussion: "Example:\n  roster peers distrust xx-agency")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agency id.") var agency: String

        func run() async throws {
            let store = try await node.openNode().store
            let removed = try await store.distrust(agency)
            Terminal.print("agency \(agency) distrusted: \(removed) entries left the view; its operations stay as history")
        }
    }

    struct ResumePeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Sync again with a node proven to have shown two histories of its log, once you have looked into it (the proof stays).",
        discussion: "Example:\n  roster peers resume uz-iib/main")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The peer's id, its node's replica origin (roster peers list).") var peer: String

        func run() async throws {
            let opened = try await node.openNode()
            guard try await opened.acknowledgeConflict(of: Checkpoint.origin(of: peer)) else {
                throw RosterError(.invalidField, "no proof is kept that \(peer) showed two histories: roster audit lists the proofs")
            }
            Terminal.print("\(peer): syncing again; the proof that it showed two histories stays, for audit and for peers")
        }
    }

    struct ListPeers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List known signers and their keys.",
        discussion: "Example:\n  roster peers list --json")
        @OptionGroup var node: NodeOptions

        func run() async throws {
            let opened = try await node.openNode()
            let (keys, clock, peers) = (try await opened.store.keys(), try await opened.store.clock(), try await opened.store.peers())
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
