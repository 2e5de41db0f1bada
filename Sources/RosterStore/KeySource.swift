import Foundation
import NationalSuites
import RosterCore

/// A signing key as an operator names it on the command line: a private key file
/// of any suite (PKCS #8 PEM, mode 0600), or a key in a token by its PKCS #11 URI
/// (RFC 7512). Its `text` is what a key file holds to bring it back: the PEM, or
/// the URI, never a PIN.
public struct KeySource: Sendable {
    public let key: ReplicaKey
    public let text: String

    /// Reads the key `argument` names; `expecting` refuses a key of another suite.
    public init(_ argument: String, expecting suite: Suite? = nil) throws {
        if argument.hasPrefix("pkcs11:") {
            key = try ReplicaKey(SuiteKey(pkcs11: argument, expecting: suite))
            text = argument + "\n"
        } else {
            text = try Node.readSecret(at: URL(fileURLWithPath: argument))
            key = try ReplicaKey(pem: text)
        }
        if let suite, key.suite != suite {
            throw RosterError(.badKey, "\(Text.printable(argument, limit: 200)) is a \(key.suite.rawValue) key, not the \(suite.rawValue) asked for")
        }
    }

    /// A new key of `suite`, from the system's generator.
    public init(generating suite: Suite) throws {
        if suite == .ed25519 {
            let key = ReplicaKey.generate()
            guard let pem = key.pem else { throw RosterError(.badKey, "an Ed25519 key without its PEM") }
            self.key = key
            text = pem
        } else {
            let made = try SuiteKey.generate(suite)
            key = try ReplicaKey(made)
            text = String(decoding: try made.pem(), as: UTF8.self)
        }
    }

    /// Whether `argument` names a key that exists: a token's URI, or a file.
    public static func exists(_ argument: String) -> Bool {
        argument.hasPrefix("pkcs11:") || FileManager.default.fileExists(atPath: argument)
    }

    /// The key `argument` names if it exists (of the suite `expecting`, if given),
    /// else a new key of `suite` written there (mode 0600). A URI names a key that exists.
    public init(_ argument: String, orNew suite: Suite, expecting: Suite? = nil) throws {
        if Self.exists(argument) {
            try self.init(argument, expecting: expecting)
        } else {
            try self.init(generating: suite)
            try Node.writeSecret(text, to: URL(fileURLWithPath: argument))
        }
    }
}
