import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RosterCore
import RosterNetwork
import RosterStore
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node's HTTPS API for peers and consumers, and sync with every peer on an interval.",
        discussion: "Examples:\n  roster serve --data /var/lib/roster --listen 0.0.0.0:8443 --interval 30\n  roster serve --dev")

    @OptionGroup var node: NodeOptions
    @Option(help: "Address and port to listen on; port 0 takes a free one, logged as 'listening on'.") var listen = "127.0.0.1:8443"
    @Option(help: "PEM certificate to serve instead of the node's own self-signed one.") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "Seconds between anti-entropy rounds with each peer (0: never).") var interval: Double = 30
    @Option(help: "Seconds between the checkpoints of the log the node signs, even when nothing changed (0: only when asked).")
    var checkpointInterval: Double = 600
    @Option(help: ArgumentHelp("A reverse proxy in front of the node (an address or a CIDR network; repeat for more): its connections carry many clients, so the per-client connection bound does not apply to it.",
                               valueName: "ADDRESS")) var proxy: [String] = []
    @Option(help: ArgumentHelp("Keep the RPZ in this file, rewritten whole on every change, for an authoritative server (BIND) to load and transfer to resolvers.",
                               valueName: "path")) var rpzZoneFile: String?
    @Option(help: ArgumentHelp("A shell command run after each write of --rpz-zone-file, like 'rndc reload rpz.roster'.", valueName: "command"))
    var rpzNotify: String?
    @Flag(help: "A development node: made in the data folder on first run (agency dev, replica local), its agency key beside it.")
    var dev = false
    @OptionGroup var policyOptions: PolicyOptions

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw RosterError(.invalidField, "--listen takes HOST:PORT, like 127.0.0.1:8443")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard interval == 0 || (0.1...86_400).contains(interval) else {
            throw RosterError(.invalidField, "--interval takes seconds from 0.1 to 86400, or 0 for never")
        }
        guard checkpointInterval == 0 || (1...86_400).contains(checkpointInterval) else {
            throw RosterError(.invalidField, "--checkpoint-interval takes seconds from 1 to 86400, or 0 for only when asked")
        }
        guard (0...65_535).contains(port), listen[listen.index(after: colon)...].allSatisfy({ ("0"..."9").contains($0) }) else {
            throw RosterError(.invalidField, "--listen takes HOST:PORT with a port from 0 to 65535, like 127.0.0.1:8443")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw RosterError(.invalidField, "give --tls-cert and --tls-key together")
        }
        guard rpzNotify == nil || rpzZoneFile != nil else {
            throw RosterError(.invalidField, "--rpz-notify runs after each write of --rpz-zone-file: give that too")
        }
        if let rpzZoneFile {
            var isFolder: ObjCBool = false
            let folder = URL(fileURLWithPath: rpzZoneFile).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw RosterError(.invalidField, "--rpz-zone-file \(rpzZoneFile): the folder \(folder) does not exist")
            }
            guard !FileManager.default.fileExists(atPath: rpzZoneFile, isDirectory: &isFolder) || !isFolder.boolValue else {
                throw RosterError(.invalidField, "--rpz-zone-file \(rpzZoneFile) is a folder: give the zone file's name, like \(rpzZoneFile)/roster.rpz")
            }
        }
        let proxies = try proxy.map { text in
            do {
                if text.contains("/") { return try IPNetwork(text) }
                // As connections are counted: an IPv4-mapped IPv6 address is the IPv4 address.
                var address = try IPAddress(text)
                if case .v6(let value) = address, value >> 32 == 0xFFFF { address = .v4(UInt32(truncatingIfNeeded: value)) }
                return IPNetwork(address: address, length: address.bitWidth)
            } catch let error as RosterError where text.contains("/") {
                throw RosterError(.invalidField, "--proxy: \(error.reason)")
            } catch {
                throw RosterError(.invalidField, "--proxy \"\(text)\" is not an IP address or a CIDR network like 10.0.0.0/8")
            }
        }
        let opened: Node
        if dev && !FileManager.default.fileExists(atPath: node.folder.appendingPathComponent(Node.identityFile).path) {
            opened = try await Init.developmentNode(at: node.folder)
            Terminal.print("created development node \(opened.identity.origin) in \(node.folder.path)")
        } else {
            opened = try await node.openNode()
        }
        let tls = try NodeTLS.load(folder: opened.folder, origin: opened.identity.origin, certificatePath: tlsCert, keyPath: tlsKey)
        let certificate = tlsCert ?? opened.folder.appendingPathComponent(NodeTLS.certificateFile).path
        var logger = Logger(label: "roster.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["ROSTER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let feeds = FeedCache(node: opened)
        let app = try NodeServer.application(node: opened, tls: tls, host: host, port: port, policy: policyOptions.policy(), proxies: proxies,
                                             feeds: feeds, logger: logger,
                                                 onListening: { port in Self.guide(host: host, port: port, certificate: certificate) })
        var services: [any Service] = [app, FeedWarmer(node: opened, cache: feeds, policy: try policyOptions.policy(), logger: logger)]
        if interval > 0 { services.append(AntiEntropy(node: opened, tls: tls, interval: interval, logger: logger)) }
        if checkpointInterval > 0 { services.append(CheckpointSigner(node: opened, interval: checkpointInterval, tls: tls, logger: logger)) }
        if let rpzZoneFile {
            services.append(ZoneFile(node: opened, path: rpzZoneFile, policy: try policyOptions.policy(), notify: rpzNotify, logger: logger))
        }
        logger.info("serving \(opened.identity.origin) on https://\(listen), TLS key sha256 \(tls.pin)")
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A connection that never reads its answers would hold a graceful shutdown for
        // ever: past the grace, the server's tasks are cancelled and its connections closed.
        configuration.maximumGracefulShutdownDuration = .seconds(SyncLimits.shutdownGrace)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }

    /// Where to look, once the port is bound: the certificate a client must trust, and the routes anyone may ask.
    static func guide(host: String, port: Int, certificate: String) {
        let name = ["127.0.0.1", "::1", "localhost"].contains(host) ? "localhost" : host.contains(":") ? "[\(host)]" : host
        let base = "https://\(name):\(port)"
        Terminal.print("""
            serving on \(base)
              public page: \(base)/
              TLS certificate: \(certificate)
                (trust it to verify this node: curl --cacert \(certificate) \(base)/healthz)
              feeds:       \(base)/v1/export/rpz  (also hosts, dnsmasq, unbound, mastodon, csv, json, stix)
              TAXII 2.1:   \(base)/taxii2/
              check:       \(base)/v1/check?resource=NAME
              log:         \(base)/log/checkpoint
              health:      \(base)/healthz
              metrics:     \(base)/metrics  (Prometheus)
            """)
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One round of pull and push with every peer, or one, printing what moved. Exit 3 if a peer failed.",
        discussion: "Example:\n  roster sync --peer uz-iib")

    @OptionGroup var node: NodeOptions
    @Option(help: "Only this peer (an id from roster peers list), or the nodes of this agency.") var peer: String?

    func run() async throws {
        let opened = try await node.openNode()
        let tls = try NodeTLS.load(folder: opened.folder, origin: opened.identity.origin)
        var logger = Logger(label: "roster.sync")
        logger.logLevel = .warning
        let peers = try await opened.store.peers().filter { candidate in peer.map(candidate.isNamed) ?? true }
        if let peer, peers.isEmpty { throw RosterError(.invalidField, "\(peer) is not a peer: roster peers list shows them") }
        var failed = false
        for candidate in peers where candidate.endpoint != nil {
            do {
                let counter = Terminal.counter("syncing with \(candidate.id):")
                let report = try await Synchronizer.sync(node: opened, with: candidate, tls: tls, logger: logger) {
                    counter.count("pulled \($0.pulled), pushed \($0.pushed), pending \($0.pending)")
                }
                counter.finish()
                if node.json {
                    Terminal.printJSON([
                        "peer": .string(report.peer), "pulled": .integer(Int64(report.pulled)), "pushed": .integer(Int64(report.pushed)),
                        "pending": .integer(Int64(report.pending)), "rejected": .array(report.rejected.map(JSON.string)),
                        "bytes_sent": .integer(Int64(report.bytesSent)), "bytes_received": .integer(Int64(report.bytesReceived)),
                        "milliseconds": .integer(Int64((report.seconds * 1000).rounded())), "complete": .bool(report.complete),
                    ])
                } else {
                    Terminal.print("\(report.peer): pulled \(report.pulled), pushed \(report.pushed), pending \(report.pending), rejected \(report.rejected.count)"
                        + " (\(report.bytesReceived) bytes in, \(report.bytesSent) out, \(Int((report.seconds * 1000).rounded())) ms)")
                    report.rejected.forEach { Terminal.print("  rejected \($0)") }
                    if !report.complete { Terminal.print("  the round's budget is spent with more to move: run roster sync again") }
                }
            } catch let error as RosterError {
                Terminal.error(error.reason)
                failed = true
            }
        }
        if failed { throw RosterError(.syncIncomplete, "sync did not complete with every peer: see the lines above") }
    }
}
