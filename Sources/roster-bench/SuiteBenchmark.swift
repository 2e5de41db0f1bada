import Dispatch
import Foundation
import NationalSuites
import RosterCore
import Synchronization

/// Signatures a second of each suite on two threads (this machine's two cores),
/// next to `openssl speed -multi 2` for the same algorithm in the same run (the
/// target: within 15 %): over a message of an operation's size, and over 32 bytes,
/// as `openssl speed` signs (a digest's length, so that hashing is not counted).
///
///     .build/release/roster-bench suites
enum SuiteBenchmark {
    static func run(seconds: Double = 3) throws {
        let reference = try openSSLSpeed(seconds: Int(seconds))
        for size in [600, 32] {
            print("\nmessages of \(size) bytes")
            try table(message: Array(repeating: UInt8(ascii: "a"), count: size), reference: reference, seconds: seconds)
        }
    }

    static func table(message: [UInt8], reference: [String: (Double, Double)], seconds: Double) throws {
        var rows: [(String, Double, Double, (Double, Double)?)] = []
        var generator = SystemRandomNumberGenerator()
        let ed25519 = ReplicaKey(using: &generator)
        let edSignature = try ed25519.sign(message)
        rows.append(("ed25519 (swift-crypto)", rate(seconds) { _ = try? ed25519.sign(message) },
                     rate(seconds) { _ = try? ed25519.publicKey.isValidSignature(edSignature, for: message) }, reference["ed25519"]))
        for suite in [Suite.ecdsaP256, .rsaPSS, .gost256, .gost512] {
            let key = try SuiteKey.generate(suite)
            let signature = try key.sign(message)
            guard key.publicKey.isValidSignature(signature, for: message) else { throw RosterError(.badSignature, "\(suite) does not verify") }
            rows.append((suite.rawValue, rate(seconds) { _ = try? key.sign(message) },
                         rate(seconds) { _ = key.publicKey.isValidSignature(signature, for: message) }, reference[suite.rawValue]))
        }
        print("suite".padding(toLength: 26, withPad: " ", startingAt: 0) + "sign/s".leftPadded(12) + "verify/s".leftPadded(12)
            + "openssl sign/s".leftPadded(16) + "openssl verify/s".leftPadded(18) + "sign %".leftPadded(9) + "verify %".leftPadded(10))
        for (name, sign, verify, openssl) in rows {
            var line = name.padding(toLength: 26, withPad: " ", startingAt: 0) + Benchmark.format(sign).leftPadded(12) + Benchmark.format(verify).leftPadded(12)
            if let (referenceSign, referenceVerify) = openssl {
                line += Benchmark.format(referenceSign).leftPadded(16) + Benchmark.format(referenceVerify).leftPadded(18)
                line += Benchmark.format(100 * sign / referenceSign).leftPadded(9) + Benchmark.format(100 * verify / referenceVerify).leftPadded(10)
            } else {
                line += "(openssl speed has no such test)".leftPadded(34)
            }
            print(line)
        }
    }

    /// Operations a second of `work` on two threads for `seconds`.
    static func rate(_ seconds: Double, _ work: @escaping @Sendable () -> Void) -> Double {
        let counts = Mutex([0, 0])
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            var count = 0
            while Date().timeIntervalSince(start) < seconds {
                for _ in 0..<16 { work() }
                count += 16
            }
            counts.withLock { $0[thread] = count }
        }
        return Double(counts.withLock { $0[0] + $0[1] }) / Date().timeIntervalSince(start)
    }

    /// `openssl speed -multi 2`'s sign/s and verify/s, by suite name.
    static func openSSLSpeed(seconds: Int) throws -> [String: (Double, Double)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "speed", "-multi", "2", "-seconds", String(seconds), "ecdsap256", "rsa3072", "ed25519"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var rates: [String: (Double, Double)] = [:]
        for line in text.split(separator: "\n") {
            let numbers = line.split(separator: " ").compactMap { Double($0) }
            guard numbers.count >= 2 else { continue }
            let pair = (numbers[numbers.count - 2], numbers[numbers.count - 1])
            if line.contains("rsa 3072 bits") || line.hasPrefix("rsa 3072") { rates[Suite.rsaPSS.rawValue] = pair }
            if line.contains("ecdsa (nistp256)") { rates[Suite.ecdsaP256.rawValue] = pair }
            if line.contains("EdDSA (Ed25519)") { rates["ed25519"] = pair }
        }
        return rates
    }
}
