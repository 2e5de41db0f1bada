import Foundation
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import RosterCore

/// What `GET /metrics` shows, in Prometheus text. The HTTP server's own figures come
/// through swift-metrics (Hummingbird's `MetricsMiddleware`), the node's through the
/// registry directly, so that each carries its `# HELP` line. One registry a process:
/// the metrics system can be bootstrapped only once.
public enum NodeMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (prometheusNames[name] ?? name.replacingOccurrences(of: ".", with: "_"),
             labels.map { (prometheusNames[$0.0] ?? $0.0.replacingOccurrences(of: ".", with: "_"), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Hummingbird's OpenTelemetry-style names, in Prometheus's conventions.
    static let prometheusNames = [
        "hb.requests": "http_server_requests_total",
        "hb.request.errors": "http_server_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
        "http.server.active_requests": "http_server_active_requests",
        "http.route": "route",
        "http.request.method": "method",
        "http.response.status_code": "status",
        "error.type": "status",
    ]

    /// Counts what a batch of operations came to, from a push or a pull.
    static func record(_ outcomes: [CausalDelivery.Outcome]) {
        var applied = 0, pending = 0
        var refused: [String: Int] = [:]
        for outcome in outcomes {
            switch outcome {
            case .applied: applied += 1
            case .pending: pending += 1
            case .duplicate: break
            case .rejected(let error): refused[error.code.rawValue, default: 0] += 1
            }
        }
        operationsApplied.increment(by: Int64(applied))
        operationsHeld.increment(by: Int64(pending))
        // The reasons are the node's error codes, a fixed set: a peer cannot grow this family.
        for (reason, count) in refused {
            registry.makeCounter(descriptor: refusedDescriptor, labels: [("reason", reason)]).increment(by: Int64(count))
        }
    }

    static let operationsApplied = registry.makeCounter(descriptor: MetricNameDescriptor(
        namespace: "roster", metricName: "operations_applied", unitName: "total",
        helpText: "Operations received from peers and applied, since the node started."))
    static let operationsHeld = registry.makeCounter(descriptor: MetricNameDescriptor(
        namespace: "roster", metricName: "operations_held", unitName: "total",
        helpText: "Operations received from peers and held as pending until what they follow arrives, since the node started."))
    static var refusedDescriptor: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "roster", metricName: "operations_refused", unitName: "total",
        helpText: "Operations received from peers and refused, by reason (an error code of docs/errors.md), since the node started.") }

    /// Counts a sync round with `peer`, which `failed` or moved what `report` says.
    static func record(round peer: String, report: SyncReport?, took duration: Duration) {
        let outcome = report == nil ? "failed" : report?.complete == true ? "complete" : "partial"
        registry.makeCounter(descriptor: roundsDescriptor, labels: [("peer", peer), ("outcome", outcome)]).increment()
        registry.makeDurationHistogram(descriptor: roundSecondsDescriptor, labels: [("peer", peer)], buckets: roundBuckets)
            .record(duration)
        if let report {
            registry.makeCounter(descriptor: movedDescriptor, labels: [("peer", peer), ("direction", "pulled")]).increment(by: Int64(report.pulled))
            registry.makeCounter(descriptor: movedDescriptor, labels: [("peer", peer), ("direction", "pushed")]).increment(by: Int64(report.pushed))
            if report.complete { lastCompleteRound.withLockedValue { $0[peer] = Date() } }
        }
    }

    static var roundsDescriptor: MetricNameDescriptor {
        sync("rounds", "total", "Sync rounds with each peer by outcome: complete, partial (the round's budget ran out) or failed.")
    }
    static var roundSecondsDescriptor: MetricNameDescriptor { sync("round_duration", "seconds", "How long sync rounds with each peer took.") }
    static let roundBuckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(15), .seconds(60)]
    static var movedDescriptor: MetricNameDescriptor { sync("operations", "total", "Operations pulled from and pushed to each peer by sync rounds.") }
    static var lagDescriptor: MetricNameDescriptor {
        sync("lag", "seconds", "Seconds since the last complete sync round with each peer (since the node started, if none has completed).")
    }

    /// `roster_sync_NAME_UNIT`.
    static func sync(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "roster", subsystem: "sync", metricName: name, unitName: unit, helpText: help)
    }

    /// When each peer's last complete round ended; the lag is read from it at each scrape.
    static let lastCompleteRound = NIOLockedValueBox<[String: Date]>([:])
    static let started = Date()

    /// Sets each peer's lag as of `now`, for the peers the node has now.
    static func updateLag(peers: [String], now: Date = Date()) {
        let last = lastCompleteRound.withLockedValue { $0 }
        for peer in peers {
            registry.makeGauge(descriptor: lagDescriptor, labels: [("peer", peer)]).set(to: now.timeIntervalSince(last[peer] ?? started))
        }
    }
}
