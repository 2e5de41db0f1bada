import Foundation
import RosterCore
import RosterNetwork

/// `roster audit --remote` of a served node of N operations over loopback: its rate
/// and peak memory (each size given, to show memory does not grow with the log), and
/// the proofs and tiles the node serves over HTTPS, timed in this process over one
/// kept connection.
///
///     .build/release/roster-bench remote-audit 250000 1000000
enum RemoteAuditBenchmark {
    static func run(size: Int, roster binary: URL) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-remote-\(size)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("node").path
        func roster(_ arguments: [String]) throws -> Child.Outcome { try Child.run(binary.path, arguments) }
        let port = 18_471

        Benchmark.log("remote audit N=\(size): preparing")
        _ = try roster(["init", "--agency", "kz-mvd", "--data", data])
        var csv = "value\n"
        for index in 0..<(size - 2) { csv += "shop-\(index).example-\(index % 97).kz\n" }
        let csvPath = folder.appendingPathComponent("d.csv").path
        try csv.write(toFile: csvPath, atomically: false, encoding: .utf8)
        csv = ""
        _ = try roster(["import", csvPath, "--format", "csv", "--category", "drugs", "--authority", "A", "--reference", "R",
                        "--decided", "2026-01-01", "--data", data])
        let descriptor = folder.appendingPathComponent("kz.json").path
        try Process.output(binary, ["peers", "descriptor", "--endpoint", "https://127.0.0.1:\(port)", "--data", data])
            .write(toFile: descriptor, atomically: true, encoding: .utf8)
        let json = try JSONParser.parse(Array(try String(contentsOfFile: descriptor, encoding: .utf8).utf8))
        let root = try PublicKey(base64: json["root"]?.string ?? "").fingerprint
        let pin = json["tls_spki_sha256"]?.string

        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--interval", "0", "--data", data]
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let started = Date()
        while Date().timeIntervalSince(started) < 60 && !answers(port: port) { try await Task.sleep(for: .milliseconds(200)) }

        Benchmark.log("remote audit N=\(size): audit")
        let state = folder.appendingPathComponent("state.json").path
        let audited = try roster(["audit", "--remote", "https://127.0.0.1:\(port)", "--peer", descriptor, "--state", state, "--trust", root])
        print("roster audit --remote of \(size) operations: \(String(format: "%.1f", audited.seconds)) s, "
            + "\(Int(Double(size) / audited.seconds)) operations/s, peak \(audited.peakBytes >> 20) MB, exit \(audited.status)")

        // Over HTTPS, one kept connection, as a thin client or a cache asks.
        let client = PeerClient(log: LogURL("https://127.0.0.1:\(port)")!, pin: pin, maximumBody: 32 << 20)
        func median(_ label: String, _ path: (Int) -> String) async throws {
            var times: [Double] = []
            for run in 0..<201 {
                let started = ContinuousClock.now
                let response = try await client.request(.GET, path(run))
                let elapsed = ContinuousClock.now - started
                guard response.status == 200 else { throw RosterError(.badInput, "\(path(run)) answered \(response.status)") }
                times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            times.sort()
            print("\(label) over HTTPS at \(size): p50 \(String(format: "%.2f", times[100])) ms, p99 \(String(format: "%.2f", times[198])) ms")
        }
        let logSize = Int64(size)
        try await median("inclusion proof") { "/v1/log/proof/inclusion?index=\(Int64($0) * 7919 % logSize)&size=\(logSize)" }
        try await median("consistency proof") { "/v1/log/proof/consistency?first=\(Int64($0) * 7919 % logSize + 1)&second=\(logSize)" }
        try await median("full hash tile") { "/log/" + LogTile(level: 0, index: Int64($0) * 7919 % (logSize / 256)).path }
        try await median("full entry tile") { "/log/" + LogTile(level: nil, index: Int64($0) * 7919 % (logSize / 256)).path }
        client.close()
    }
}
