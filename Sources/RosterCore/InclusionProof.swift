/// What `roster prove` hands an auditor: an operation as the log logged it, its
/// leaf, and the audit path to the root of the log at some size; with the node's
/// signed checkpoint of that size when it is the current one. Checked offline
/// (`roster verify-proof`) with nothing but this file and, for the signature, the
/// node's replica key.
public struct InclusionProof: Sendable, Equatable {
    public let log: String
    public let index: Int64
    public let size: Int64
    public let root: [UInt8]
    /// The logged entry: the operation's canonical text.
    public let entry: String
    public let path: [MerkleTree.Hash]
    /// The signed checkpoint (a C2SP note) of `size`, if one was at hand.
    public let checkpoint: String?

    public static let format = "roster-inclusion-proof"

    public init(log: String, index: Int64, size: Int64, root: [UInt8], entry: String, path: [MerkleTree.Hash], checkpoint: String?) {
        self.log = log
        self.index = index
        self.size = size
        self.root = root
        self.entry = entry
        self.path = path
        self.checkpoint = checkpoint
    }

    public var json: JSON {
        var members: [String: JSON] = [
            "format": .string(Self.format), "v": 1, "log": .string(log), "index": .integer(index), "size": .integer(size),
            "root": .string(Base64.encode(root)), "entry": .string(entry), "proof": .array(path.map { .string(Base64.encode($0)) }),
        ]
        if let checkpoint { members["checkpoint"] = .string(checkpoint) }
        return .object(members)
    }

    public init(json: JSON) throws {
        func hash(_ value: JSON?) throws -> [UInt8] {
            guard let text = value?.string, let bytes = Base64.decode(text), bytes.count == 32 else {
                throw RosterError(.badInput, "an inclusion proof's root and path are base64 SHA-256 hashes")
            }
            return bytes
        }
        guard json["format"]?.string == Self.format, json["v"]?.integer == 1, let log = json["log"]?.string,
            let index = json["index"]?.integer, let size = json["size"]?.integer, let entry = json["entry"]?.string,
            let path = json["proof"]?.array, path.count <= 64
        else {
            throw RosterError(.badInput, "this is not a roster inclusion proof (format \(Self.format), v 1, as roster prove writes it)")
        }
        self.init(log: log, index: index, size: size, root: try hash(json["root"]), entry: entry, path: try path.map(hash),
                  checkpoint: json["checkpoint"]?.string)
    }

    /// Why the proof does not hold, or nil when the entry is leaf `index` of the
    /// tree of `size` whose root is `root`, and the checkpoint, if any, states that
    /// size and root for this log (and is signed by `key`, when given).
    public func failure(key: PublicKey? = nil) -> String? {
        guard MerkleTree.verifyInclusion(path, index: index, size: size, leaf: MerkleTree.leafHash(Array(entry.utf8)), root: root) else {
            return "the audit path does not lead from the entry to the root: the proof is altered, or not of this entry"
        }
        if let checkpoint {
            guard let note = try? SignedNote(parsing: checkpoint), let stated = try? Checkpoint(text: note.text) else {
                return "the checkpoint is not a signed checkpoint"
            }
            guard stated.origin == log, stated.size == size, stated.root == root else {
                return "the checkpoint states another log, size or root than the proof"
            }
            if let key, !note.isSigned(by: log, key: key) {
                return "the checkpoint is not signed by the key given"
            }
        } else if key != nil {
            return "the proof carries no checkpoint for the key to check: prove at the current size"
        }
        return nil
    }
}
