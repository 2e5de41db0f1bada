import Foundation
import RosterCore

/// A key in a hardware token, named as RFC 7512 says (`pkcs11:token=…;object=…`),
/// with where its PIN comes from: the file `pin-source` names, or the environment.
/// A PIN in the URI itself (`pin-value`) is refused: command lines are seen by
/// every user of the machine, and end up in shell histories and logs.
public struct PKCS11URI: Sendable {
    /// The URI as the engine reads it: the key's path attributes only, as written
    /// (a binary `id` stays percent-encoded), so that nothing else (a PIN) reaches it.
    public let path: String
    /// The path attributes, percent-decoded where they are text.
    public let attributes: [String: String]
    public let query: [String: String]

    public static func isURI(_ text: String) -> Bool { text.hasPrefix("pkcs11:") }

    public init(_ text: String) throws {
        guard Self.isURI(text) else { throw RosterError(.badKey, "a PKCS#11 URI starts with pkcs11: (RFC 7512), like pkcs11:token=agency;object=root") }
        // libp11 reads `&` in the path as a separator too: a PIN must not get in by any spelling.
        guard !text.lowercased().contains("pin-value"), !(text.removingPercentEncoding ?? text).lowercased().contains("pin-value") else {
            throw RosterError(.badKey, "the PKCS#11 URI carries its PIN (pin-value), which every user of this machine can read: give pin-source=file:PATH or set ROSTER_PKCS11_PIN")
        }
        let body = text.dropFirst("pkcs11:".count)
        let parts = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        func pairs(_ text: Substring, _ separator: Character) throws -> [(name: String, raw: String)] {
            try text.split(separator: separator).map { pair in
                let sides = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard sides.count == 2, !sides[0].isEmpty else {
                    throw RosterError(.badKey, "the PKCS#11 URI has an attribute that is not name=value: \(Text.printable(String(pair), limit: 60))")
                }
                return (String(sides[0]), String(sides[1]))
            }
        }
        let path = try pairs(parts[0], ";")
        // libp11 splits the path at `&` as well as `;`: an `&` in a value is written %26.
        if let spliced = path.first(where: { $0.raw.contains("&") }) {
            throw RosterError(.badKey, "the PKCS#11 URI's \(Text.printable(spliced.name, limit: 40)) holds an &: write it as %26")
        }
        attributes = Dictionary(path.map { ($0.name, $0.raw.removingPercentEncoding ?? $0.raw) }) { first, _ in first }
        query = Dictionary((parts.count > 1 ? try pairs(parts[1], "&") : []).map { ($0.name, $0.raw.removingPercentEncoding ?? $0.raw) }) { first, _ in first }
        if let unknown = query.keys.sorted().first(where: { !["module-path", "pin-source"].contains($0) }) {
            throw RosterError(.badKey, "the PKCS#11 URI's query has an attribute this node does not read: \(Text.printable(unknown, limit: 40)); use module-path and pin-source")
        }
        if let unknown = attributes.keys.sorted().first(where: { !Self.keyAttributes.contains($0) && $0 != "pin-source" }) {
            throw RosterError(.badKey, "the PKCS#11 URI has an attribute this node does not pass on: \(Text.printable(unknown, limit: 40)); use \(Self.keyAttributes.sorted().joined(separator: ", "))")
        }
        guard attributes["token"] != nil || attributes["serial"] != nil || attributes["slot-id"] != nil else {
            throw RosterError(.badKey, "the PKCS#11 URI names no token: add token=LABEL")
        }
        guard attributes["object"] != nil || attributes["id"] != nil else {
            throw RosterError(.badKey, "the PKCS#11 URI names no key: add object=LABEL or id=%01")
        }
        guard Set(path.map(\.name)).count == path.count else { throw RosterError(.badKey, "the PKCS#11 URI names an attribute twice") }
        self.path = "pkcs11:" + path.filter { Self.keyAttributes.contains($0.name) }.sorted { $0.name < $1.name }
            .map { "\($0.name)=\($0.raw)" }.joined(separator: ";")
    }

    /// The path attributes of RFC 7512 that name a token and a key in it.
    static let keyAttributes: Set<String> = ["token", "manufacturer", "model", "serial", "slot-id", "slot-description", "slot-manufacturer",
                                             "library-manufacturer", "library-description", "library-version", "object", "id", "type"]

    /// The token's PKCS#11 module: `module-path` in the query, else `ROSTER_PKCS11_MODULE`.
    public func module(environment: [String: String]) throws -> String {
        guard let module = query["module-path"] ?? environment["ROSTER_PKCS11_MODULE"] else {
            throw RosterError(.badKey, "name the token's PKCS#11 module: module-path=/usr/lib/softhsm/libsofthsm2.so in the URI's query, or ROSTER_PKCS11_MODULE")
        }
        guard FileManager.default.isReadableFile(atPath: module) else {
            throw RosterError(.badKey, "the PKCS#11 module \(Text.printable(module, limit: 200)) is not there: install the token's driver, or correct module-path")
        }
        // Loaded later by the engine, which would then report the key as missing: asked now.
        guard let library = dlopen(module, RTLD_LAZY | RTLD_LOCAL) else {
            throw RosterError(.badKey, "\(Text.printable(module, limit: 200)) cannot be loaded as a library: name the token's PKCS#11 module (a .so) in module-path")
        }
        defer { dlclose(library) }
        guard dlsym(library, "C_GetFunctionList") != nil else {
            throw RosterError(.badKey, "\(Text.printable(module, limit: 200)) is not a PKCS#11 module (it has no C_GetFunctionList): name the token's module in module-path")
        }
        return module
    }

    /// The PIN: the first line of the file `pin-source` names, else `ROSTER_PKCS11_PIN`.
    public func pin(environment: [String: String]) throws -> String {
        if let source = query["pin-source"] ?? attributes["pin-source"] {
            let file = source.hasPrefix("file:") ? String(source.dropFirst("file:".count)) : source
            let shown = Text.printable(file, limit: 200)
            var status = stat()
            guard stat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size <= 4096,
                let text = try? String(contentsOfFile: file, encoding: .utf8)
            else {
                throw RosterError(.badKey, "cannot read the PIN file \(shown) that pin-source names: it must be a small regular file")
            }
            guard status.st_mode & 0o077 == 0 else {
                throw RosterError(.badKey, "the PIN file \(shown) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))): run chmod 600 on it")
            }
            // The first line, whatever ends it (a Windows "\r\n" too).
            return String(text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? "")
        }
        guard let pin = environment["ROSTER_PKCS11_PIN"] else {
            throw RosterError(.badKey, "the token needs its PIN: give pin-source=file:PATH in the URI, or set ROSTER_PKCS11_PIN")
        }
        return pin
    }
}
