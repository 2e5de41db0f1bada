import Foundation
import NationalSuites
import RosterCore
import Testing

/// The suites in the protocol: operations and key events signed with each, and the
/// refusals that keep a signature from being read under another suite's rules.
@Suite("Suites in operations and key events: the alg is signed, and a key is of one suite")
struct SuiteProtocolTests {
    init() { NationalSuites.install() }

    static let time = Timestamp(Date(timeIntervalSince1970: 1_780_000_000))

    static func ed25519() -> ReplicaKey {
        var generator = SystemRandomNumberGenerator()
        return ReplicaKey(using: &generator)
    }

    static func replica(_ suite: Suite) throws -> Replica {
        let key = suite == .ed25519 ? ed25519() : try ReplicaKey(SuiteKey.generate(suite))
        return Replica(origin: "kz-mvd/main", key: key, logKey: suite == .ed25519 ? nil : ed25519())
    }

    static func add(by replica: Replica) throws -> SignedOperation {
        try replica.make(.add(resource: try Resource(kind: .domain, value: "shop.example"),
                              fields: EntryFields(category: .drugs, basis: LegalBasis(authority: "MVD", reference: "No. 118", decided: CalendarDate("2026-03-02")))),
                         after: nil, clock: VectorClock(["kz-mvd/agency": 2]), time: Self.time)
    }

    /// The operation's text with one member's value replaced, as a forger would send it.
    static func edited(_ operation: SignedOperation, _ member: String, to value: String) throws -> [UInt8] {
        guard case .object(var members) = try JSONParser.parse(operation.bytes) else { throw RosterError(.malformedJSON, "not an object") }
        members[member] = .string(value)
        return CanonicalJSON.encode(.object(members))
    }

    @Test("Each suite's operation names its suite and verifies with its key, read back from its bytes",
          arguments: [Suite.ed25519, .ecdsaP256, .rsaPSS, .gost256, .gost512])
    func signed(suite: Suite) throws {
        let replica = try Self.replica(suite)
        let operation = try Self.add(by: replica)
        #expect(operation.operation.alg == suite.rawValue)
        let read = try SignedOperation(parsing: operation.bytes)
        try read.verify(with: replica.key.publicKey)
        #expect(try PublicKey(base64: replica.key.publicKey.base64) == replica.key.publicKey)
    }

    @Test("An operation prepared ahead of its signature (as imports do) is what signing it whole gives, for signatures of any length",
          arguments: [Suite.ecdsaP256, .rsaPSS, .gost512])
    func prepared(suite: Suite) throws {
        let replica = try Self.replica(suite)
        let first = try Self.add(by: replica)
        let operation = Operation(origin: "kz-mvd/main", seq: 2, prev: nil, clock: VectorClock(["kz-mvd/agency": 2, "kz-mvd/main": 1]),
                                  time: Self.time, alg: suite.rawValue, payload: first.operation.payload)
        let prepared = PreparedOperation(operation)
        let signed = try prepared.sign(prev: first.hash, with: replica.key)
        #expect(signed.bytes.count <= prepared.size)
        try signed.verify(with: replica.key.publicKey)
        var whole = operation
        whole.prev = first.hash
        let direct = try SignedOperation.sign(whole, with: replica.key)
        // ECDSA and RSA-PSS draw a fresh nonce or salt: the bytes agree but for the signature.
        #expect(signed.message == direct.message)
        #expect(try SignedOperation(parsing: signed.bytes).bytes == signed.bytes, "canonical")
        #expect(throws: RosterError(.badKey, "")) { try prepared.sign(prev: first.hash, with: Self.ed25519()) }
    }

    @Test("An alg other than the key's suite is refused as forged, whichever way; an alg no suite has does not parse")
    func forgedAlgorithm() throws {
        for (suite, claimed) in [(Suite.ecdsaP256, Suite.ed25519), (.ed25519, .gost256), (.gost256, .gost512), (.rsaPSS, .ecdsaP256)] {
            let replica = try Self.replica(suite)
            let forged = try SignedOperation(parsing: Self.edited(try Self.add(by: replica), "alg", to: claimed.rawValue))
            do {
                try forged.verify(with: replica.key.publicKey)
                Issue.record("\(claimed) over a \(suite) key verified")
            } catch let error as RosterError {
                #expect(error.code == .badSignature && error.reason.contains("forged"), "\(error.reason)")
            }
        }
        let replica = try Self.replica(.ed25519)
        #expect(throws: RosterError(.unsupportedAlgorithm, "")) { try SignedOperation(parsing: Self.edited(try Self.add(by: replica), "alg", to: "ed448")) }
    }

    @Test("A key event's alg is the suite of the agency's keys after it; an agency's keys are of one suite")
    func keyEvents() throws {
        let p256 = try ReplicaKey(SuiteKey.generate(.ecdsaP256))
        var chain = try AgencyChain(agency: "kz-mvd", keys: [p256], time: Self.time)
        #expect(chain.events[0].operation.alg == Suite.ecdsaP256.rawValue)
        try chain.events[0].verify(endorsedBy: nil)
        // A rotation to GOST: signed by the P-256 key and the GOST key, alg gost2012-256.
        let gost = try ReplicaKey(SuiteKey.generate(.gost256))
        let rotation = try chain.append(.rotate(keys: AgencyKeys([gost.publicKey])), signedBy: [p256, gost])
        #expect(rotation.operation.alg == Suite.gost256.rawValue)
        try rotation.verify(endorsedBy: AgencyKeys([p256.publicKey]))
        var claimed = rotation.operation
        claimed.alg = Suite.ecdsaP256.rawValue
        let forged = try SignedOperation.sign(claimed, with: [p256, gost])
        // Signing sets alg from the keys: a forger must write the bytes by hand.
        #expect(forged.operation.alg == Suite.gost256.rawValue)
        let handmade = try SignedOperation(parsing: Self.edited(rotation, "alg", to: "ecdsa-p256-sha256"))
        #expect(throws: RosterError(.badSignature, "")) { try handmade.verify(endorsedBy: AgencyKeys([p256.publicKey])) }
        #expect(throws: RosterError(.invalidField, "")) { try AgencyKeys([p256.publicKey, gost.publicKey]) }
    }

    @Test("Public keys of no suite, of another curve or size, or in a second spelling are refused at the wire")
    func publicKeys() throws {
        let folder = try Folder()
        func spki(_ options: [String], compressed: Bool = false) throws -> [UInt8] {
            let made = try Command.run("/usr/bin/env", ["openssl", "genpkey"] + options + ["-out", folder.path("key.pem").path])
            #expect(made.status == 0, "\(made.output)")
            let written = try Command.run("/usr/bin/env", ["openssl", compressed ? "ec" : "pkey", "-in", folder.path("key.pem").path, "-pubout", "-outform", "DER",
                                                          "-out", folder.path("key.der").path] + (compressed ? ["-conv_form", "compressed"] : []))
            #expect(written.status == 0, "\(written.output)")
            return Array(try Data(contentsOf: folder.path("key.der")))
        }
        let p256 = try spki(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        #expect(try PublicKey(raw: p256).suite == .ecdsaP256)
        let refused: [(String, [UInt8], String)] = [
            ("P-384", try spki(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]), "P-256 (prime256v1) only"),
            ("RSA 2048", try spki(["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]), "an RSA key of 2048 bits"),
            ("Ed25519 as SPKI", try spki(["-algorithm", "ED25519"]), "written as its 32 raw bytes"),
            ("Ed448", try spki(["-algorithm", "ED448"]), "outside the suites"),
            ("compressed P-256", try spki(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], compressed: true),
             "uncompressed point"),
            ("a byte more", p256 + [0], "bytes follow"),
            ("a byte less", Array(p256.dropLast()), "runs past the end"),
            ("31 bytes", [UInt8](repeating: 7, count: 31), "SubjectPublicKeyInfo"),
            ("too long", [UInt8](repeating: 0x30, count: 2000), "the largest a suite has"),
        ]
        for (name, bytes, reason) in refused {
            do {
                _ = try PublicKey(raw: bytes)
                Issue.record("\(name) was read as a key")
            } catch let error as RosterError {
                #expect(error.code == .badKey && error.reason.contains(reason), "\(name): \(error.reason)")
            }
        }
        // Read as an operator hands it over, an Ed25519 SPKI is the key's 32 raw bytes.
        #expect(try PublicKey(spki: try spki(["-algorithm", "ED25519"])).raw.count == 32)
    }
}

/// Keys that read as a suite's but could not sign, or would let anyone sign, found by
/// attacking a node: each refused where it enters.
@Suite("Keys no signer could hold, or anyone could use, are refused where they enter")
struct WeakKeyTests {
    /// DER of a tag and its content.
    static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let count = content.count
        let length: [UInt8] = count < 0x80 ? [UInt8(count)] : count < 0x100 ? [0x81, UInt8(count)] : [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        return [tag] + length + content
    }

    /// An RSA SubjectPublicKeyInfo of modulus `n` and exponent `e`, as rsaEncryption or RSASSA-PSS.
    static func rsa(n: [UInt8], e: [UInt8], pss: Bool = false) -> [UInt8] {
        let algorithm = pss ? der(0x30, [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A])
            : der(0x30, [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00])
        let numbers = der(0x30, der(0x02, [0] + n) + der(0x02, e))
        return der(0x30, algorithm + der(0x03, [0] + numbers))
    }

    static let modulus: [UInt8] = [0xC1] + (0..<382).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) } + [0x35]

    @Test("RSA keys whose exponent is 1, even or small, or whose modulus is even, are refused; one key in two spellings is one agency key")
    func rsaKeys() throws {
        #expect(try PublicKey(raw: Self.rsa(n: Self.modulus, e: [0x01, 0x00, 0x01])).suite == .rsaPSS)
        for (name, e, n) in [("e = 1", [UInt8(1)], Self.modulus), ("e = 3", [3], Self.modulus), ("e = 65536", [0x01, 0x00, 0x00], Self.modulus),
                             ("an even modulus", [0x01, 0x00, 0x01], Array(Self.modulus.dropLast()) + [0x34])] {
            #expect(throws: RosterError(.badKey, ""), "\(name)") { try PublicKey(raw: Self.rsa(n: n, e: e)) }
        }
        let plain = try PublicKey(raw: Self.rsa(n: Self.modulus, e: [0x01, 0x00, 0x01]))
        let pss = try PublicKey(raw: Self.rsa(n: Self.modulus, e: [0x01, 0x00, 0x01], pss: true))
        #expect(plain != pss && plain.material == pss.material)
        #expect(throws: RosterError(.invalidField, "")) { try AgencyKeys([plain, pss], threshold: 2) }
    }

    @Test("A P-256 point off the curve, a GOST key on a curve of no standard, an Ed25519 key of small order: refused")
    func points() throws {
        let folder = try Folder()
        let made = try OpenSSLCommand.run(.gost256, ["genpkey", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", "-out", folder.path("g.pem").path])
        #expect(made.status == 0, "\(made.output)")
        let gost = Array(try SuiteKey(pem: Array(try Data(contentsOf: folder.path("g.pem")))).publicKey.spki)
        #expect(try PublicKey(raw: gost).suite == .gost256)
        var strange = gost
        // The curve's OID ends the parameter set's first OID (…35.1): name a curve no standard has.
        if let index = strange.firstRange(of: [0x2A, 0x85, 0x03, 0x02, 0x02, 0x23] as [UInt8])?.upperBound { strange[index] = 0x09 }
        #expect(throws: RosterError(.badKey, "")) { try PublicKey(raw: strange) }
        var p256 = Array(try SuiteKey.generate(.ecdsaP256).publicKey.spki)
        p256[p256.count - 1] ^= 0x01
        #expect(throws: RosterError(.badKey, "")) { try PublicKey(raw: p256) }
        let zero = try PublicKey(raw: [UInt8](repeating: 0, count: 32))
        #expect(zero.hasSmallOrder)
        #expect(throws: RosterError(.badKey, "")) { try AgencyKeys([zero]) }
        let enrol: JSON = ["v": 2, "type": "enrol", "origin": "kz-mvd/agency", "seq": 2, "prev": .string(String(repeating: "0", count: 64)),
                           "clock": ["kz-mvd/agency": 1], "time": "2026-03-02T00:00:00Z", "alg": "ed25519", "replica": "kz-mvd/r",
                           "key": .string(zero.base64)]
        #expect(throws: RosterError(.badKey, "")) { try Operation(json: enrol) }
    }
}

/// One operation, one signature: a relay cannot rewrite a signature into another that
/// verifies, which a node would take for a second history of the replica.
@Suite("Signatures in one form: ECDSA's low s, RSA's full length")
struct SignatureFormTests {
    @Test("P-256 signatures are made with the low s; the same signature with n − s, which OpenSSL alone accepts, is refused")
    func lowS() throws {
        let folder = try Folder()
        let key = try SuiteKey.generate(.ecdsaP256)
        let message = Array("{\"seq\":1}".utf8)
        try key.publicKey.pem.write(to: folder.path("public.pem"), atomically: true, encoding: .utf8)
        for index in 0..<8 {
            let signature = try key.sign(message)
            #expect(key.publicKey.isValidSignature(signature, for: message), "signature \(index)")
            try Data(signature).write(to: folder.path("low"))
            let script = """
                import sys
                from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
                n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
                r, s = decode_dss_signature(open(sys.argv[1], 'rb').read())
                assert s <= n // 2, 'high s'
                open(sys.argv[2], 'wb').write(encode_dss_signature(r, n - s))
                """
            let flipped = try Command.run("/usr/bin/env", ["python3", "-c", script, folder.path("low").path, folder.path("high").path])
            #expect(flipped.status == 0, "\(flipped.output)")
            let high = Array(try Data(contentsOf: folder.path("high")))
            // OpenSSL takes both; the node takes one.
            try Data(message).write(to: folder.path("message"))
            let openssl = try Command.run("/usr/bin/env", ["openssl", "dgst", "-sha256", "-verify", folder.path("public.pem").path,
                                                          "-signature", folder.path("high").path, folder.path("message").path])
            #expect(openssl.output.contains("Verified OK"), "\(openssl.output)")
            #expect(!key.publicKey.isValidSignature(high, for: message))
        }
    }

    @Test("An RSA-PSS signature shorter than its modulus (a leading zero dropped) is refused")
    func rsaLength() throws {
        let key = try SuiteKey.generate(.rsaPSS)
        let message = Array("{\"seq\":1}".utf8)
        let signature = try key.sign(message)
        #expect(signature.count == 384 && key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature([0] + signature, for: message))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropFirst()), for: message))
    }
}
