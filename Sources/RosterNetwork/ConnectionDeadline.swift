import NIOConcurrencyHelpers
import NIOCore

/// Closes a connection that is silent for too long before it has shown itself a
/// peer: `SyncLimits.firstRequestTimeout` to finish the TLS handshake and send a
/// request head, and as long again after each later byte of a stranger's requests
/// (`check` is public). Once a sync route authenticated a pinned peer on it, only
/// the server's idle timeout between requests applies, long enough to keep the
/// connection from one anti-entropy round to the next. So strangers cannot hold
/// the connection slots for long, and peers keep theirs.
/// A response being written counts as progress too: a consumer reading a feed for
/// minutes keeps its connection while the writes go on, which they do only while it
/// reads (a client that stops reading stops them, and is closed like a silent one).
/// It also counts the connection in the `ConnectionRegistry`, which bounds each
/// client and the total, and marks it once it has sent a request.
final class ConnectionDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias OutboundIn = Any

    private let registry: ConnectionRegistry
    private var client: String?
    private var deadline: Scheduled<Void>?
    private var isPeer = false
    private var hasAsked = false

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let client = ConnectionRegistry.client(of: context.channel.remoteAddress)
        guard registry.open(context.channel, client: client) else {
            context.close(promise: nil)
            return
        }
        self.client = client
        schedule(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let client { registry.close(context.channel, client: client) }
        client = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !hasAsked, let client {
            hasAsked = true
            registry.asked(context.channel, client: client)
        }
        if !isPeer { schedule(context) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !isPeer && client != nil { schedule(context) }
        context.write(data, promise: promise)
    }

    /// Called on the channel's event loop once a request on it came from a pinned peer.
    func peerAuthenticated(_ channel: any Channel) {
        isPeer = true
        if let client { registry.peerAuthenticated(channel, client: client) }
        deadline?.cancel()
        deadline = nil
    }

    private func schedule(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .seconds(SyncLimits.firstRequestTimeout)) {
            channel.close(promise: nil)
        }
    }
}

extension Channel {
    /// Marks the connection as a peer's (see `ConnectionDeadline`).
    func markPeer() {
        eventLoop.execute { [self] in
            try? pipeline.syncOperations.handler(type: ConnectionDeadline.self).peerAuthenticated(self)
        }
    }
}
