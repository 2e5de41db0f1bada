import RosterCore
import RosterTestSupport
import Testing

/// Random and mutated bytes, from a fixed seed so that a failure replays: every
/// parser of other people's bytes must answer with a `RosterError` or a value,
/// never trap. A trap kills the test process, which is the failure.
@Suite("Fuzzing the parsers of other people's bytes")
struct FuzzTests {
    static let seeds: [UInt64] = [1, 2, 3]

    /// Valid operations to start mutating from.
    static func corpus(seed: UInt64) -> [[UInt8]] {
        var simulation = Simulation(seed: seed)
        simulation.mirrors = true
        simulation.run(steps: 40)
        return simulation.all.map(\.bytes)
    }

    /// Texts that reached a trap or an unbounded cost before; each spliced into
    /// every string and number of an operation.
    static let hostile = [
        "2300-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z", "2026-01-01T+1:-0:+5Z",
        "18446744073709551615", "18446744073709551616", "9223372036854775808", "-1", "1e999", "-0",
        "kz-mvd/a:18446744073709551615", "kz-mvd/a:0", "kz-mvd/a:+1", "", "\u{0}", String(repeating: "a", count: 300),
        "xn--", "xn--zz", "[::ffff:1.2.3.4]", "http://[::1", "1.2.3.4/33", "::/129", "1.2.3.4/-1",
    ]

    static func mutate(_ bytes: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where !bytes.isEmpty:
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        case 1 where !bytes.isEmpty:
            bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
        case 2:
            let interesting: [UInt8] = Array("{}[]\",:\\0123456789-+.eE ntfu".utf8) + [0, 0x7F, 0xC3, 0xFF]
            bytes.insert(interesting.randomElement(using: &rng)!, at: Int.random(in: 0...bytes.count, using: &rng))
        case 3 where !bytes.isEmpty:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
        case 4:
            // A string value replaced by a hostile one.
            let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") }
            guard quotes.count >= 4 else { break }
            let pair = Int.random(in: 0..<quotes.count / 2, using: &rng) * 2
            let (start, end) = (quotes[pair] + 1, quotes[pair + 1])
            bytes.replaceSubrange(start..<end, with: Array(hostile.randomElement(using: &rng)!.utf8))
        case 5:
            // A number replaced by a hostile one.
            let digits = bytes.indices.filter { $0 > 0 && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[$0]) && bytes[$0 - 1] == UInt8(ascii: ":") }
            guard let start = digits.randomElement(using: &rng) else { break }
            var end = start
            while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(hostile.randomElement(using: &rng)!.utf8))
        default:
            for _ in 0..<Int.random(in: 1...8, using: &rng) { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
        }
        return bytes
    }

    @Test("SignedOperation(parsing:) refuses mutated operations with a RosterError, never a trap", arguments: seeds)
    func signedOperations(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let corpus = Self.corpus(seed: seed)
        var refused = 0, parsed = 0
        for round in 0..<4000 {
            var bytes = corpus[round % corpus.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { bytes = Self.mutate(bytes, using: &rng) }
            do {
                let operation = try SignedOperation(parsing: bytes)
                // What parses re-encodes to itself: one spelling only.
                #expect(try SignedOperation(parsing: operation.bytes) == operation)
                parsed += 1
            } catch is RosterError {
                refused += 1
            }
        }
        #expect(refused > 3000, "most mutations break the operation (\(refused) refused, \(parsed) parsed)")
    }

    @Test("A time that does not fit in nanoseconds since 1970 is a time, not a crash")
    func farFuture() throws {
        let late = try Timestamp("2300-01-01T00:00:00Z")
        let latest = try Timestamp("9999-12-31T23:59:59.999999999Z")
        let earliest = try Timestamp("0000-01-01T00:00:00Z")
        #expect(earliest < late && late < latest)
        #expect(CalendarDate(latest).description == "9999-12-31")
    }

    @Test("Random bytes: JSON, CSV, resources and times refuse with a RosterError", arguments: seeds)
    func randomBytes(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("{}[]\",:\\0123456789-+.eE ntfurl/:@?#%[]xn--.onion\r\n\u{0}".utf8) + [0xC3, 0xA9, 0xFF]
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            expectOnlyRosterErrors { _ = try JSONParser.parse(bytes) }
            expectOnlyRosterErrors { _ = try Resource(inferring: text) }
            expectOnlyRosterErrors { _ = try Timestamp(text) }
            expectOnlyRosterErrors { _ = try Dot(text) }
            expectOnlyRosterErrors {
                var reader = CSVReader(bytes)
                while try reader.nextRecord() != nil {}
            }
        }
    }

    @Test("Deeply nested JSON is refused, not a stack overflow")
    func deepNesting() {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        #expect(throws: RosterError.self) { try JSONParser.parse(deep) }
        let objects = Array(String(repeating: "{\"a\":", count: 100_000).utf8)
        #expect(throws: RosterError.self) { try SignedOperation(parsing: objects) }
    }

    func expectOnlyRosterErrors(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
        } catch is RosterError {
        } catch {
            Issue.record("threw \(type(of: error)), not a RosterError: \(error)", sourceLocation: sourceLocation)
        }
    }
}
