import NIOConcurrencyHelpers
import NIOCore

/// Closes a connection that is silent for too long before it has shown itself a
/// peer: `SyncLimits.firstRequestTimeout` to finish the TLS handshake and send a
/// request head, and as long again after each later byte of a stranger's requests
/// (`check` is public). Once a sync route authenticated a pinned peer on it, only
/// the server's idle timeout between requests applies, long enough to keep the
/// connection from one anti-entropy round to the next. So strangers cannot hold
/// the connection slots for long, and peers keep theirs.
/// It also holds each address to `SyncLimits.connectionsPerAddress` connections.
final class ConnectionDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let addresses: ConnectionsByAddress
    private var address: String?
    private var deadline: Scheduled<Void>?
    private var isPeer = false

    init(addresses: ConnectionsByAddress) {
        self.addresses = addresses
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "?"
        guard addresses.open(address) else {
            context.close(promise: nil)
            return
        }
        self.address = address
        schedule(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let address { addresses.close(address) }
        address = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !isPeer { schedule(context) }
        context.fireChannelRead(data)
    }

    /// Called on the channel's event loop once a request on it came from a pinned peer.
    func peerAuthenticated() {
        isPeer = true
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

/// Open connections by client address, shared by every connection's handler.
final class ConnectionsByAddress: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    /// Counts a new connection from `address`; false when the address is at its bound.
    func open(_ address: String) -> Bool {
        counts.withLockedValue { counts in
            guard counts[address, default: 0] < SyncLimits.connectionsPerAddress else { return false }
            counts[address, default: 0] += 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLockedValue { counts in
            counts[address, default: 1] -= 1
            if counts[address] ?? 0 <= 0 { counts[address] = nil }
        }
    }
}

extension Channel {
    /// Marks the connection as a peer's (see `ConnectionDeadline`).
    func markPeer() {
        eventLoop.execute { [self] in
            try? pipeline.syncOperations.handler(type: ConnectionDeadline.self).peerAuthenticated()
        }
    }
}
