import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RosterCore

/// HTTPS requests to one peer over mutual TLS: this node presents its certificate,
/// and accepts the server only if its key matches the pin of the peer it meant to
/// reach. The connection is kept open between requests and between rounds (HTTP/1.1
/// keep-alive), so a round after the first costs neither a TCP nor a TLS handshake;
/// one that the peer closed is opened again on the next request. An auditor reads
/// a log's public routes with the same client, presenting no certificate.
public final class PeerClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// How the connection is secured.
    enum Transport: Sendable {
        /// Mutual TLS: presents the node's certificate, accepts only the pinned key.
        case mutual(NodeTLS, pin: String)
        /// TLS without a client certificate, accepting only the pinned key: an auditor at a node.
        case pinned(String)
        /// TLS checked against the system's roots and the host name: a mirror with a public certificate.
        case verified
        /// Plain HTTP: a cache or mirror, whose answers are verified by their hashes and signatures.
        case plain
    }

    public let peer: String
    /// The peer's endpoint and pin, for a client that syncs with a peer.
    public let endpoint: Endpoint?
    public let pin: String?
    let transport: Transport
    let host: String
    let port: Int
    /// Prepended to every path: where a mirror serves the log.
    let prefix: String
    /// What requests are answered from, for messages.
    let address: String
    let maximumBody: Int
    /// The open connection waiting for the next request, if any.
    private let idle = NIOLockedValueBox<Connection?>(nil)
    /// Connections opened so far: a round that opened none reused one.
    private let opened = NIOLockedValueBox(0)

    public init(peer: String, endpoint: Endpoint, pin: String, tls: NodeTLS) {
        self.peer = peer
        self.endpoint = endpoint
        self.pin = pin
        transport = .mutual(tls, pin: pin)
        (host, port, prefix, address) = (endpoint.host, endpoint.port, "", endpoint.description)
        maximumBody = SyncLimits.maximumBody
    }

    /// The server in messages: the peer and its address, or the address alone.
    var whom: String { peer == address ? address : "\(peer) at \(address)" }

    /// A client of a log's public routes at `url`, presenting no certificate; the
    /// server's key must have the hash `pin` when given.
    public init(log url: LogURL, pin: String?, maximumBody: Int) {
        peer = url.description
        endpoint = nil
        self.pin = pin
        transport = url.isTLS ? pin.map(Transport.pinned) ?? .verified : .plain
        (host, port, prefix, address) = (url.host, url.port, url.prefix, url.description)
        self.maximumBody = maximumBody
    }

    deinit {
        idle.withLockedValue { $0?.channel.close(promise: nil) }
    }

    /// How many connections this client has opened.
    public var connections: Int { opened.withLockedValue { $0 } }

    /// Closes the kept connection; the next request opens a new one.
    public func close() {
        idle.withLockedValue { connection in
            connection?.channel.close(promise: nil)
            connection = nil
        }
    }

    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8] = [],
                        contentType: String = "application/json") async throws -> Response {
        // A kept connection the peer closed while it was idle fails before any answer:
        // the request is sent once more on a new one. Pulls and pushes are idempotent.
        let kept = idle.withLockedValue { connection in
            defer { connection = nil }
            return connection
        }
        if let kept {
            do {
                return try await send(method, path, body: body, contentType: contentType, on: kept)
            } catch let error as RosterError where error.code == .unreachable && kept.collector.answeredNothing {
                // fall through to a new connection
            }
        }
        return try await send(method, path, body: body, contentType: contentType, on: connect())
    }

    /// An open connection and the handler that collects its answers.
    struct Connection: Sendable {
        let channel: Channel
        let collector: ResponseCollector
        let mismatch: PinMismatch
    }

    private func connect() async throws -> Connection {
        let mismatch = PinMismatch()
        let collector = ResponseCollector(maximumBody: maximumBody)
        let security: (context: NIOSSLContext, expected: String?)?
        switch transport {
        case .mutual(let tls, let pin): security = (try NIOSSLContext(configuration: tls.clientConfiguration), pin)
        case .pinned(let pin): security = (try NIOSSLContext(configuration: NodeTLS.anonymousClientConfiguration), pin)
        case .verified: security = (try NIOSSLContext(configuration: .makeClientConfiguration()), nil)
        case .plain: security = nil
        }
        let host = host
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let (context, expected) = security, let expected {
                        let verification = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, result in
                            // The pin replaces the hostname check: only the expected key is accepted.
                            guard let leaf = certificates.first, let presented = try? NodeTLS.pin(of: leaf) else {
                                result.succeed(.failed)
                                return
                            }
                            if presented == expected {
                                result.succeed(.certificateVerified)
                            } else {
                                mismatch.presented = presented
                                result.succeed(.failed)
                            }
                        }
                        try channel.pipeline.syncOperations.addHandler(verification)
                    } else if let (context, _) = security {
                        // An address is checked against the certificate's IP names; SNI carries host names only.
                        let name = (try? IPAddress(host)) == nil ? host : nil
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            opened.withLockedValue { $0 += 1 }
            return Connection(channel: channel, collector: collector, mismatch: mismatch)
        } catch {
            throw RosterError(.unreachable, "cannot reach \(whom): \(error); check that it runs and the endpoint in its descriptor")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8], contentType: String,
                      on connection: Connection) async throws -> Response {
        let channel = connection.channel
        let promise = channel.eventLoop.makePromise(of: Response.self)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: prefix + path)
        head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Length", value: String(body.count))
        let request = head
        let collector = connection.collector
        channel.eventLoop.execute {
            collector.expect(promise, on: channel)
            channel.write(HTTPClientRequestPart.head(request), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(SyncLimits.requestTimeout)) {
            promise.fail(RosterError(.timeout, "\(self.whom) did not answer within \(SyncLimits.requestTimeout) s"))
            channel.close(promise: nil)
        }
        do {
            // A cancelled round (shutdown) closes the connection at once.
            let response = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
                channel.close(promise: nil)
            }
            timeout.cancel()
            keep(connection, after: response)
            return response
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            if let presented = connection.mismatch.presented {
                throw RosterError(.pinMismatch,
                    "\(whom) presented TLS key sha256 \(presented), but its descriptor pins \(pin ?? "another"): not trusting its answers")
            }
            if error is CancellationError { throw error }
            if let error = error as? RosterError { throw error }
            throw RosterError(.unreachable, "request to \(whom) failed: \(error)")
        }
    }

    /// Keeps the connection for the next request, unless the peer asked to close it
    /// or another connection is already kept.
    private func keep(_ connection: Connection, after response: Response) {
        guard response.header("Connection")?.lowercased() != "close", connection.channel.isActive else {
            connection.channel.close(promise: nil)
            return
        }
        let extra = idle.withLockedValue { kept -> Connection? in
            guard kept == nil else { return connection }
            kept = connection
            return nil
        }
        extra?.channel.close(promise: nil)
    }
}

/// Set from the TLS callback when the server's key is not the pinned one.
final class PinMismatch: Sendable {
    private let value = NIOLockedValueBox<String?>(nil)
    var presented: String? {
        get { value.withLockedValue { $0 } }
        set { value.withLockedValue { $0 = newValue } }
    }
}

/// Collects one HTTP response at a time, up to the body limit, and completes the
/// promise of the request that is waiting for it. Unchecked Sendable without a
/// lock: its methods run on the channel's event loop, which serialises them, and
/// `answeredNothing` is read elsewhere only after that request's promise completed.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var promise: EventLoopPromise<PeerClient.Response>?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private let maximumBody: Int
    /// Whether the request now waiting has had no byte of an answer yet.
    private let silent = NIOLockedValueBox(true)

    init(maximumBody: Int) {
        self.maximumBody = maximumBody
    }

    var answeredNothing: Bool { silent.withLockedValue { $0 } }

    /// The next answer on `channel` completes `promise`.
    func expect(_ promise: EventLoopPromise<PeerClient.Response>, on channel: Channel) {
        self.promise = promise
        head = nil
        body = []
        silent.withLockedValue { $0 = true }
        // A connection that closed while idle fails the request at once.
        if !channel.isActive { fail(RosterError(.unreachable, "the peer closed the connection before answering")) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        silent.withLockedValue { $0 = false }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let buffer):
            body += buffer.readableBytesView
            if body.count > maximumBody + (1 << 20) {
                fail(RosterError(.badAnswer, "the peer's answer is larger than \(maximumBody) bytes"))
                context.close(promise: nil)
            }
        case .end:
            guard let head, let promise else {
                // An answer nobody asked for: the connection is out of step.
                context.close(promise: nil)
                return
            }
            self.promise = nil
            promise.succeed(PeerClient.Response(status: Int(head.status.code),
                                                headers: head.headers.map { ($0.name, $0.value) }, body: body))
            body = []
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RosterError(.unreachable, "the peer closed the connection before answering"))
        context.fireChannelInactive()
    }

    private func fail(_ error: Error) {
        promise?.fail(error)
        promise = nil
    }
}
