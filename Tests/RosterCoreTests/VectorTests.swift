import RosterCore
import RosterTestSupport
import Testing

@Suite("Standard test vectors")
struct VectorTests {
    @Test("RFC 8032 Ed25519: our keys sign and verify as the RFC says")
    func ed25519() throws {
        guard case .array(let vectors) = try Vectors.load("rfc8032") else { Issue.record("no vectors"); return }
        #expect(vectors.count == 3)
        for vector in vectors {
            let secret = try require(Hex.decode(vector["secret"]?.string ?? ""))
            let message = try require(Hex.decode(vector["message"]?.string ?? ""))
            let expected = try require(Hex.decode(vector["signature"]?.string ?? ""))
            let key = try ReplicaKey(rawRepresentation: secret)
            #expect(Hex.encode(key.publicKey.raw) == vector["public"]?.string)
            #expect(try key.sign(message) == expected, "\(vector["name"]?.string ?? "")")
            #expect(try key.publicKey.isValidSignature(expected, for: message))
            var forged = expected
            forged[0] ^= 1
            #expect(try !key.publicKey.isValidSignature(forged, for: message))
        }
    }

    @Test("RFC 8785 canonical JSON: samples from the RFC encode byte for byte")
    func canonicalJSON() throws {
        guard case .array(let vectors) = try Vectors.load("rfc8785") else { Issue.record("no vectors"); return }
        #expect(vectors.count == 3, "the RFC's three samples")
        for vector in vectors {
            let input = try require(vector["input"]?.string)
            let expected = try require(vector["expected"]?.string)
            #expect(CanonicalJSON.string(try JSONParser.parse(input)) == expected, "\(vector["name"]?.string ?? "")")
        }
    }

    @Test("The parser refuses what would make two encodings of one document", arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1"#, #"[1,]"#, #""\ud800""#, "[01]", #"{"a":NaN}"#, "1 2",
    ])
    func strictParser(text: String) {
        #expect(throws: RosterError.self) { try JSONParser.parse(text) }
    }
}

@Suite("Prepared operations")
struct PreparedOperationTests {
    @Test("Preparing ahead and signing later gives the very bytes of signing directly")
    func samesBytes() throws {
        let key = try ReplicaKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
        let basis = try LegalBasis(authority: "A \"quoted\" authority", reference: "R", decided: CalendarDate("2026-01-01"))
        var prev: [UInt8]? = nil
        for seq in 1...3 as ClosedRange<UInt64> {
            let operation = Operation(
                origin: "kz-mvd/a", seq: seq, prev: prev, clock: VectorClock(["kz-mvd/a": seq - 1, "kz-mvd/b": 4]),
                time: try Timestamp("2026-11-01T10:00:00Z"),
                payload: .add(resource: try Resource(kind: .domain, value: "prev.example"),
                              fields: EntryFields(category: .drugs, basis: basis, note: "\"prev\":\"sig\"")))
            let direct = try SignedOperation.sign(operation, with: key)
            let prepared = try PreparedOperation(operation).sign(prev: prev, with: key)
            #expect(prepared.bytes == direct.bytes)
            #expect(prepared.hash == direct.hash)
            #expect(prepared == direct)
            #expect(try SignedOperation(parsing: prepared.bytes) == direct)
            prev = direct.hash
        }
    }
}

@Suite("Direct operation encoding")
struct OperationEncodingTests {
    @Test("The direct encoder writes exactly RFC 8785 of the operation's JSON, for every kind of operation")
    func matchesGenericEncoder() throws {
        var simulation = Simulation(seed: 99)
        simulation.run(steps: 200)
        let basis = try LegalBasis(authority: "Суд \"A\"", reference: "R\n1", decided: CalendarDate("2026-01-01"), statute: "Art. 1")
        let extra = Operation(
            origin: "kz-mvd/a", seq: 2, prev: [UInt8](repeating: 9, count: 32), clock: VectorClock(["kz-mvd/a": 1, "a-b/c": 3]),
            time: try Timestamp("2026-11-01T10:00:00.5Z"),
            payload: .amend(target: Dot(origin: "kz-mvd/b", seq: 1), changes: FieldChanges(
                basis: basis, jurisdiction: .some(nil), expires: .some(try CalendarDate("2027-01-01")), evidence: .some(nil), note: .some("ü"))))
        let full = Operation(
            origin: "kz-mvd/a", seq: 1, prev: nil, clock: VectorClock(), time: try Timestamp("2026-11-01T10:00:00Z"),
            payload: .add(resource: try Resource(kind: .url, value: "https://x.example/a?b=c"), fields: EntryFields(
                category: .pharmacy, basis: basis, jurisdiction: "KZ", expires: try CalendarDate("2027-01-01"),
                evidence: String(repeating: "ab", count: 32), note: "tab\there", broad: true)))
        let operations = simulation.all.map(\.operation) + [extra, full]
        #expect(operations.contains { if case .revoke = $0.payload { true } else { false } })
        for operation in operations {
            #expect(operation.canonicalBytes() == CanonicalJSON.encode(operation.json))
            let signature = [UInt8](repeating: 3, count: 64)
            guard case .object(var members) = operation.json else { continue }
            members["sig"] = .string(Base64.encode(signature))
            #expect(operation.canonicalBytes(signature: signature) == CanonicalJSON.encode(.object(members)))
        }
    }

    @Test("A non-canonical spelling of a signed operation still parses to the same bytes; a non-normal value does not")
    func spellings() throws {
        let key = try ReplicaKey(rawRepresentation: [UInt8](repeating: 5, count: 32))
        let operation = Operation(
            origin: "kz-mvd/a", seq: 1, prev: nil, clock: VectorClock(), time: try Timestamp("2026-11-01T10:00:00Z"),
            payload: .add(resource: try Resource(kind: .domain, value: "x.example"),
                          fields: EntryFields(category: .drugs, basis: try LegalBasis(authority: "A", reference: "R", decided: CalendarDate("2026-01-01")))))
        let signed = try SignedOperation.sign(operation, with: key)
        let spaced = signed.text.replacingOccurrences(",\"", ", \"").replacingOccurrences("\":", "\": ")
        let reparsed = try SignedOperation(parsing: Array(spaced.utf8))
        #expect(reparsed.bytes == signed.bytes)
        try reparsed.verify(with: key.publicKey)
        let upper = signed.text.replacingOccurrences("x.example", "X.example")
        #expect(throws: RosterError(.malformedOperation, "")) { try SignedOperation(parsing: Array(upper.utf8)) }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Vectors kept as data, with their sources and licences in `Vectors/README.md`.
@Suite("Third-party vectors")
struct ThirdPartyVectorTests {
    @Test("Wycheproof Ed25519: every valid signature verifies, every invalid one is refused")
    func wycheproof() throws {
        guard case .array(let vectors) = try Vectors.load("wycheproof-ed25519") else { Issue.record("no vectors"); return }
        #expect(vectors.count == 151)
        var checked = 0
        for vector in vectors {
            let id = vector["tcId"]?.integer ?? -1
            let key = try PublicKey(raw: try require(Hex.decode(vector["key"]?.string ?? "")))
            let message = try require(Hex.decode(vector["msg"]?.string ?? ""))
            let signature = try require(Hex.decode(vector["sig"]?.string ?? ""))
            let verifies = try signature.count == 64 && key.isValidSignature(signature, for: message)
            switch vector["result"]?.string {
            case "valid": #expect(verifies, "tcId \(id) should verify")
            case "invalid": #expect(!verifies, "tcId \(id) should be refused: \(vector["comment"]?.string ?? "")")
            default: continue
            }
            checked += 1
        }
        #expect(checked == vectors.count, "every vector is valid or invalid")
    }

    @Test("JSONTestSuite: y_ documents parse, n_ documents are refused")
    func jsonTestSuite() throws {
        guard case .array(let vectors) = try Vectors.load("jsontestsuite") else { Issue.record("no vectors"); return }
        #expect(vectors.count == 112)
        for vector in vectors {
            let name = vector["name"]?.string ?? "?"
            let bytes = try require(Hex.decode(vector["input_hex"]?.string ?? ""))
            let parsed = Result { try JSONParser.parse(bytes) }
            if vector["expect"]?.string == "accept" {
                #expect(throws: Never.self, "\(name)") { try parsed.get() }
            } else {
                #expect(throws: RosterError.self, "\(name)") { try parsed.get() }
            }
        }
    }

    @Test("RFC 3339: our UTC profile takes the valid times and refuses every negative")
    func rfc3339() throws {
        let vectors = try Vectors.load("rfc3339")
        guard case .array(let valid) = vectors["valid"], case .array(let invalid) = vectors["invalid"] else { Issue.record("no vectors"); return }
        #expect(valid.count == 11 && invalid.count == 39)
        for text in valid.compactMap(\.string) {
            #expect(throws: Never.self, "\(text)") { try Timestamp(text) }
        }
        for vector in invalid {
            let text = vector["text"]?.string ?? ""
            #expect(throws: RosterError.self, "\(text): \(vector["why"]?.string ?? "")") { try Timestamp(text) }
        }
    }

    @Test("RFC 5952: IPv6 addresses are written in the recommended form")
    func rfc5952() throws {
        guard case .array(let vectors) = try Vectors.load("rfc5952") else { Issue.record("no vectors"); return }
        #expect(vectors.count == 19)
        for vector in vectors {
            let input = try require(vector["input"]?.string)
            let canonical = try require(vector["canonical"]?.string)
            #expect(try IPAddress(input).description == canonical, "RFC 5952 \(vector["section"]?.string ?? ""): \(input)")
            #expect(try Resource(kind: .ip, value: input).value == canonical)
        }
    }
}
