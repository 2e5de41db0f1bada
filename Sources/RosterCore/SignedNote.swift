/// A C2SP signed note: text, a blank line, then signature lines `— NAME BASE64`,
/// where BASE64 holds the key's 4-byte id and the signature. The text is what is
/// signed, newline included. Ed25519 only (key id: the first four bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)), as Go's `golang.org/x/mod/sumdb/note`
/// signs and checks it, so that tools that are not Roster verify a node's checkpoints.
public struct SignedNote: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public let name: String
        public let keyID: UInt32
        public let bytes: [UInt8]

        public init(name: String, keyID: UInt32, bytes: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.bytes = bytes
        }

        /// The signature's line, `— NAME BASE64`, with its newline.
        public var line: String { "— \(name) \(Base64.encode(SignedNote.bytes(of: keyID) + bytes))\n" }
    }

    public let text: String
    public let signatures: [Signature]

    /// A note, its signatures and their lines together may not pass this size,
    /// nor carry more signatures than `maximumSignatures`: a peer sends them.
    public static let maximumSize = 64 << 10
    public static let maximumSignatures = 100

    /// The algorithm byte of an Ed25519 note key.
    static let ed25519: UInt8 = 1

    public init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` (lines, each ending in a newline) as `name` with `key`.
    public static func sign(_ text: String, name: String, key: ReplicaKey) throws -> SignedNote {
        try checkText(text)
        try checkName(name)
        guard key.suite == .ed25519 else {
            throw RosterError(.badKey, "a signed note is signed with an Ed25519 key, not \(key.suite.rawValue): sign checkpoints with the log key")
        }
        let signature = Signature(name: name, keyID: keyID(name: name, key: key.publicKey), bytes: try key.sign(Array(text.utf8)))
        return SignedNote(text: text, signatures: [signature])
    }

    /// The 4-byte id of an Ed25519 note key.
    public static func keyID(name: String, key: PublicKey) -> UInt32 {
        let hash = SHA256Digest.of(Array(name.utf8) + [0x0A, ed25519] + key.raw)
        return hash.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The verifier key as Go's note package and C2SP write it: `NAME+KEYID+BASE64`.
    public static func verifierKey(name: String, key: PublicKey) -> String {
        "\(name)+\(hex8(keyID(name: name, key: key)))+\(Base64.encode([ed25519] + key.raw))"
    }

    /// Whether a signature by `name` verifies with `key`. Only the first line of that
    /// name and key id is checked: a note padded with a hundred false ones costs one check.
    public func isSigned(by name: String, key: PublicKey) -> Bool {
        let id = Self.keyID(name: name, key: key)
        guard key.suite == .ed25519, let signature = signatures.first(where: { $0.name == name && $0.keyID == id }) else { return false }
        return (try? key.isValidSignature(signature.bytes, for: Array(text.utf8))) ?? false
    }

    /// The note with only `name`'s signature, if it verifies with `key`: what is kept
    /// of a note a peer sent, so that nobody's padding is stored or passed on.
    public func signed(by name: String, key: PublicKey) -> SignedNote? {
        let id = Self.keyID(name: name, key: key)
        guard isSigned(by: name, key: key), let signature = signatures.first(where: { $0.name == name && $0.keyID == id }) else { return nil }
        return SignedNote(text: text, signatures: [signature])
    }

    /// Adds another signer's signature (a cosignature), keeping the text.
    public func adding(_ signature: Signature) -> SignedNote {
        SignedNote(text: text, signatures: signatures.filter { $0.name != signature.name || $0.keyID != signature.keyID } + [signature])
    }

    /// The note as it travels: text, a blank line, one line per signature.
    public var serialized: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Reads a note; refuses one too large, without a signature, or with a line
    /// that is not one.
    public init(parsing serialized: String) throws {
        guard serialized.utf8.count <= Self.maximumSize else {
            throw RosterError(.badInput, "a signed note is larger than \(Self.maximumSize) bytes")
        }
        guard let split = serialized.range(of: "\n\n", options: .backwards) else {
            throw RosterError(.badInput, "a signed note needs its text, a blank line and a signature line")
        }
        let text = String(serialized[..<split.lowerBound]) + "\n"
        try Self.checkText(text)
        let lines = serialized[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "", lines.count >= 2, lines.count - 1 <= Self.maximumSignatures else {
            throw RosterError(.badInput, "a signed note needs between 1 and \(Self.maximumSignatures) signature lines, each ending in a newline")
        }
        var signatures: [Signature] = []
        for line in lines.dropLast() {
            let words = line.split(separator: " ", omittingEmptySubsequences: false)
            guard words.count == 3, words[0] == "—", let bytes = Base64.decode(String(words[2])), bytes.count > 4 else {
                throw RosterError(.badInput, "\"\(Text.printable(String(line), limit: 80))\" is not a signature line (— NAME BASE64)")
            }
            try Self.checkName(String(words[1]))
            signatures.append(Signature(name: String(words[1]), keyID: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) },
                                        bytes: Array(bytes.dropFirst(4))))
        }
        self.init(text: text, signatures: signatures)
    }

    /// A note's text: non-empty lines of printable text, each ending in a newline.
    static func checkText(_ text: String) throws {
        guard text.hasSuffix("\n"), !text.hasPrefix("\n"), !text.contains("\n\n"),
            text.unicodeScalars.allSatisfy({ $0 == "\n" || ($0.value >= 0x20 && $0.value != 0x7F) })
        else {
            throw RosterError(.badInput, "a signed note's text must be non-empty lines of printable text, each ending in a newline")
        }
    }

    /// A key name: no spaces and no plus sign.
    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("+"), name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !$0.properties.isWhitespace }) else {
            throw RosterError(.badInput, "\"\(Text.printable(name, limit: 80))\" is not a note key name: it needs printable characters without spaces or +")
        }
    }

    static func bytes(of id: UInt32) -> [UInt8] {
        [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
    }

    static func hex8(_ id: UInt32) -> String {
        Hex.encode(bytes(of: id))
    }
}
