import Foundation

/// Checks signatures of one public key of a suite other than Ed25519.
public protocol KeyVerifier: Sendable {
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool
}

/// Where Core finds verifiers for the suites it cannot verify itself: Core does no
/// I/O and links no OpenSSL, so the module that does (`NationalSuites`) installs
/// its verifier maker when a program starts. Until then, and for a suite the maker
/// cannot serve (GOST without its engine), a signature is not yet verifiable.
public enum SuiteVerification {
    /// Makes a key's verifier; throws `.suiteUnavailable` naming what to install.
    public typealias Maker = @Sendable (PublicKey) throws -> any KeyVerifier

    private static let lock = NSLock()
    nonisolated(unsafe) private static var maker: Maker?

    public static func install(_ maker: @escaping Maker) {
        lock.withLock { Self.maker = maker }
    }

    static func verifier(for key: PublicKey) throws -> any KeyVerifier {
        guard let maker = lock.withLock({ Self.maker }) else {
            throw RosterError(.suiteUnavailable, "this program cannot verify \(key.suite.rawValue) signatures: it was built without the national suites")
        }
        return try maker(key)
    }
}
