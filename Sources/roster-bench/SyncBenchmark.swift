import Foundation
import RosterCore

/// `roster-bench sync N`: two nodes on loopback over mutual TLS. Prints the first
/// sync of N operations, a one-operation delta round, the server's peak memory,
/// and, when Debian's wrk is installed, `GET /v1/check` under load during a sync.
enum SyncBenchmark {
    static func run(size: Int, roster binary: URL) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-sync-bench-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a").path, b = folder.appendingPathComponent("b").path
        let c = folder.appendingPathComponent("c").path
        func roster(_ arguments: [String], _ data: String) throws -> Child.Outcome {
            try Child.run(binary.path, arguments + ["--data", data])
        }
        // As an operator does who checked the agency's root fingerprint out of band.
        func addPeer(_ file: String, _ data: String) throws {
            let json = try JSONParser.parse(Array(try String(contentsOfFile: file, encoding: .utf8).utf8))
            let root = try PublicKey(base64: json["root"]?.string ?? "")
            _ = try roster(["peers", "add", file, "--trust", root.fingerprint], data)
        }
        let basis = ["--category", "drugs", "--authority", "A", "--reference", "R", "--decided", "2026-01-01"]
        let ports = [18_461, 18_462, 18_463]
        var servers: [Process] = []
        defer { servers.forEach { $0.terminate(); $0.waitUntilExit() } }

        Benchmark.log("sync N=\(size): preparing")
        for (data, agency) in [(a, "kz-mvd"), (b, "uz-iib"), (c, "kg-mvd")] {
            _ = try roster(["init", "--agency", agency], data)
        }
        for (index, data) in [a, b, c].enumerated() {
            let descriptor = try Process.output(binary, ["peers", "descriptor", "--endpoint", "https://127.0.0.1:\(ports[index])", "--data", data])
            try descriptor.write(toFile: folder.appendingPathComponent("peer-\(index).json").path, atomically: true, encoding: .utf8)
        }
        try addPeer(folder.appendingPathComponent("peer-1.json").path, a)
        try addPeer(folder.appendingPathComponent("peer-0.json").path, b)
        try addPeer(folder.appendingPathComponent("peer-0.json").path, c)
        try addPeer(folder.appendingPathComponent("peer-2.json").path, a)
        var csv = "value\n"
        for index in 0..<size { csv += "shop-\(index).example-\(index % 97).kz\n" }
        let csvPath = folder.appendingPathComponent("d.csv").path
        try csv.write(toFile: csvPath, atomically: false, encoding: .utf8)
        _ = try roster(["import", csvPath, "--format", "csv"] + basis, a)

        func serve(_ data: String, port: Int, interval: Int) throws -> Process {
            let server = Process()
            server.executableURL = binary
            server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--interval", String(interval), "--data", data]
            server.standardError = FileHandle.nullDevice
            try server.run()
            servers.append(server)
            return server
        }
        let server = try serve(a, port: ports[0], interval: 0)
        let started = Date()
        while Date().timeIntervalSince(started) < 60 && !answers(port: ports[0]) { Thread.sleep(forTimeInterval: 0.2) }
        Benchmark.log("sync N=\(size): server answering after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

        Benchmark.log("sync N=\(size): first sync")
        let first = try roster(["sync"], b)
        print("first sync of \(size) operations: \(String(format: "%.1f", first.seconds)) s, \(Int(Double(size) / first.seconds)) operations/s, receiver peak \(first.peakBytes >> 20) MB, exit \(first.status)")

        // A delta round: one operation missing. Its own duration (from roster sync --json),
        // the whole command's, and every byte on the loopback interface (TCP, TLS, HTTP).
        var rounds: [Double] = [], commands: [Double] = [], wire: [Int] = [], bodies: [Int] = []
        for round in 0..<9 {
            _ = try roster(["add", "domain", "delta-\(round).example"] + basis, a)
            let before = loopbackBytes()
            let outcome = try Child.run(binary.path, ["sync", "--json", "--data", b], capture: true)
            wire.append(loopbackBytes() - before)
            commands.append(outcome.seconds)
            let report = outcome.stdout
            let number = { (key: String) in
                report.range(of: "\"\(key)\":[0-9]+", options: .regularExpression).flatMap { Int(report[$0].split(separator: ":")[1]) } ?? -1
            }
            rounds.append(Double(number("milliseconds")))
            bodies.append(number("bytes_sent") + number("bytes_received"))
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        print("delta round (1 operation missing), median of 9: \(Int(median(rounds))) ms for the round, "
            + "\(Int(median(commands) * 1000)) ms for the roster sync command; "
            + "\(Int(median(wire.map(Double.init)))) bytes on loopback (TCP+TLS), \(Int(median(bodies.map(Double.init)))) bytes of HTTP bodies")

        // The same round in `roster serve`, over the connection kept from the round
        // before: b syncs with a every second, and the bytes on loopback are counted
        // from an add on a until b holds it (an idle round may fall in the window too).
        _ = try serve(b, port: ports[1], interval: 1)
        Thread.sleep(forTimeInterval: 3)
        func operations(_ data: String) throws -> Int {
            let status = try Child.run(binary.path, ["status", "--json", "--data", data], capture: true).stdout
            return status.range(of: "\"operations\":[0-9]+", options: .regularExpression)
                .flatMap { Int(status[$0].split(separator: ":")[1]) } ?? -1
        }
        var kept: [Int] = []
        for round in 0..<9 {
            let held = try operations(b)
            let before = loopbackBytes()
            _ = try roster(["add", "domain", "kept-\(round).example"] + basis, a)
            let deadline = Date().addingTimeInterval(10)
            while try operations(b) == held && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            kept.append(loopbackBytes() - before)
        }
        print("delta round (1 operation missing) in roster serve over the kept connection, median of 9: "
            + "\(Int(median(kept.map(Double.init)))) bytes on loopback")

        if let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) {
            let listed = "cdn.shop-10.example-10.kz", unlisted = "www.not-listed.example"
            var fresh = ["tj-mvd", "am-mvd"].makeIterator()
            func load(_ resource: String, during sync: Bool) throws {
                Benchmark.log("sync N=\(size): check \(resource) under load\(sync ? " while c syncs" : "")")
                let syncing = Process()
                if sync {
                    // A fresh node each time, so that c syncs the whole roster while wrk runs.
                    try? FileManager.default.removeItem(atPath: c)
                    _ = try roster(["init", "--agency", fresh.next()!], c)
                    try addPeer(folder.appendingPathComponent("peer-0.json").path, c)
                    let descriptor = try Process.output(binary, ["peers", "descriptor", "--data", c])
                    try descriptor.write(toFile: folder.appendingPathComponent("peer-2.json").path, atomically: true, encoding: .utf8)
                    try addPeer(folder.appendingPathComponent("peer-2.json").path, a)
                    syncing.executableURL = binary
                    syncing.arguments = ["sync", "--data", c]
                    syncing.standardOutput = FileHandle.nullDevice
                    try syncing.run()
                }
                let output = try Process.output(URL(fileURLWithPath: wrk), [
                    "-t2", "-c4", "-d10s", "--latency", "https://127.0.0.1:\(ports[0])/v1/check?resource=\(resource)",
                ])
                if sync {
                    // Cut the sync if it is still running: it resumes safely, and the figures are taken.
                    syncing.terminate()
                    syncing.waitUntilExit()
                }
                let figures = output.split(separator: "\n")
                    .filter { $0.contains("Requests/sec") || $0.contains(" 99%") || $0.contains("Non-2xx") }
                    .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
                print("check \(resource == listed ? "listed" : "unlisted") resource\(sync ? " during a sync" : ", idle"): \(figures.joined(separator: ", "))")
            }
            try load(unlisted, during: false)
            try load(listed, during: false)
            try load(unlisted, during: true)
            try load(listed, during: true)

            // A hostile peer pushing as fast as it can: two curl loops post pages of
            // 5,000 operations over and over, each of which the server parses and
            // verifies before it finds them known.
            let d = folder.appendingPathComponent("d").path
            _ = try roster(["init", "--agency", "xx-flood"], d)
            var flood = "value\n"
            for index in 0..<5000 { flood += "flood-\(index).example\n" }
            try flood.write(toFile: folder.appendingPathComponent("flood.csv").path, atomically: false, encoding: .utf8)
            _ = try roster(["import", folder.appendingPathComponent("flood.csv").path, "--format", "csv"] + basis, d)
            _ = try roster(["export", "--format", "ops", "-o", folder.appendingPathComponent("flood.ops").path], d)
            let descriptor = try Process.output(binary, ["peers", "descriptor", "--data", d])
            try descriptor.write(toFile: folder.appendingPathComponent("peer-3.json").path, atomically: true, encoding: .utf8)
            try addPeer(folder.appendingPathComponent("peer-3.json").path, a)
            let pushers = (0..<2).map { _ in (Process(), Pipe()) }
            for (pusher, pipe) in pushers {
                pusher.executableURL = URL(fileURLWithPath: "/bin/sh")
                pusher.arguments = ["-c", """
                    end=$(($(date +%s) + 12)); n=0
                    while [ $(date +%s) -lt $end ]; do
                      curl -sk -o /dev/null --cert \(d)/tls.crt --key \(d)/tls.key -H 'Content-Type: application/x-ndjson' \\
                        --data-binary @\(folder.appendingPathComponent("flood.ops").path) https://127.0.0.1:\(ports[0])/v1/sync/push; n=$((n+1))
                    done; echo $n
                    """]
                pusher.standardOutput = pipe
                try pusher.run()
            }
            Thread.sleep(forTimeInterval: 1)
            Benchmark.log("sync N=\(size): check under a push flood")
            let output = try Process.output(URL(fileURLWithPath: wrk), [
                "-t2", "-c4", "-d10s", "--latency", "https://127.0.0.1:\(ports[0])/v1/check?resource=\(listed)",
            ])
            let pushes = pushers.map { pusher, pipe in
                let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                pusher.waitUntilExit()
                return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }.reduce(0, +)
            let figures = output.split(separator: "\n")
                .filter { $0.contains("Requests/sec") || $0.contains(" 99%") || $0.contains("Non-2xx") }
                .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            print("check listed resource while a peer pushes pages of 5,000 operations as fast as it can "
                + "(\(pushes) pushes in 12 s): \(figures.joined(separator: ", "))")
        }
        let serverPeak = (try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("VmHWM") }.map(String.init) ?? "VmHWM unknown"
        print("serving node peak memory: \(serverPeak.replacingOccurrences(of: "\t", with: " "))")
    }
}

/// Whether a node's HTTPS API answers `check` on `port`.
func answers(port: Int) -> Bool {
    let curl = Process()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    curl.arguments = ["curl", "-skf", "-o", "/dev/null", "https://127.0.0.1:\(port)/v1/check?resource=a.example"]
    curl.standardError = FileHandle.nullDevice
    guard (try? curl.run()) != nil else { return false }
    curl.waitUntilExit()
    return curl.terminationStatus == 0
}

/// Bytes sent on the loopback interface so far: a sync round's whole cost on the wire.
func loopbackBytes() -> Int {
    (try? String(contentsOfFile: "/sys/class/net/lo/statistics/tx_bytes", encoding: .utf8))
        .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
}

extension Process {
    static func output(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
