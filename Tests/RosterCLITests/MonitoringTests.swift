import Foundation
import RosterCore
import Testing

/// What an operator's monitoring reads from a serving node: `/metrics`, parsed by
/// Prometheus's own Python parser, and logs in JSON lines.
@Suite("Monitoring: /metrics read by prometheus_client, JSON logs", .serialized)
struct MonitoringTests {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
        let help: String
    }

    /// `/metrics` of `node`, through `read_metrics.py`; the parser refusing the text fails the test.
    static func scrape(_ node: FederatedNode) throws -> [Sample] {
        let served = try ConsumerTests.fetch("/metrics", from: node)
        #expect(served.status == 200 && served.headers.lowercased().contains("content-type: text/plain; version=0.0.4"), "\(served.headers)")
        let script = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/read_metrics.py").path
        let parsed = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script], input: served.body)
        #expect(parsed.status == 0, "prometheus_client refused the text: \(parsed.stderr)")
        return try parsed.stdout.split(separator: "\n").map { line in
            let sample = try JSONParser.parse(Array(line.utf8))
            var labels: [String: String] = [:]
            for (key, value) in sample["labels"]?.object ?? [:] { labels[key] = value.string }
            let value = sample["value"]?.string.flatMap(Double.init) ?? .nan
            return Sample(name: sample["name"]?.string ?? "", labels: labels, value: value, help: sample["help"]?.string ?? "")
        }
    }

    @Test("/metrics counts operations applied and refused by reason, pending, sync rounds and lag per peer, latency per route")
    func metrics() throws {
        let folder = try TemporaryFolder()
        let nodes = try FederationTests().federation(folder)
        let (kz, uz) = (nodes[0], nodes[1])
        for name in ["one.example", "two.example"] {
            #expect(try uz.roster.run(["add", "domain", name, "--category", "drugs"] + CLITests.basis).status == 0)
        }
        try kz.start(interval: 1, environment: ["ROSTER_LOG_FORMAT": "json"])
        let log = kz.roster.data.appendingPathComponent("serve.log")
        func lines() -> [JSON] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) }
        }
        let deadline = Date().addingTimeInterval(30)
        while !lines().contains(where: { $0["peer"]?.string == "uz-iib/main" && $0["complete"]?.string == "true" }) && Date() < deadline {
            usleep(200_000)
        }
        // A forged copy of uz's operations, pushed by uz: refused for its signature.
        let forged = try uz.roster.run(["export", "--format", "ops"]).stdout.replacingOccurrences(of: "one.example", with: "six.example")
        try forged.write(to: folder.path("forged.ndjson"), atomically: true, encoding: .utf8)
        #expect(try uz.curl("/v1/sync/push", on: kz, data: folder.path("forged.ndjson")).body.contains("\"outcome\":\"rejected\""))
        #expect(try ConsumerTests.fetch("/healthz", from: kz).status == 200)

        let samples = try Self.scrape(kz)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
        }
        let operations = try kz.roster.run(["export", "--format", "ops"]).stdout.split(separator: "\n").count
        #expect(value("roster_operations") == Double(operations), "what the node holds, read at the scrape")
        #expect(value("roster_entries", ["state": "live"]) == 2)
        #expect(value("roster_operations_pending") == 0)
        #expect((value("roster_operations_applied_total") ?? 0) >= 2, "uz's two adds, pulled")
        #expect(value("roster_operations_refused_total", ["reason": "bad-signature"]) == 1)
        #expect((value("roster_sync_rounds_total", ["peer": "uz-iib/main", "outcome": "complete"]) ?? 0) >= 1)
        #expect((value("roster_sync_round_duration_seconds_count", ["peer": "uz-iib/main"]) ?? 0) >= 1)
        let lag = value("roster_sync_lag_seconds", ["peer": "uz-iib/main"])
        #expect(lag != nil && lag! < 30, "seconds since the last complete round: \(String(describing: lag))")
        #expect((value("http_server_request_duration_seconds_count", ["route": "/healthz", "method": "GET", "status": "200"]) ?? 0) >= 1)
        #expect((value("http_server_requests_total", ["route": "/v1/sync/push", "method": "POST", "status": "200"]) ?? 0) >= 1)
        #expect(samples.filter { $0.name.hasPrefix("roster_") }.allSatisfy { !$0.help.isEmpty }, "every node metric says what it counts")

        // Every line of the log is a JSON object with a time, a level and a message; sync lines name their peer.
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(!text.isEmpty && lines().count == text.split(separator: "\n").count, "\(text.prefix(500))")
        #expect(lines().allSatisfy { line in
            ["time", "level", "logger", "message"].allSatisfy { line[$0]?.string != nil }
                && (try? Timestamp(line["time"]?.string ?? "")) != nil
        })
        #expect(lines().contains { $0["message"]?.string?.hasPrefix("sync with uz-iib/main: pulled") == true && $0["pulled"] != nil })
    }
}
