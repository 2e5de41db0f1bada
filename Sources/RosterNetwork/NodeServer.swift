import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import RosterCore
import RosterStore

/// The node's HTTPS API (docs/sync.md). Sync routes answer only clients whose
/// certificate key matches a peer descriptor's pin; `check`, the feeds, the log,
/// `healthz` and `metrics` answer anyone, `check` from an in-memory index that follows the
/// database within half a second.
public enum NodeServer {
    /// `proxies` are the reverse proxies in front of the node, if any: their
    /// connections carry many clients, so no one client's bound applies to them.
    public static func application(node: Node, tls: NodeTLS, host: String, port: Int, policy: BroadPolicy = .all,
                                   proxies: [IPNetwork] = [], feeds: FeedCache? = nil, logger: Logger,
                                   onListening: @escaping @Sendable (Int) -> Void = { _ in }) throws -> some ApplicationProtocol {
        // Bootstrapped before the middleware makes its first metric, which would otherwise count nothing.
        _ = NodeMetrics.registry
        // HEAD answers what GET would, without the body (RFC 9110); feeds do not start a stream for it.
        let router = Router(context: PeerRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorBodyMiddleware())
        let store = node.store
        let live = LiveRoster(store: store)
        let registry = ConnectionRegistry(total: SyncLimits.connections(), proxies: proxies)
        // Loads on a reader thread beside the starting server; until then check reads SQLite.
        Task(priority: .utility) {
            do {
                try await live.load()
                logger.info("check index loaded: \(live.count) live entries")
            } catch {
                logger.error("check index not loaded, check reads the database: \(error)")
            }
        }

        let peers = PeerAuthentication(store: store)
        StatusController(node: node, peers: peers).addRoutes(to: router)
        SyncController(node: node, live: live, peers: peers, logger: logger).addRoutes(to: router)
        CheckController(live: live, agency: node.identity.agency, policy: policy, clock: store.wallClock).addRoutes(to: router)
        LogController(node: node).addRoutes(to: router)
        ExportController(node: node, policy: policy, clock: store.wallClock, registry: registry,
                         cache: feeds ?? FeedCache(node: node)).addRoutes(to: router)
        HealthController(node: node).addRoutes(to: router)
        TaxiiController(node: node, policy: policy).addRoutes(to: router)
        MetricsController(node: node).addRoutes(to: router)
        PublicPage(node: node, live: live, policy: policy, clock: store.wallClock).addRoutes(to: router)
        MethodNotAllowed.add(to: router)

        var configuration = tls.serverConfiguration
        configuration.certificateVerification = .optionalVerification
        return Application(
            router: router,
            server: try .tls(.http1(configuration: .init(additionalChannelHandlers: [ConnectionDeadline(registry: registry)],
                                                        idleTimeout: .seconds(SyncLimits.idleTimeout))), configuration: TLSChannelConfiguration(
                tlsConfiguration: configuration,
                // Any presented certificate is accepted here; the sync routes then
                // compare its key with the peers' pins and answer 403 to strangers.
                customAsyncVerificationCallback: { _ in .certificateVerified })),
            // The registry makes room at its bounds by closing a connection; the accept limit
            // above them is a backstop for sockets still being closed (`ConnectionRegistry`).
            configuration: .init(address: .hostname(host, port: port), serverName: "roster",
                                 availableConnectionsDelegate: MaximumAvailableConnections(registry.total + SyncLimits.connectionsClosing)),
            // The port bound, which `--listen HOST:0` leaves to the system: tests read it here.
            onServerRunning: { channel in
                logger.notice("listening on https://\(host):\(channel.localAddress?.port ?? port)")
                onListening(channel.localAddress?.port ?? port)
            },
            logger: logger)
    }
}

extension NodeTLS {
    var serverConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = SyncLimits.minimumTLSVersion
        return configuration
    }

    var clientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = SyncLimits.minimumTLSVersion
        // The peer's pin, checked in the verification callback, replaces the hostname check.
        configuration.certificateVerification = .noHostnameVerification
        configuration.certificateChain = [.certificate(certificate)]
        configuration.privateKey = .privateKey(privateKey)
        return configuration
    }

    /// For a client with no certificate of its own (an auditor), which pins the server's key.
    static var anonymousClientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = SyncLimits.minimumTLSVersion
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }
}
