import Foundation
import RosterCore
import RosterTestSupport
import Testing

/// Base64 and hex are written by hand for speed; Foundation is the reference.
@Suite("Base64 and hex: one spelling, as Foundation reads and writes it")
struct EncodingTests {
    @Test("Random bytes encode as Foundation encodes them, and decode back", arguments: [1, 2] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64.encode(bytes)
            #expect(text == Data(bytes).base64EncodedString())
            #expect(Base64.decode(text) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
    }

    @Test("Mutated base64 decodes exactly when Foundation reads it and writes it back the same", arguments: [1, 2] as [UInt64])
    func strictness(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_".utf8) + [0, 0xC3, 0xFF]
        var accepted = 0
        for round in 0..<20_000 {
            var text = Array(Base64.encode((0..<(round % 70)).map { _ in UInt8.random(in: 0...255, using: &rng) }).utf8)
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where !text.isEmpty: text[Int.random(in: 0..<text.count, using: &rng)] = alphabet.randomElement(using: &rng)!
                case 1 where !text.isEmpty: text.remove(at: Int.random(in: 0..<text.count, using: &rng))
                default: text.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...text.count, using: &rng))
                }
            }
            let string = String(decoding: text, as: UTF8.self)
            let reference = Data(base64Encoded: string).flatMap { $0.base64EncodedString() == string ? Array($0) : nil }
            #expect(Base64.decode(string) == reference, "\(string)")
            if reference != nil { accepted += 1 }
        }
        #expect(accepted > 2_000, "some mutations stay valid (\(accepted))")
    }
}
