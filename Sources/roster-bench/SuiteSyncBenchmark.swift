import Foundation
import RosterCore

/// `roster-bench suite-sync N`: for a replica of each of Ed25519 and ECDSA P-256, an
/// import of N entries (each operation signed) and a first sync of them to a second
/// node over mutual TLS (each verified), next to `openssl speed -multi 2 ecdsap256`
/// measured in the same run. The target: import and first sync by the P-256 replica
/// each at least 0.8 × OpenSSL's P-256 sign and verify rate.
enum SuiteSyncBenchmark {
    static func run(size: Int, roster binary: URL) throws {
        let reference = try SuiteBenchmark.openSSLSpeed(seconds: 3)
        print("suite".padding(toLength: 20, withPad: " ", startingAt: 0) + "import/s".leftPadded(12) + "first sync/s".leftPadded(14)
            + "openssl sign/s".leftPadded(16) + "openssl verify/s".leftPadded(18) + "import ×".leftPadded(10) + "sync ×".leftPadded(9))
        for (index, suite) in [Suite.ed25519, .ecdsaP256].enumerated() {
            let (imported, synced) = try measure(suite, size: size, port: 18_471 + index, roster: binary)
            var line = suite.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + Benchmark.format(imported).leftPadded(12)
                + Benchmark.format(synced).leftPadded(14)
            if let (sign, verify) = reference[suite.rawValue] {
                line += Benchmark.format(sign).leftPadded(16) + Benchmark.format(verify).leftPadded(18)
                line += String(format: "%.2f", imported / sign).leftPadded(10) + String(format: "%.2f", synced / verify).leftPadded(9)
            }
            print(line)
        }
    }

    /// Entries a second imported by a replica of `suite`, and operations a second of
    /// another node's first sync of them.
    static func measure(_ suite: Suite, size: Int, port: Int, roster binary: URL) throws -> (Double, Double) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-suite-sync-\(getpid())-\(suite.rawValue)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a").path, b = folder.appendingPathComponent("b").path
        func roster(_ arguments: [String], _ data: String) throws -> Child.Outcome {
            let outcome = try Child.run(binary.path, arguments + ["--data", data])
            guard outcome.status == 0 else { throw RosterError(.badInput, "roster \(arguments.joined(separator: " ")) failed (exit \(outcome.status))") }
            return outcome
        }
        func addPeer(_ file: String, _ data: String) throws {
            let json = try JSONParser.parse(Array(try String(contentsOfFile: file, encoding: .utf8).utf8))
            _ = try roster(["peers", "add", file, "--trust", try PublicKey(base64: json["root"]?.string ?? "").fingerprint], data)
        }
        Benchmark.log("suite-sync \(suite.rawValue) N=\(size): preparing")
        _ = try roster(["init", "--agency", "kz-mvd", "--alg", suite.rawValue], a)
        _ = try roster(["init", "--agency", "uz-iib"], b)
        for (index, data) in [a, b].enumerated() {
            let descriptor = try Process.output(binary, ["peers", "descriptor", "--endpoint", "https://127.0.0.1:\(port + 10 * index)", "--data", data])
            try descriptor.write(toFile: folder.appendingPathComponent("peer-\(index).json").path, atomically: true, encoding: .utf8)
        }
        try addPeer(folder.appendingPathComponent("peer-1.json").path, a)
        try addPeer(folder.appendingPathComponent("peer-0.json").path, b)
        var csv = "value\n"
        for index in 0..<size { csv += "shop-\(index).example-\(index % 97).kz\n" }
        let csvPath = folder.appendingPathComponent("d.csv").path
        try csv.write(toFile: csvPath, atomically: false, encoding: .utf8)
        Benchmark.log("suite-sync \(suite.rawValue) N=\(size): import")
        let imported = try roster(["import", csvPath, "--format", "csv", "--category", "drugs", "--authority", "A", "--reference", "R",
                                   "--decided", "2026-01-01"], a)
        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--interval", "0", "--data", a]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let started = Date()
        while Date().timeIntervalSince(started) < 60 && !answers(port: port) { Thread.sleep(forTimeInterval: 0.2) }
        Benchmark.log("suite-sync \(suite.rawValue) N=\(size): first sync")
        let synced = try roster(["sync"], b)
        return (Double(size) / imported.seconds, Double(size) / synced.seconds)
    }
}
