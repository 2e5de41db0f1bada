import Foundation
import Logging
import RosterStore
import ServiceLifecycle

/// Syncs with every peer on an interval while the server runs, up to
/// `SyncLimits.concurrentPeers` at once, so one slow or lying peer never holds up
/// the others. An unreachable peer is retried with exponential back-off and
/// jitter, up to ten intervals. Shutdown cancels every round at once.
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

    /// What a finished child of the loop reports: a round with a peer, or a tick.
    enum Event: Sendable {
        case tick
        case round(peer: String, failure: String?)
    }

    func loop() async {
        await withTaskGroup(of: Event.self) { group in
            var running: Set<String> = []
            var failures: [String: Int] = [:]
            var due: [String: ContinuousClock.Instant] = [:]
            var ticking = false
            // One client per peer, kept across rounds with its open connection; made
            // anew when the peer's endpoint or pin changes, dropped with the peer.
            var clients: [String: PeerClient] = [:]
            defer { clients.values.forEach { $0.close() } }
            while !Task.isCancelled {
                // A failed read (a busy database) syncs no one this tick but keeps the connections.
                let read = try? await node.store.peers()
                let peers = read ?? []
                if let read {
                    for gone in Set(clients.keys).subtracting(read.map(\.id)) { clients.removeValue(forKey: gone)?.close() }
                }
                let now = ContinuousClock.now
                for peer in peers where peer.endpoint != nil && !running.contains(peer.id) && due[peer.id].map({ $0 <= now }) ?? true {
                    guard running.count < SyncLimits.concurrentPeers else { break }
                    if let client = clients[peer.id], client.endpoint != peer.endpoint || client.pin != peer.tlsPin {
                        client.close()
                        clients[peer.id] = nil
                    }
                    guard let client = try? clients[peer.id] ?? Synchronizer.client(for: peer, tls: tls) else { continue }
                    clients[peer.id] = client
                    running.insert(peer.id)
                    group.addTask { [node, logger] in
                        let started = ContinuousClock.now
                        do {
                            let report = try await Synchronizer.sync(node: node, with: peer, over: client, logger: logger)
                            NodeMetrics.record(round: peer.id, report: report, took: ContinuousClock.now - started)
                            return .round(peer: peer.id, failure: nil)
                        } catch {
                            NodeMetrics.record(round: peer.id, report: nil, took: ContinuousClock.now - started)
                            return .round(peer: peer.id, failure: "\(error)")
                        }
                    }
                }
                if !ticking {
                    ticking = true
                    group.addTask { [interval] in
                        try? await Task.sleep(for: .seconds(interval))
                        return .tick
                    }
                }
                guard let event = await group.next() else { break }
                switch event {
                case .tick:
                    ticking = false
                case .round(let peer, nil):
                    running.remove(peer)
                    failures[peer] = 0
                    due[peer] = ContinuousClock.now + .seconds(interval)
                case .round(let peer, let failure?):
                    running.remove(peer)
                    let count = (failures[peer] ?? 0) + 1
                    failures[peer] = count
                    let delay = min(interval * pow(2, Double(count - 1)), interval * 10) * Double.random(in: 0.8...1.2)
                    due[peer] = ContinuousClock.now + .seconds(delay)
                    logger.warning("sync with \(peer) failed (\(count) in a row), next try in \(Int(delay)) s: \(failure)",
                                   metadata: ["peer": "\(peer)", "failures": "\(count)"])
                }
            }
            group.cancelAll()
        }
    }
}
