import Foundation
import Logging
import RosterStore
import ServiceLifecycle

/// Syncs with every peer on an interval while the server runs. An unreachable
/// peer is retried with exponential back-off and jitter, up to ten intervals.
public struct AntiEntropy: Service {
    let node: Node
    let tls: NodeTLS
    let interval: Double
    let logger: Logger

    public init(node: Node, tls: NodeTLS, interval: Double, logger: Logger) {
        self.node = node
        self.tls = tls
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { await loop() }
    }

    func loop() async {
        var failures: [String: Int] = [:]
        var due: [String: Date] = [:]
        while !Task.isCancelled {
            let peers = (try? node.store.read { try $0.peers() }) ?? []
            for peer in peers where peer.endpoint != nil && (due[peer.id] ?? .distantPast) <= Date() {
                do {
                    _ = try await Synchronizer.sync(node: node, with: peer, tls: tls, logger: logger)
                    failures[peer.id] = 0
                    due[peer.id] = nil
                } catch {
                    let count = (failures[peer.id] ?? 0) + 1
                    failures[peer.id] = count
                    let delay = min(interval * pow(2, Double(count - 1)), interval * 10) * Double.random(in: 0.8...1.2)
                    due[peer.id] = Date().addingTimeInterval(delay)
                    logger.warning("sync with \(peer.id) failed (\(count) in a row), next try in \(Int(delay)) s: \(error)")
                }
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }
}
