import Foundation
import RosterCore

/// The cost of reading operations, apart from verifying them: every line of an
/// `ops` export read on one core, by the typed decoder (what every hot path uses)
/// and by the JSON tree, which it replaces. CPU time, so that another process on
/// the machine moves the figure less than it moves a wall clock.
///
///     roster export --format ops -o ops.ndjson && .build/release/roster-bench decode ops.ndjson
enum DecodeBenchmark {
    static func run(file: String) throws {
        let lines = try Data(contentsOf: URL(fileURLWithPath: file)).split(separator: 0x0A).map(Array.init)
        func time(_ name: String, _ read: ([UInt8]) throws -> Void) rethrows {
            var best = Double.infinity
            for _ in 0..<3 {
                let started = clock()
                for line in lines { try read(line) }
                best = min(best, Double(clock() - started) / Double(CLOCKS_PER_SEC))
            }
            print("\(name): \(String(format: "%.2f", best * 1e6 / Double(lines.count))) µs per operation (\(lines.count), best of 3)")
        }
        try time("typed decoder") { _ = try SignedOperation(parsing: $0) }
        try time("JSON tree") { _ = try Operation(json: JSONParser.parse($0)) }
    }
}
