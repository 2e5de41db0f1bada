import Foundation
import RosterCore

/// A key in a hardware token, named as RFC 7512 says (`pkcs11:token=…;object=…`),
/// with where its PIN comes from: the file `pin-source` names, or the environment.
/// A PIN in the URI itself (`pin-value`) is refused: command lines are seen by
/// every user of the machine, and end up in shell histories and logs.
public struct PKCS11URI: Sendable {
    /// The URI as the engine reads it: the path attributes, no query.
    public let path: String
    public let attributes: [String: String]
    public let query: [String: String]

    public static func isURI(_ text: String) -> Bool { text.hasPrefix("pkcs11:") }

    public init(_ text: String) throws {
        guard Self.isURI(text) else { throw RosterError(.badKey, "a PKCS#11 URI starts with pkcs11: (RFC 7512), like pkcs11:token=agency;object=root") }
        let body = text.dropFirst("pkcs11:".count)
        let parts = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        func pairs(_ text: Substring, _ separator: Character) throws -> [String: String] {
            var result: [String: String] = [:]
            for pair in text.split(separator: separator) {
                let sides = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard sides.count == 2, let value = String(sides[1]).removingPercentEncoding, !sides[0].isEmpty else {
                    throw RosterError(.badKey, "the PKCS#11 URI has an attribute that is not name=value: \(Text.printable(String(pair), limit: 60))")
                }
                result[String(sides[0])] = value
            }
            return result
        }
        attributes = try pairs(parts[0], ";")
        query = parts.count > 1 ? try pairs(parts[1], "&") : [:]
        if attributes["pin-value"] != nil || query["pin-value"] != nil {
            throw RosterError(.badKey, "the PKCS#11 URI carries its PIN (pin-value), which every user of this machine can read: give pin-source=file:PATH or set ROSTER_PKCS11_PIN")
        }
        guard attributes["token"] != nil || attributes["serial"] != nil || attributes["slot-id"] != nil else {
            throw RosterError(.badKey, "the PKCS#11 URI names no token: add token=LABEL")
        }
        guard attributes["object"] != nil || attributes["id"] != nil else {
            throw RosterError(.badKey, "the PKCS#11 URI names no key: add object=LABEL or id=%01")
        }
        path = "pkcs11:" + parts[0]
    }

    /// The token's PKCS#11 module: `module-path` in the query, else `ROSTER_PKCS11_MODULE`.
    public func module(environment: [String: String]) throws -> String {
        guard let module = query["module-path"] ?? environment["ROSTER_PKCS11_MODULE"] else {
            throw RosterError(.badKey, "name the token's PKCS#11 module: module-path=/usr/lib/softhsm/libsofthsm2.so in the URI's query, or ROSTER_PKCS11_MODULE")
        }
        guard FileManager.default.isReadableFile(atPath: module) else {
            throw RosterError(.badKey, "the PKCS#11 module \(module) is not there: install the token's driver, or correct module-path")
        }
        return module
    }

    /// The PIN: the first line of the file `pin-source` names, else `ROSTER_PKCS11_PIN`.
    public func pin(environment: [String: String]) throws -> String {
        if let source = query["pin-source"] ?? attributes["pin-source"] {
            let file = source.hasPrefix("file:") ? String(source.dropFirst("file:".count)) : source
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw RosterError(.badKey, "cannot read the PIN file \(file) that pin-source names")
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        guard let pin = environment["ROSTER_PKCS11_PIN"] else {
            throw RosterError(.badKey, "the token needs its PIN: give pin-source=file:PATH in the URI, or set ROSTER_PKCS11_PIN")
        }
        return pin
    }
}
