import Foundation

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
        _ = try roster(["peers", "add", folder.appendingPathComponent("peer-1.json").path], a)
        _ = try roster(["peers", "add", folder.appendingPathComponent("peer-0.json").path], b)
        _ = try roster(["peers", "add", folder.appendingPathComponent("peer-0.json").path], c)
        _ = try roster(["peers", "add", folder.appendingPathComponent("peer-2.json").path], a)
        var csv = "value\n"
        for index in 0..<size { csv += "shop-\(index).example-\(index % 97).kz\n" }
        let csvPath = folder.appendingPathComponent("d.csv").path
        try csv.write(toFile: csvPath, atomically: false, encoding: .utf8)
        _ = try roster(["import", csvPath, "--format", "csv"] + basis, a)

        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--listen", "127.0.0.1:\(ports[0])", "--interval", "0", "--data", a]
        server.standardError = FileHandle.nullDevice
        try server.run()
        servers.append(server)
        Thread.sleep(forTimeInterval: 1.5)

        Benchmark.log("sync N=\(size): first sync")
        let first = try roster(["sync"], b)
        print("first sync of \(size) operations: \(String(format: "%.1f", first.seconds)) s, \(Int(Double(size) / first.seconds)) operations/s, receiver peak \(first.peakBytes >> 20) MB, exit \(first.status)")

        var rounds: [Double] = []
        for round in 0..<7 {
            _ = try roster(["add", "domain", "delta-\(round).example"] + basis, a)
            rounds.append(try roster(["sync"], b).seconds)
        }
        let idle = try roster(["status"], b).seconds
        print("delta round (1 operation), median of 7: \(String(format: "%.1f", rounds.sorted()[3] * 1000)) ms including process start-up (\(String(format: "%.1f", idle * 1000)) ms for roster status)")

        if let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) {
            Benchmark.log("sync N=\(size): check under load while c syncs")
            let syncing = Process()
            syncing.executableURL = binary
            syncing.arguments = ["sync", "--data", c]
            syncing.standardOutput = FileHandle.nullDevice
            try syncing.run()
            let load = try Process.output(URL(fileURLWithPath: wrk), [
                "-t2", "-c4", "-d10s", "--latency", "https://127.0.0.1:\(ports[0])/v1/check?resource=cdn.shop-10.example-10.kz",
            ])
            syncing.waitUntilExit()
            for line in load.split(separator: "\n") where line.contains("Requests/sec") || line.contains(" 99%") || line.contains("Non-2xx") {
                print("check under load during a sync: \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        let serverPeak = (try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("VmHWM") }.map(String.init) ?? "VmHWM unknown"
        print("serving node peak memory: \(serverPeak.replacingOccurrences(of: "\t", with: " "))")
    }
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
