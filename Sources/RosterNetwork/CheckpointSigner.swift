import Logging
import RosterStore
import ServiceLifecycle

/// Signs a checkpoint of the node's log when the server starts and then on an
/// interval, even when nothing changed: an auditor who sees the newest checkpoint
/// grow old knows the node stalled, or is withholding what it holds. Each one is
/// sent to the node's peers to cosign (`Witnessing`) when `tls` is given.
public struct CheckpointSigner: Service {
    let node: Node
    let interval: Double
    let tls: NodeTLS?
    let logger: Logger

    public init(node: Node, interval: Double, tls: NodeTLS? = nil, logger: Logger) {
        self.node = node
        self.interval = interval
        self.tls = tls
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    // With peers to cosign it, a checkpoint is served once they have: an
                    // auditor who asks meanwhile gets the one before, cosigned too.
                    let signed = try await node.checkpoint(keeping: tls == nil)
                    logger.info("signed checkpoint \(signed.text.split(separator: "\n").prefix(2).joined(separator: " "))")
                    if let tls { try await node.keep(Witnessing.gather(signed, node: node, tls: tls, logger: logger)) }
                } catch {
                    // A busy database or a full disk: the next interval tries again.
                    logger.warning("could not sign a checkpoint: \(error)")
                }
                try? await Task.sleep(for: .seconds(interval))
            }
        }
    }
}
