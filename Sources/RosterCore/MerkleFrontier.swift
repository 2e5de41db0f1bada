/// The right edge of an RFC 6962 tree being built leaf by leaf: one hash for each
/// perfect subtree its size decomposes into, largest first. *Why:* whoever reads a
/// log from its first leaf (an auditor, a bundle's check) gets the root at every
/// size it passes with at most 63 hashes held, whatever the log's length.
public struct MerkleFrontier: Sendable {
    private var subtrees: [(size: Int64, hash: MerkleTree.Hash)] = []
    public private(set) var size: Int64 = 0

    public init() {}

    public mutating func append(leafHash: MerkleTree.Hash) {
        var hash = leafHash
        var width: Int64 = 1
        while let last = subtrees.last, last.size == width {
            subtrees.removeLast()
            hash = MerkleTree.nodeHash(last.hash, hash)
            width <<= 1
        }
        subtrees.append((width, hash))
        size += 1
    }

    /// The tree's root at its current size.
    public var root: MerkleTree.Hash {
        guard var hash = subtrees.last?.hash else { return MerkleTree.emptyRoot }
        for subtree in subtrees.dropLast().reversed() { hash = MerkleTree.nodeHash(subtree.hash, hash) }
        return hash
    }
}
