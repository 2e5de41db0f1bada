import Foundation
import RosterCore

/// Payment addresses checked as an exchange would check them: an index of N listed
/// Ethereum addresses, probed in process with listed and unlisted ones (the
/// target: a million lookups a second, like domains), and how fast addresses of each
/// chain are read and normalised (checksums included).
///
///     .build/release/roster-bench wallets 1000000
enum WalletBenchmark {
    static func address(_ number: Int) -> String {
        "eth:0x" + String(repeating: "0", count: 40 - String(number, radix: 16).count) + String(number, radix: 16)
    }

    static func run(size: Int) throws {
        var index = RosterIndex()
        for number in 0..<size {
            index.insert(Resource(verified: .wallet, value: address(number), scope: nil), id: Dot(origin: "kz-mvd/main", seq: UInt64(number + 1)))
        }
        // Half the probes are listed, half are not.
        let probes = (0..<1000).map { Resource(verified: .wallet, value: address($0 * 1997 % (2 * size)), scope: nil) }
        let lookups = 2_000_000
        var hits = 0
        var start = Date()
        for round in 0..<lookups { hits &+= index.check(probes[round % probes.count]).count }
        let rate = Double(lookups) / Date().timeIntervalSince(start)
        Benchmark.log("wallet check in process at \(size): \(Int(rate)) lookups/s (\(hits) matches)")

        let samples = [
            "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "xmr:4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge",
        ]
        for sample in samples {
            let rounds = 20_000
            start = Date()
            for _ in 0..<rounds { _ = try Resource(kind: .wallet, value: sample) }
            Benchmark.log("read and normalise \(sample.prefix(3)) (\(sample.count - 4) characters): \(Int(Double(rounds) / Date().timeIntervalSince(start))) addresses/s")
        }
    }
}
