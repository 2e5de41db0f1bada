import Foundation
import Synchronization
import RosterCore
import RosterStore

/// Prints the figures the performance targets are stated in, for each roster size
/// given (default 100,000 and 1,000,000): the real `roster` binary is timed as a
/// child process, so its peak memory is its own.
///
///     swift build -c release && .build/release/roster-bench 100000 1000000
///     .build/release/roster-bench sync 100000      (federation figures)
///     .build/release/roster-bench remote-audit 1000000 (an auditor's audit over HTTPS; proofs and tiles served)
///     .build/release/roster-bench feed 1000000    (the RPZ feed a resolver fetches: first byte, 304, memory)
///     .build/release/roster-bench wallets 1000000 (payment addresses: check in process, reading each chain's)
///     .build/release/roster-bench mirrors 1000000 (import with a tenth mirrors; revoke of an original with 10,000)
///     .build/release/roster-bench suites          (sign and verify a second per suite, beside openssl speed)
///     .build/release/roster-bench pending 100000   (a flood of operations that wait)
///     .build/release/roster-bench decode ops.ndjson (reading operations, without verifying)
@main
struct Benchmark {
    static func main() async throws {
        let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let roster = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("roster")
        guard FileManager.default.isExecutableFile(atPath: roster.path) else {
            FileHandle.standardError.write(Data("roster-bench: build the roster binary first (swift build -c release)\n".utf8))
            exit(2)
        }
        if CommandLine.arguments.dropFirst().first == "decode", let file = CommandLine.arguments.dropFirst(2).first {
            try DecodeBenchmark.run(file: file)
            return
        }
        if CommandLine.arguments.dropFirst().first == "pending" {
            try await PendingBenchmark.run(count: sizes.first ?? 100_000)
            return
        }
        if CommandLine.arguments.dropFirst().first == "remote-audit" {
            for size in sizes.isEmpty ? [100_000] : sizes { try await RemoteAuditBenchmark.run(size: size, roster: roster) }
            return
        }
        if CommandLine.arguments.dropFirst().first == "suites" {
            try SuiteBenchmark.run()
            return
        }
        if CommandLine.arguments.dropFirst().first == "suite-sync" {
            for size in sizes.isEmpty ? [100_000] : sizes { try SuiteSyncBenchmark.run(size: size, roster: roster) }
            return
        }
        if CommandLine.arguments.dropFirst().first == "mirrors" {
            for size in sizes.isEmpty ? [1_000_000] : sizes { try await MirrorBenchmark.run(size: size, roster: roster) }
            return
        }
        if CommandLine.arguments.dropFirst().first == "wallets" {
            for size in sizes.isEmpty ? [1_000_000] : sizes { try WalletBenchmark.run(size: size) }
            return
        }
        if CommandLine.arguments.dropFirst().first == "feed" {
            for size in sizes.isEmpty ? [100_000] : sizes { try FeedBenchmark.run(size: size, roster: roster) }
            return
        }
        if CommandLine.arguments.dropFirst().first == "sync" {
            for size in sizes.isEmpty ? [100_000] : sizes { try SyncBenchmark.run(size: size, roster: roster) }
            return
        }
        var results: [[String: String]] = []
        for size in sizes.isEmpty ? [100_000, 1_000_000] : sizes {
            results.append(try await run(size: size, roster: roster))
        }
        let rows = [
            "import (entries/s)", "import peak memory (MB)", "check in process (lookups/s)", "roster check command (ms)",
            "export ops (s)", "export json (s)", "export csv (s)", "export hosts (s)", "export rpz (s)", "audit (ops/s)",
            "audit peak memory (MB)", "log inclusion proof p50 (ms)", "log consistency proof p50 (ms)", "log full tile p50 (ms)",
            "database (bytes/entry)",
        ]
        print("")
        print("figure".padding(toLength: 32, withPad: " ", startingAt: 0)
            + results.map { ($0["size"] ?? "").leftPadded(14) }.joined())
        for row in rows {
            print(row.padding(toLength: 32, withPad: " ", startingAt: 0) + results.map { ($0[row] ?? "-").leftPadded(14) }.joined())
        }
    }

    static func run(size: Int, roster binary: URL) async throws -> [String: String] {
        var result = ["size": "N=\(size)"]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-\(size)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("node").path
        func roster(_ arguments: [String]) throws -> Child.Outcome {
            try Child.run(binary.path, arguments + ["--data", data])
        }
        log("N=\(size): preparing CSV")
        _ = try roster(["init", "--agency", "kz-mvd", "--replica", "bench"])
        let csv = folder.appendingPathComponent("domains.csv")
        var text = "value,scope\n"
        text.reserveCapacity(size * 32)
        for index in 0..<size {
            text += "shop-\(index).example-\(index % 97).kz,\(index % 10 == 0 ? "subdomains" : "exact")\n"
        }
        try text.write(to: csv, atomically: false, encoding: .utf8)
        text = ""

        log("N=\(size): import")
        let imported = try roster(["import", csv.path, "--format", "csv", "--category", "drugs", "--authority", "MVD KZ",
                                   "--reference", "No. 1", "--decided", "2026-01-01"])
        result["import (entries/s)"] = format(Double(size) / imported.seconds)
        result["import peak memory (MB)"] = format(Double(imported.peakBytes) / 1_048_576)

        log("N=\(size): check in process")
        let node = try await Node.open(at: URL(fileURLWithPath: data))
        let built = IndexBuilder()
        try await node.store.entries { entry in built.index.withLock { $0.insert(entry.resource, id: entry.id) } }
        let index = built.index.withLock { $0 }
        let probes = try (0..<1000).map { number -> Resource in
            switch number % 4 {
            case 0: return try Resource(kind: .domain, value: "shop-\(number * 997 % size).example-\(number * 997 % size % 97).kz")
            case 1: return try Resource(kind: .domain, value: "cdn.shop-\(number * 10 % size).example-\(number * 10 % size % 97).kz")
            case 2: return try Resource(kind: .domain, value: "www.not-listed-\(number).example")
            default: return try Resource(kind: .ip, value: "10.\(number % 256).1.\(number % 200)")
            }
        }
        let lookups = 2_000_000
        var hits = 0
        let start = Date()
        for round in 0..<lookups { hits &+= index.check(probes[round % probes.count]).count }
        result["check in process (lookups/s)"] = format(Double(lookups) / Date().timeIntervalSince(start))
        log("  \(hits) matches")

        log("N=\(size): roster check command")
        var times: [Double] = []
        for number in 0..<9 {
            times.append(try roster(["check", "cdn.shop-\(number * 10).example-\(number * 10 % 97).kz"]).seconds)
        }
        result["roster check command (ms)"] = format(times.sorted()[times.count / 2] * 1000)

        for exportFormat in ["ops", "json", "csv", "hosts", "rpz"] {
            log("N=\(size): export \(exportFormat)")
            let exported = try roster(["export", "--format", exportFormat, "-o", folder.appendingPathComponent("out.\(exportFormat)").path])
            result["export \(exportFormat) (s)"] = format(exported.seconds)
        }

        log("N=\(size): audit")
        let audited = try roster(["audit"])
        result["audit (ops/s)"] = format(Double(size) / audited.seconds)
        result["audit peak memory (MB)"] = format(Double(audited.peakBytes) / 1_048_576)
        if audited.status != 0 { log("  audit exit \(audited.status)") }

        log("N=\(size): log proofs and tiles, in process")
        let logSize = try await node.store.logHead().size
        func median(_ runs: Int, _ work: (Int64) async throws -> Void) async throws -> String {
            var times: [Double] = []
            for run in 0..<runs {
                let pick = Int64(run) * 7919 % logSize
                let started = ContinuousClock.now
                try await work(pick)
                let elapsed = ContinuousClock.now - started
                times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            return format(times.sorted()[runs / 2])
        }
        result["log inclusion proof p50 (ms)"] = try await median(101) { _ = try await node.store.inclusionProof(index: $0, size: logSize) }
        result["log consistency proof p50 (ms)"] = try await median(101) { _ = try await node.store.consistencyProof(first: $0 + 1, second: logSize) }
        result["log full tile p50 (ms)"] = try await median(101) { pick in
            _ = try await node.store.tile(LogTile(level: 0, index: pick / Int64(LogTile.width) / 2))
        }

        try node.store.close()
        let files = ["roster.sqlite", "roster.sqlite-wal"].map { URL(fileURLWithPath: data).appendingPathComponent($0).path }
        let bytes = files.compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }.reduce(0, +)
        result["database (bytes/entry)"] = format(Double(bytes) / Double(size))
        return result
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// The index an in-process check runs on, filled from the store's reader thread.
final class IndexBuilder: Sendable {
    let index = Mutex(RosterIndex())
}
