import Crypto

/// What a SubjectPublicKeyInfo (RFC 5280, DER) says of its key: its suite, and
/// whether its curve and size are ones the suite takes. Read here, without OpenSSL,
/// so that every node knows a key's suite, and refuses a key of no suite, whether
/// or not it can verify that suite's signatures.
struct SubjectPublicKeyInfo {
    let suite: Suite
    /// An Ed25519 key's 32 raw bytes (for a key that is to be written that way).
    let ed25519: [UInt8]?
    /// What makes the key this key, whichever way its SPKI is spelled: an RSA key's
    /// modulus (rsaEncryption and RSASSA-PSS name one key two ways), else its point.
    let material: [UInt8]

    init(der: [UInt8]) throws {
        var outer = DERReader(der)
        let info = try outer.read(0x30, "a SubjectPublicKeyInfo")
        try outer.end("after the SubjectPublicKeyInfo")
        var members = DERReader(info)
        var algorithm = DERReader(try members.read(0x30, "the algorithm identifier"))
        let bits = try members.read(0x03, "the public key bit string")
        try members.end("after the public key")
        guard bits.first == 0 else { throw Self.refusal("the public key bit string has unused bits") }
        let key = Array(bits.dropFirst())
        let oid = try algorithm.readTLV(0x06, "the algorithm")
        let parameters = Array(algorithm.rest)
        var raw: [UInt8]?
        var material = key
        switch oid {
        case Self.ed25519OID:
            guard parameters.isEmpty, key.count == 32 else { throw Self.refusal("an Ed25519 key is 32 bytes, without parameters") }
            suite = .ed25519
            raw = key
        case Self.ecPublicKeyOID:
            guard parameters == Self.prime256v1OID else {
                throw RosterError(.badKey, "an ECDSA key on another curve than P-256: the suite \(Suite.ecdsaP256.rawValue) takes P-256 (prime256v1) only")
            }
            guard key.count == 65, key.first == 0x04 else { throw Self.refusal("a P-256 key is an uncompressed point of 65 bytes") }
            // swift-crypto checks that the point is on the curve, and not the point at infinity.
            guard (try? P256.Signing.PublicKey(x963Representation: key)) != nil else {
                throw RosterError(.badKey, "the P-256 public key is not a point on the curve")
            }
            suite = .ecdsaP256
        case Self.rsaEncryptionOID, Self.rsassaPSSOID:
            var sequence = DERReader(key)
            var numbers = DERReader(try sequence.read(0x30, "the RSA key"))
            try sequence.end("after the RSA key")
            let modulus = try Self.positiveInteger(numbers.read(0x02, "the RSA modulus"), "the RSA modulus")
            let exponent = try Self.positiveInteger(numbers.read(0x02, "the RSA public exponent"), "the RSA public exponent")
            try numbers.end("after the RSA public exponent")
            let size = modulus.count * 8 - (modulus.first.map { $0.leadingZeroBitCount } ?? 0)
            guard (Suite.minimumRSABits...Suite.maximumRSABits).contains(size) else {
                throw RosterError(.badKey, "an RSA key of \(size) bits: the suite \(Suite.rsaPSS.rawValue) takes \(Suite.minimumRSABits) to \(Suite.maximumRSABits) bits")
            }
            // As NIST SP 800-56B and FIPS 186 ask: an odd modulus, an odd exponent above
            // 2^16 and below 2^256. A small exponent (1 above all) lets anyone sign.
            let exponentBits = exponent.count * 8 - (exponent.first.map { $0.leadingZeroBitCount } ?? 0)
            guard modulus.last.map({ $0 & 1 == 1 }) == true, exponent.last.map({ $0 & 1 == 1 }) == true, (17...256).contains(exponentBits) else {
                throw RosterError(.badKey, "the RSA key's modulus or public exponent is not one a signing key has (an odd exponent from 65537 to 2^256, an odd modulus)")
            }
            if oid == Self.rsassaPSSOID, let restricted = Self.pssRestriction(parameters) { throw restricted }
            material = Array(modulus)
            suite = .rsaPSS
        case Self.gost256OID, Self.gost512OID:
            suite = oid == Self.gost256OID ? .gost256 : .gost512
            var point = DERReader(key)
            let coordinates = try point.read(0x04, "the GOST public key")
            try point.end("after the GOST public key")
            let expected = suite == .gost256 ? 64 : 128
            guard coordinates.count == expected else {
                throw RosterError(.badKey, "a \(suite.rawValue) public key is \(expected) bytes, not \(coordinates.count)")
            }
            // The parameters name a curve of the key's size that the standards define.
            var set = DERReader(parameters)
            var names = DERReader(try set.read(0x30, "the GOST parameters"))
            try set.end("after the GOST parameters")
            let curve = try names.readTLV(0x06, "the GOST curve")
            guard (suite == .gost256 ? Self.gost256Curves : Self.gost512Curves).contains(curve) else {
                throw RosterError(.badKey, "the \(suite.rawValue) public key names a curve that is not one of GOST R 34.10-2012's for its size")
            }
            material = Array(coordinates)
        default:
            throw RosterError(.badKey, "a public key of an algorithm outside the suites (\(Suite.names))")
        }
        ed25519 = raw
        self.material = material
    }

    /// A DER INTEGER's magnitude: refused if negative, or written with a zero byte it does not need.
    private static func positiveInteger(_ bytes: ArraySlice<UInt8>, _ what: String) throws -> ArraySlice<UInt8> {
        guard let first = bytes.first, first & 0x80 == 0 else { throw refusal("\(what) is not a positive integer") }
        if first == 0, bytes.count > 1, bytes[bytes.startIndex + 1] & 0x80 == 0 { throw refusal("\(what) has a length DER does not write") }
        return first == 0 ? bytes.dropFirst() : bytes
    }

    /// An RSASSA-PSS key whose parameters allow a hash other than SHA-256 (with
    /// MGF1-SHA-256): it could not verify this suite's signatures.
    private static func pssRestriction(_ parameters: [UInt8]) -> RosterError? {
        guard !parameters.isEmpty else { return nil }
        // SHA-256's OID (2.16.840.1.101.3.4.2.1) must be the one hash the parameters name, if they name any.
        let sha256: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
        let hashPrefix: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02]
        let sha1: [UInt8] = [0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A]
        let mentionsOther = parameters.firstRange(of: sha1) != nil
            || (0...max(0, parameters.count - hashPrefix.count)).contains { index in
                parameters.count >= index + hashPrefix.count && parameters[index..<index + hashPrefix.count].elementsEqual(hashPrefix)
                    && !parameters[index...].starts(with: sha256)
            }
        guard mentionsOther || parameters.firstRange(of: sha256) == nil else { return nil }
        return RosterError(.badKey, "the RSASSA-PSS key is restricted to another hash than SHA-256: the suite \(Suite.rsaPSS.rawValue) signs with SHA-256")
    }

    static func refusal(_ what: String) -> RosterError {
        RosterError(.badKey, "the public key is not a SubjectPublicKeyInfo of a suite: \(what)")
    }

    // Object identifiers as DER writes them, tag and length included.
    static let ed25519OID: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]
    static let ecPublicKeyOID: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    static let prime256v1OID: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let rsaEncryptionOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    static let rsassaPSSOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A]
    static let gost256OID: [UInt8] = [0x06, 0x08, 0x2A, 0x85, 0x03, 0x07, 0x01, 0x01, 0x01, 0x01]
    static let gost512OID: [UInt8] = [0x06, 0x08, 0x2A, 0x85, 0x03, 0x07, 0x01, 0x01, 0x01, 0x02]
    /// The curves of 256-bit keys: CryptoPro A, B, C, XchA, XchB (RFC 4357) and TC26 A to D (RFC 7836).
    static let gost256Curves: [[UInt8]] = [
        [0x06, 0x07, 0x2A, 0x85, 0x03, 0x02, 0x02, 0x23, 0x01], [0x06, 0x07, 0x2A, 0x85, 0x03, 0x02, 0x02, 0x23, 0x02],
        [0x06, 0x07, 0x2A, 0x85, 0x03, 0x02, 0x02, 0x23, 0x03], [0x06, 0x07, 0x2A, 0x85, 0x03, 0x02, 0x02, 0x24, 0x00],
        [0x06, 0x07, 0x2A, 0x85, 0x03, 0x02, 0x02, 0x24, 0x01],
    ] + (1...4).map { [0x06, 0x09, 0x2A, 0x85, 0x03, 0x07, 0x01, 0x02, 0x01, 0x01, UInt8($0)] }
    /// The curves of 512-bit keys: TC26 A, B, C (RFC 7836).
    static let gost512Curves: [[UInt8]] = (1...3).map { [0x06, 0x09, 0x2A, 0x85, 0x03, 0x07, 0x01, 0x02, 0x01, 0x02, UInt8($0)] }

    /// The SubjectPublicKeyInfo of an Ed25519 key's raw bytes (RFC 8410).
    static func ed25519(raw: [UInt8]) -> [UInt8] {
        [0x30, 0x2A, 0x30, 0x05] + ed25519OID + [0x03, 0x21, 0x00] + raw
    }
}

/// Reads DER one element at a time: definite, minimal lengths only.
private struct DERReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: some Collection<UInt8>) { self.bytes = Array(bytes) }

    var rest: ArraySlice<UInt8> { bytes[index...] }

    /// The content of the next element, which must have tag `tag`.
    mutating func read(_ tag: UInt8, _ what: String) throws -> ArraySlice<UInt8> {
        let (start, end) = try next(tag, what)
        return bytes[start..<end]
    }

    /// The next element whole, tag and length included.
    mutating func readTLV(_ tag: UInt8, _ what: String) throws -> [UInt8] {
        let begin = index
        let (_, end) = try next(tag, what)
        return Array(bytes[begin..<end])
    }

    func end(_ what: String) throws {
        guard index == bytes.count else { throw SubjectPublicKeyInfo.refusal("bytes follow \(what)") }
    }

    private mutating func next(_ tag: UInt8, _ what: String) throws -> (Int, Int) {
        guard index + 2 <= bytes.count, bytes[index] == tag else { throw SubjectPublicKeyInfo.refusal("\(what) is missing") }
        let first = Int(bytes[index + 1])
        var position = index + 2
        var length = first
        if first >= 0x80 {
            let count = first - 0x80
            guard (1...3).contains(count), position + count <= bytes.count, bytes[position] != 0 else {
                throw SubjectPublicKeyInfo.refusal("\(what) has a length DER does not write")
            }
            length = bytes[position..<position + count].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 0x80 else { throw SubjectPublicKeyInfo.refusal("\(what) has a length DER does not write") }
            position += count
        }
        guard length <= bytes.count - position else { throw SubjectPublicKeyInfo.refusal("\(what) runs past the end") }
        index = position + length
        return (position, position + length)
    }
}
