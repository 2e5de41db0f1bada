import Hummingbird
import NIOCore
import Prometheus
import RosterStore

/// `GET /metrics`, in the Prometheus text format: what the node holds, read from its
/// database at each scrape, and what it has done since it started (`NodeMetrics`).
struct MetricsController {
    let node: Node
    /// Read at most every five seconds, whoever asks: counting a million entries takes a fifth of a second.
    let counts: KeptAnswer<Counts>

    init(node: Node) {
        self.node = node
        counts = KeptAnswer(maximumAge: .seconds(5)) { [store = node.store] in try await store.counts() }
    }

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/metrics") { _, _ in try await metrics() }
    }

    func metrics() async throws -> Response {
        let registry = NodeMetrics.registry
        let counts = try await self.counts.value()
        registry.makeGauge(descriptor: Self.entries, labels: [("state", "live")]).set(to: Double(counts.live))
        registry.makeGauge(descriptor: Self.entries, labels: [("state", "revoked")]).set(to: Double(counts.revoked))
        registry.makeGauge(descriptor: Self.operations).set(to: Double(counts.operations))
        registry.makeGauge(descriptor: Self.pending).set(to: Double(counts.pending))
        registry.makeGauge(descriptor: Self.equivocations).set(to: Double(counts.equivocations))
        NodeMetrics.updateLag(peers: try await node.store.peers().filter { $0.endpoint != nil }.map(\.id))
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    static var entries: MetricNameDescriptor { MetricNameDescriptor(namespace: "roster", metricName: "entries", unitName: "",
                                              helpText: "Entries the node holds, live or revoked.") }
    static var operations: MetricNameDescriptor { MetricNameDescriptor(namespace: "roster", metricName: "operations", unitName: "",
                                                 helpText: "Signed operations the node has applied, from every agency.") }
    static var pending: MetricNameDescriptor { MetricNameDescriptor(namespace: "roster", metricName: "operations_pending", unitName: "",
                                              helpText: "Operations held until the operations they follow arrive (roster pending shows them).") }
    static var equivocations: MetricNameDescriptor { MetricNameDescriptor(namespace: "roster", metricName: "equivocations", unitName: "",
                                                    helpText: "Proven equivocations: replicas that signed two different operations with one dot (roster audit).") }
}
