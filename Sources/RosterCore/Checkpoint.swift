/// A C2SP `tlog-checkpoint`: the origin line naming the log, the tree size, the
/// base64 root hash, then extension lines. A node's checkpoint carries the time it
/// was signed (`time RFC3339`) and each agency's digest of the roster at that size
/// (`digest AGENCY HEX`), and is signed by the node's replica key as a C2SP signed
/// note whose key name is the origin line.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: Int64
    public let root: [UInt8]
    public let extensions: [String]

    public init(origin: String, size: Int64, root: [UInt8], extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// A node's log origin: `roster/AGENCY/REPLICA`, unique because replica origins
    /// are, and free of spaces and `+`, as a note key name must be.
    public static func origin(of replicaOrigin: String) -> String {
        "roster/" + replicaOrigin
    }

    /// The replica origin whose key signs the log `origin`, if it is a node's.
    public static func replica(ofLog origin: String) -> String? {
        guard origin.hasPrefix("roster/") else { return nil }
        let replica = String(origin.dropFirst("roster/".count))
        return Origin.isValid(replica) && !Origin.isAgencyOrigin(replica) ? replica : nil
    }

    /// The note text: each line ending in a newline.
    public var text: String {
        ([origin, String(size), Base64.encode(root)] + extensions).map { $0 + "\n" }.joined()
    }

    /// The checkpoint's time, if its `time` extension line holds one.
    public var time: Timestamp? {
        extensions.lazy.compactMap { line -> Timestamp? in
            guard line.hasPrefix("time ") else { return nil }
            return try? Timestamp(String(line.dropFirst(5)))
        }.first
    }

    /// Each agency's digest the checkpoint names (`digest AGENCY HEX` lines).
    public var digests: [String: String] {
        var digests: [String: String] = [:]
        for line in extensions where line.hasPrefix("digest ") {
            let words = line.split(separator: " ")
            if words.count == 3, Hex.isSHA256(String(words[2])) { digests[String(words[1])] = String(words[2]) }
        }
        return digests
    }

    /// Reads a checkpoint from a note's text.
    public init(text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", let size = Int64(lines[1]), size >= 0, String(size) == lines[1],
            let root = Base64.decode(String(lines[2])), root.count == 32, !lines[0].isEmpty
        else {
            throw RosterError(.badInput, "a checkpoint is an origin line, a tree size and a base64 SHA-256 root, each on its own line")
        }
        self.init(origin: String(lines[0]), size: size, root: root, extensions: lines.dropFirst(3).dropLast().map(String.init))
    }
}
