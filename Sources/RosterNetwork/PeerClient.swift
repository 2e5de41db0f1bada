import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RosterCore

/// HTTPS requests to one peer over mutual TLS: this node presents its certificate,
/// and accepts the server only if its key matches the pin of the peer it meant to
/// reach. One request per connection keeps failure handling simple.
public struct PeerClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    public let peer: String
    public let endpoint: Endpoint
    public let pin: String
    let tls: NodeTLS

    public init(peer: String, endpoint: Endpoint, pin: String, tls: NodeTLS) {
        self.peer = peer
        self.endpoint = endpoint
        self.pin = pin
        self.tls = tls
    }

    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8] = [],
                        contentType: String = "application/json") async throws -> Response {
        let context = try NIOSSLContext(configuration: tls.clientConfiguration)
        let expected = pin
        let peer = self.peer
        let endpoint = self.endpoint
        let mismatch = PinMismatch()
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Response.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
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
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            // No channel took the promise: complete it here, or NIO reports it leaked.
            promise.fail(error)
            throw RosterError(.unreachable, "cannot reach \(peer) at \(endpoint): \(error); check that it runs and the endpoint in its descriptor")
        }
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(SyncLimits.requestTimeout)) {
            promise.fail(RosterError(.timeout, "\(peer) at \(endpoint) did not answer within \(SyncLimits.requestTimeout) s"))
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            // A cancelled round (shutdown) closes the connection at once.
            let response = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
                channel.close(promise: nil)
            }
            timeout.cancel()
            return response
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            if let presented = mismatch.presented {
                throw RosterError(.pinMismatch,
                    "\(peer) at \(endpoint) presented TLS key sha256 \(presented), but its descriptor pins \(expected): not syncing")
            }
            if error is CancellationError { throw error }
            if let error = error as? RosterError { throw error }
            throw RosterError(.unreachable, "request to \(peer) at \(endpoint) failed: \(error)")
        }
    }
}

/// Set from the TLS callback when the server's key is not the pinned one.
final class PinMismatch: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    var presented: String? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// Collects one HTTP response, up to the body limit, and completes the promise.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<PeerClient.Response>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<PeerClient.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let buffer):
            body += buffer.readableBytesView
            if body.count > SyncLimits.maximumBody + (1 << 20) {
                promise.fail(RosterError(.badAnswer, "the peer's answer is larger than \(SyncLimits.maximumBody) bytes"))
                context.close(promise: nil)
            }
        case .end:
            guard let head else { return }
            promise.succeed(PeerClient.Response(status: Int(head.status.code),
                                                headers: head.headers.map { ($0.name, $0.value) }, body: body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(RosterError(.unreachable, "the peer closed the connection before answering"))
    }
}
