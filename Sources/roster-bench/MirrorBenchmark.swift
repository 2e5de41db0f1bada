import Foundation
import RosterCore
import RosterStore

/// Mirrors at scale: an import of N entries a tenth of which are mirrors, next to
/// the same import without mirrors (the target: within 10 % of its rate), and the
/// revoke of an original with 10,000 mirrors among N entries (the target: the
/// enforced view, the check index a server keeps, updated in under a second).
///
///     .build/release/roster-bench mirrors 1000000
enum MirrorBenchmark {
    static let decision = ["--category", "drugs", "--authority", "MVD KZ", "--reference", "No. 1", "--decided", "2026-01-01"]

    /// N rows; with `mirrors`, every tenth row is a mirror of the first row of its ten
    /// (so the first original has one mirror before the 10,000 listed later),
    /// which the same import signed just before (a fresh node's adds are seq 1, 2, …).
    static func csv(size: Int, mirrors: Bool, agency: String) -> String {
        var text = mirrors ? "value,mirror_of\n" : "value\n"
        text.reserveCapacity(size * 40)
        for index in 0..<size {
            text += "shop-\(index).example-\(index % 97).kz"
            if mirrors { text += index % 10 == 9 ? ",\(agency):\(index - 9 + 1)\n" : ",\n" } else { text += "\n" }
        }
        return text
    }

    static func run(size: Int, roster binary: URL) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-mirrors-\(size)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // The two imports alternate, twice, so that both meet the machine in the same state.
        var rates: [Bool: [Double]] = [:]
        for round in 0..<2 {
            for mirrors in [false, true] {
                let data = folder.appendingPathComponent("node-\(mirrors)-\(round)").path
                _ = try Child.run(binary.path, ["init", "--agency", "kz-mvd", "--replica", "bench", "--data", data])
                let file = folder.appendingPathComponent("rows-\(mirrors).csv")
                try csv(size: size, mirrors: mirrors, agency: "kz-mvd/bench").write(to: file, atomically: false, encoding: .utf8)
                let imported = try Child.run(binary.path, ["import", file.path, "--format", "csv", "--data", data] + decision)
                guard imported.status == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "import failed"]) }
                rates[mirrors, default: []].append(Double(size) / imported.seconds)
                Benchmark.log("import of \(size) \(mirrors ? "with a tenth mirrors" : "without mirrors"), round \(round + 1): \(Int(Double(size) / imported.seconds)) entries/s")
                if round == 0 || !mirrors { try? FileManager.default.removeItem(atPath: data) }
            }
        }
        let plain = rates[false]?.max() ?? 0, mirrored = rates[true]?.max() ?? 0
        Benchmark.log("import rate with a tenth mirrors: \(Int(mirrored)) entries/s, \(Benchmark.format(100 * mirrored / max(plain, 1))) % of \(Int(plain)) without (best of 2 each)")

        // One original with 10,000 mirrors, in the node that holds the N entries.
        let data = folder.appendingPathComponent("node-true-1").path
        let copies = folder.appendingPathComponent("copies.csv")
        var text = "value,mirror_of\n"
        for index in 0..<10_000 { text += "copy-\(index).example,kz-mvd/bench:1\n" }
        try text.write(to: copies, atomically: false, encoding: .utf8)
        let listed = try Child.run(binary.path, ["import", copies.path, "--format", "csv", "--data", data])
        Benchmark.log("10,000 mirrors of one original listed in \(Benchmark.format(listed.seconds)) s")

        let node = try await Node.open(at: URL(fileURLWithPath: data))
        let live = LiveRoster(store: node.store)
        try await live.load()
        _ = try await node.store.digest()
        let today = CalendarDate(WallClock.system.now())
        let probe = try Resource(kind: .domain, value: "copy-9999.example")
        guard try await live.check(probe, today: today).count == 1 else { throw CocoaError(.featureUnsupported) }
        let start = Date()
        let revoke = try await node.store.revoke(Dot(origin: "kz-mvd/bench", seq: 1), reason: "decision overturned", by: node.replica)
        let written = Date().timeIntervalSince(start)
        try await live.catchUp()
        let caughtUp = Date().timeIntervalSince(start)
        let lifted = try await live.check(probe, today: today, freshness: .seconds(3600)).isEmpty
        _ = try await node.store.digest()
        let digested = Date().timeIntervalSince(start)
        let (_, mirrors, count) = try await node.store.mirrors(of: Dot(origin: "kz-mvd/bench", seq: 1))
        let allLifted = mirrors.allSatisfy { $0.revocation?.dot == revoke.dot } && count >= 10_000
        Benchmark.log("revoke of an original with \(count) mirrors among \(size + 10_000) entries: one operation; written (every mirror's row) in "
            + "\(Benchmark.format(written * 1000)) ms, the check index caught up at \(Benchmark.format(caughtUp * 1000)) ms, "
            + "the state digest at \(Benchmark.format(digested * 1000)) ms; lifted: \(lifted && allLifted)")
        try node.store.close()
    }
}
