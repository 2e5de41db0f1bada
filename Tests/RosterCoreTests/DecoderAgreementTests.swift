@testable import RosterCore
import RosterTestSupport
import Testing

/// The typed decoder (`OperationDecoder`, no JSON tree) and the tree reader
/// (`SignedOperation(parsingTree:)`, today's rules) must accept and refuse the
/// same bytes and read the same values: random and mutated operations, from a
/// fixed seed so that a failure replays.
@Suite("The typed decoder and the tree reader agree")
struct DecoderAgreementTests {
    static let rounds = 6000

    /// Valid operations of every type a replica makes, and key events.
    static func corpus(seed: UInt64) throws -> [[UInt8]] {
        var simulation = Simulation(seed: seed)
        simulation.mirrors = true
        simulation.run(steps: 60)
        var corpus = simulation.all.map(\.bytes)
        var keyEvents = KeyEventSimulation(seed: seed)
        keyEvents.run(steps: 20)
        corpus += keyEvents.all.map(\.bytes)
        return corpus
    }

    @Test("Every valid canonical operation takes the typed path, and reads as the tree reads it", arguments: FuzzTests.seeds)
    func canonical(seed: UInt64) throws {
        var typed = 0
        for bytes in try Self.corpus(seed: seed) {
            let tree = try SignedOperation(parsingTree: bytes)
            guard !tree.operation.isKeyEvent else {
                #expect(OperationDecoder.decode(bytes) == nil, "key events are the tree's to read")
                continue
            }
            let decoded = try #require(OperationDecoder.decode(bytes), "a canonical operation fell back to the tree")
            expectSame(decoded, tree)
            typed += 1
        }
        #expect(typed >= 50, "the corpus holds replica operations (\(typed))")
    }

    @Test("Mutated operations: both accept with the same values or both refuse", arguments: FuzzTests.seeds)
    func mutated(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let corpus = try Self.corpus(seed: seed)
        var bothAccepted = 0, bothRefused = 0, typedAccepted = 0
        for round in 0..<Self.rounds {
            var bytes = corpus[round % corpus.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { bytes = Self.mutate(bytes, using: &rng) }
            let tree = Result { try SignedOperation(parsingTree: bytes) }
            if let decoded = OperationDecoder.decode(bytes) {
                typedAccepted += 1
                guard case .success(let reference) = tree else {
                    Issue.record("the typed decoder accepted what the tree refuses: \(String(decoding: bytes, as: UTF8.self))")
                    continue
                }
                expectSame(decoded, reference)
            }
            switch (tree, Result { try SignedOperation(parsing: bytes) }) {
            case (.success(let reference), .success(let read)):
                expectSame(read, reference)
                bothAccepted += 1
            case (.failure(let expected as RosterError), .failure(let got as RosterError)):
                #expect(expected.code == got.code && expected.reason == got.reason, "tree: \(expected.reason); parsing: \(got.reason)")
                bothRefused += 1
            case (let expected, let got):
                Issue.record("the readers disagree on \(String(decoding: bytes, as: UTF8.self)): tree \(expected), parsing \(got)")
            }
        }
        #expect(bothAccepted + bothRefused == Self.rounds)
        #expect(bothRefused > Self.rounds / 2, "most mutations break the operation (\(bothRefused))")
        #expect(typedAccepted > 50, "some mutations stay canonical and valid, and take the typed path (\(typedAccepted))")
        #expect(bothAccepted > typedAccepted, "some mutations are valid in another spelling, read by the tree only")
    }

    func expectSame(_ read: SignedOperation, _ reference: SignedOperation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(read == reference, sourceLocation: sourceLocation)
        #expect(read.bytes == reference.bytes && read.hash == reference.hash && read.message == reference.message,
                sourceLocation: sourceLocation)
    }

    /// `FuzzTests.mutate`, plus spellings that are valid but not canonical: white
    /// space between tokens and escaped characters.
    static func mutate(_ bytes: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            let commas = bytes.indices.filter { bytes[$0] == UInt8(ascii: ",") }
            if let at = commas.randomElement(using: &rng) { bytes.insert(UInt8(ascii: " "), at: at + 1) }
        case 1:
            if let at = bytes.firstIndex(of: UInt8(ascii: "a")) { bytes.replaceSubrange(at...at, with: Array("\\u0061".utf8)) }
        default:
            bytes = FuzzTests.mutate(bytes, using: &rng)
        }
        return bytes
    }
}
