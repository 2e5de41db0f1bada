import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import RosterCore
import RosterStore

/// A request context that keeps the connection, to read the client's certificate.
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The node's HTTPS API (docs/sync.md). Sync routes answer only clients whose
/// certificate key matches a peer descriptor's pin; `check` answers anyone, from
/// an in-memory index that follows the database within half a second.
public enum NodeServer {
    public static func application(node: Node, tls: NodeTLS, host: String, port: Int, policy: BroadPolicy = .all,
                                   logger: Logger) throws -> some ApplicationProtocol {
        let router = Router(context: PeerRequestContext.self)
        router.add(middleware: ErrorBodyMiddleware())
        let store = node.store
        let live = LiveRoster(store: store)
        let registry = ConnectionRegistry(total: SyncLimits.connections())
        // Loads on a reader thread beside the starting server; until then check reads SQLite.
        Task(priority: .utility) {
            do {
                try await live.load()
                logger.info("check index loaded: \(live.count) live entries")
            } catch {
                logger.error("check index not loaded, check reads the database: \(error)")
            }
        }

        router.get("/v1/status") { _, context -> Response in
            _ = try await authenticatedPeer(context, store: store)
            let (clock, digest, agencies) = try await store.digests()
            return json([
                "agency": .string(node.identity.agency), "origin": .string(node.identity.origin),
                "clock": clock.json, "digest": .string(digest), "agencies": .object(agencies.mapValues(JSON.string)),
            ])
        }

        router.post("/v1/sync/pull") { request, context -> Response in
            let peer = try await authenticatedPeer(context, store: store)
            let body = try await request.body.collect(upTo: SyncLimits.maximumBody)
            let document: JSON
            do {
                document = try JSONParser.parse(Array(buffer: body))
            } catch let error as RosterError {
                throw HTTPError(.badRequest, message: "pull request: \(error.reason)")
            }
            guard let clockJSON = document["clock"], let clock = try? VectorClock(json: clockJSON) else {
                throw HTTPError(.badRequest, message: "pull request needs a clock: {\"clock\": {origin: seq}}")
            }
            let members = document.object.map { Array($0.keys) } ?? []
            if let unknown = Set(members).subtracting(["clock", "limit", "agencies"]).sorted().first {
                throw HTTPError(.badRequest, message: "pull request has an unknown member \"\(unknown)\": it takes clock, limit and agencies")
            }
            if let given = document["limit"], given.integer == nil {
                throw HTTPError(.badRequest, message: "limit must be an integer from 1 to \(SyncLimits.maximumPage)")
            }
            let limit = min(Int(clamping: document["limit"]?.integer ?? Int64(SyncLimits.maximumPage)), SyncLimits.maximumPage)
            guard limit > 0 else { throw HTTPError(.badRequest, message: "limit must be positive") }
            var agencies: Set<String>?
            if let trusted = document["agencies"] {
                let names = trusted.array?.compactMap(\.string).filter(Origin.isValidAgency) ?? []
                guard names.count == trusted.array?.count, names.count <= SyncLimits.maximumOrigins else {
                    throw HTTPError(.badRequest, message: "agencies must be a list of at most \(SyncLimits.maximumOrigins) agency ids like kz-mvd")
                }
                agencies = Set(names)
            }
            let delta = try await store.delta(missingFrom: clock, limit: limit, bytes: SyncLimits.maximumPageBytes, agencies: agencies)
            let (bodies, more, held) = (delta.bodies, delta.more, delta.clock)
            logger.info("pull by \(peer): \(bodies.count) operations\(more ? ", more to come" : "")")
            var buffer = ByteBuffer()
            for text in bodies {
                buffer.writeString(text)
                buffer.writeInteger(UInt8(0x0A))
            }
            var headers: HTTPFields = [.contentType: "application/x-ndjson"]
            headers[.init("Roster-More")!] = more ? "true" : "false"
            // What this node holds, so that the caller can push without asking /v1/status.
            headers[.init("Roster-Clock")!] = CanonicalJSON.string(held.json)
            // Which proofs of equivocation it holds of the agencies asked for, so that the
            // caller asks for them only when it lacks some.
            headers[.init("Roster-Proofs")!] = try await store.proofsDigest(agencies: agencies)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
        }

        router.get("/v1/sync/proofs") { request, context -> Response in
            let peer = try await authenticatedPeer(context, store: store)
            var agencies: Set<String>?
            if let list = request.uri.queryParameters.get("agencies") {
                let names = list.split(separator: ",").map(String.init)
                guard names.count <= SyncLimits.maximumOrigins, names.allSatisfy(Origin.isValidAgency) else {
                    throw HTTPError(.badRequest, message: "agencies must be a comma-separated list of agency ids like kz-mvd")
                }
                agencies = Set(names)
            }
            let bodies = try await store.proofs(agencies: agencies, limit: SyncLimits.maximumPage / 3)
            logger.info("proofs by \(peer): \(bodies.count) operations")
            var buffer = ByteBuffer()
            for text in bodies {
                buffer.writeString(text)
                buffer.writeInteger(UInt8(0x0A))
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: buffer))
        }

        router.post("/v1/sync/push") { request, context -> Response in
            let peer = try await authenticatedPeer(context, store: store)
            let body = try await request.body.collect(upTo: SyncLimits.maximumBody)
            let operations = try await CPUWork.run { try parseOperations(Array(buffer: body)) }
            let receipt = try await store.receive(operations, from: peer)
            try? await live.catchUp()
            let (outcomes, held) = (receipt.outcomes, receipt.clock)
            logger.info("push by \(peer): \(operations.count) operations")
            return json(["clock": held.json, "results": .array(zip(operations, outcomes).map { operation, outcome in
                var result: [String: JSON] = ["dot": .string(operation.dot.description)]
                switch outcome {
                case .applied: result["outcome"] = "applied"
                case .duplicate: result["outcome"] = "known"
                case .pending: result["outcome"] = "pending"
                case .rejected(let error):
                    result["outcome"] = "rejected"
                    result["reason"] = .string(error.reason)
                }
                return .object(result)
            })])
        }

        router.get("/v1/check") { request, _ -> Response in
            guard let text = request.uri.queryParameters.get("resource") else {
                throw HTTPError(.badRequest, message: "give ?resource=NAME")
            }
            let resource: Resource
            do {
                resource = try Resource(inferring: text)
            } catch let error as RosterError {
                throw HTTPError(.badRequest, message: error.reason)
            }
            let today = CalendarDate(WallClock.system.now())
            let entries = try await live.check(resource, today: today).filter { policy.enforces($0, agency: node.identity.agency) }
            return json(["resource": resource.json, "listed": .bool(!entries.isEmpty), "entries": .array(entries.map(\.json))])
        }

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
            },
            logger: logger)
    }

    /// The peer whose pinned key the client presented; 403 for anyone else.
    static func authenticatedPeer(_ context: PeerRequestContext, store: Store) async throws -> String {
        guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
            throw HTTPError(.forbidden, message: "sync needs a client certificate whose key a peer descriptor pins")
        }
        let pin = try NodeTLS.pin(of: certificate)
        guard let peer = try await store.peers().first(where: { $0.tlsPin == pin }) else {
            throw HTTPError(.forbidden, message: "no peer descriptor pins this client key (sha256 \(pin)): add the client's descriptor with roster peers add")
        }
        context.channel.markPeer()
        return peer.id
    }

    /// NDJSON of signed operations, parsed on the bulk threads; a line that is too
    /// long or malformed refuses the page.
    static func parseOperations(_ bytes: [UInt8]) throws -> [SignedOperation] {
        let lines = bytes.split(separator: 0x0A).filter { !$0.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) }
        guard lines.count <= SyncLimits.maximumPage else {
            throw HTTPError(.contentTooLarge, message: "a push carries at most \(SyncLimits.maximumPage) operations, this one \(lines.count): send pages")
        }
        if let index = lines.firstIndex(where: { $0.count > SyncLimits.maximumOperation }) {
            throw HTTPError(.badRequest, message: "line \(index + 1): an operation is larger than \(SyncLimits.maximumOperation) bytes")
        }
        do {
            return try Store.parse(lines.map(Array.init))
        } catch let error as RosterError {
            throw HTTPError(.badRequest, message: error.reason)
        }
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer(bytes: CanonicalJSON.encode(value))
        buffer.writeInteger(UInt8(0x0A))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
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
}
