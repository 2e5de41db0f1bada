import NIOCore

/// Closes a connection that has not finished its TLS handshake and sent a request
/// head within `SyncLimits.firstRequestTimeout`. The longer idle timeout between
/// requests keeps peers' connections from round to round; this keeps a stranger's
/// silent connection from holding a slot for as long.
final class FirstRequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private var deadline: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .seconds(SyncLimits.firstRequestTimeout)) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelRead(data)
    }
}
