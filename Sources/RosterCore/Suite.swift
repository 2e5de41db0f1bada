/// The signature suites an agency's keys may be of, by their `alg` name: Ed25519
/// by default, the suites national certification authorities certify (ECDSA P-256,
/// RSA-PSS), and GOST R 34.10-2012 where an official act must be signed with it.
/// Every suite but Ed25519 is verified through the system OpenSSL (`NationalSuites`).
public enum Suite: String, CaseIterable, Sendable {
    case ed25519
    /// ECDSA over P-256 with SHA-256; the signature is DER, as X.509 and OpenSSL write it.
    case ecdsaP256 = "ecdsa-p256-sha256"
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt; keys of 3072 bits or more.
    case rsaPSS = "rsa-pss-sha256"
    /// GOST R 34.10-2012 with a 256-bit key and Streebog-256.
    case gost256 = "gost2012-256"
    /// GOST R 34.10-2012 with a 512-bit key and Streebog-512.
    case gost512 = "gost2012-512"

    public init(parsing text: String) throws {
        guard let suite = Suite(rawValue: text.lowercased()) else {
            throw RosterError(.unsupportedAlgorithm, "unknown signature suite \"\(Text.printable(text, limit: 40))\": use one of \(Self.names)")
        }
        self = suite
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The Debian package that brings the suite to the system OpenSSL, if it needs one.
    public var package: String? {
        switch self {
        case .gost256, .gost512: return "libengine-gost-openssl"
        case .ed25519, .ecdsaP256, .rsaPSS: return nil
        }
    }

    /// The least RSA modulus a key may have, in bits.
    public static let minimumRSABits = 3072
    /// The largest: sixteen keys and their signatures still fit one key event.
    public static let maximumRSABits = 8192

    /// The sizes a signature of the suite may have, in bytes: a node refuses any
    /// other before it verifies.
    public var signatureSizes: ClosedRange<Int> {
        switch self {
        case .ed25519, .gost256: return 64...64
        case .gost512: return 128...128
        // DER of two integers of at most 33 bytes each.
        case .ecdsaP256: return 8...72
        case .rsaPSS: return Self.minimumRSABits / 8...Self.maximumRSABits / 8
        }
    }

    /// Any suite's largest signature.
    public static let maximumSignatureSize = maximumRSABits / 8
}
