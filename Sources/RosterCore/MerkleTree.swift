/// The RFC 6962 (RFC 9162) Merkle tree of a node's log, kept as Go's `tlog` keeps
/// it: every hash of a complete subtree is stored once, at an index that depends
/// only on its level and position, so appending a leaf writes the leaf's hash and
/// the subtrees it completes, and never rehashes the log. Roots and proofs of any
/// earlier size are read back from those stored hashes. Pure: the caller reads and
/// writes the stored hashes (`read` is handed indexes in increasing order).
public enum MerkleTree {
    public typealias Hash = [UInt8]
    /// Reads the stored hashes at the positions given, in that order (by increasing stored index).
    public typealias Read = ([Position]) throws -> [Hash]

    /// A complete subtree: its level (0 for a leaf) and its place in that level.
    public struct Position: Hashable, Sendable {
        public let level: Int
        public let n: Int64

        public init(level: Int, n: Int64) {
            self.level = level
            self.n = n
        }

        /// Where Go's tlog stores it in one sequence (`storedHashIndex`).
        public var storedIndex: Int64 { MerkleTree.storedHashIndex(level: level, n) }
    }

    /// SHA-256(0x00 ‖ entry).
    public static func leafHash(_ entry: [UInt8]) -> Hash {
        SHA256Digest.of([0] + entry)
    }

    /// SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        SHA256Digest.of([1] + left + right)
    }

    /// The root of the empty tree: SHA-256 of nothing.
    public static let emptyRoot = SHA256Digest.of([])

    /// Where the hash of the subtree at `level` and position `n` is stored: level L's
    /// n'th hash right after level L+1's (2n+1)'th.
    public static func storedHashIndex(level: Int, _ n: Int64) -> Int64 {
        var n = n
        for _ in 0..<level { n = 2 * n + 1 }
        var index: Int64 = 0
        while n > 0 {
            index += n
            n >>= 1
        }
        return index + Int64(level)
    }

    /// How many hashes a tree of `size` leaves stores.
    public static func storedHashCount(size: Int64) -> Int64 {
        guard size > 0 else { return 0 }
        var count = storedHashIndex(level: 0, size - 1) + 1
        var n = size - 1
        while n & 1 == 1 {
            count += 1
            n >>= 1
        }
        return count
    }

    /// The hashes appending leaf `n` (with `leaf` its hash) stores, from
    /// `storedHashIndex(level: 0, n)` on: the leaf's, then each subtree it completes.
    public static func storedHashes(appending n: Int64, leaf: Hash, read: Read) throws -> [Hash] {
        let completed = (n + 1).trailingZeroBitCount
        let indexes = (0..<completed).reversed().map { level in Position(level: level, n: (n >> level) - 1) }
        let siblings = try read(indexes)
        guard siblings.count == completed else { throw MerkleError.missingHashes }
        var hashes = [leaf]
        var hash = leaf
        for level in 0..<completed {
            hash = nodeHash(siblings[completed - 1 - level], hash)
            hashes.append(hash)
        }
        return hashes
    }

    /// The root of the tree of the first `size` leaves.
    public static func root(size: Int64, read: Read) throws -> Hash {
        guard size > 0 else { return emptyRoot }
        var hashes = ArraySlice(try read(subtreeIndexes(0, size)))
        return try subtreeHash(0, size, &hashes)
    }

    /// The RFC 6962 audit path of leaf `index` in the tree of `size` leaves.
    public static func inclusionProof(index: Int64, size: Int64, read: Read) throws -> [Hash] {
        guard index >= 0, index < size else { throw MerkleError.outOfRange }
        var hashes = ArraySlice(try read(leafProofIndexes(0, size, index)))
        return try leafProof(0, size, index, &hashes)
    }

    /// The RFC 6962 consistency proof from the tree of `first` leaves to that of `second`.
    public static func consistencyProof(first: Int64, second: Int64, read: Read) throws -> [Hash] {
        guard first >= 1, first <= second else { throw MerkleError.outOfRange }
        var hashes = ArraySlice(try read(treeProofIndexes(0, second, first)))
        return try treeProof(0, second, first, &hashes)
    }

    /// Whether `proof` shows the leaf `leaf` at `index` in the tree of `size` leaves whose root is `root`.
    public static func verifyInclusion(_ proof: [Hash], index: Int64, size: Int64, leaf: Hash, root: Hash) -> Bool {
        guard index >= 0, index < size, proof.allSatisfy({ $0.count == 32 }) else { return false }
        return runLeafProof(proof[...], 0, size, index, leaf) == root
    }

    /// Whether `proof` shows the tree of `first` leaves (root `firstRoot`) a prefix of the
    /// tree of `second` leaves (root `secondRoot`): the log only grew between them.
    public static func verifyConsistency(_ proof: [Hash], first: Int64, firstRoot: Hash, second: Int64, secondRoot: Hash) -> Bool {
        guard first >= 1, first <= second, proof.allSatisfy({ $0.count == 32 }) else {
            return first == 0 && proof.isEmpty
        }
        guard let (old, new) = runTreeProof(proof[...], 0, second, first, firstRoot) else { return false }
        return old == firstRoot && new == secondRoot
    }

    // MARK: The recursions of RFC 6962 section 2.1, over stored hashes (after Go's tlog)

    /// The largest power of two below `n`, and its log.
    private static func largestPowerOfTwo(below n: Int64) -> (Int64, Int) {
        // The highest bit of n − 1: no loop, whatever size a proof file claims.
        guard n > 2 else { return (1, 0) }
        let level = 63 - (n - 1).leadingZeroBitCount
        return (Int64(1) << level, level)
    }

    /// The stored hashes that give the hash of leaves `lo..<hi`: its complete subtrees, left to right.
    private static func subtreeIndexes(_ lo: Int64, _ hi: Int64, _ need: [Position] = []) -> [Position] {
        var (lo, need) = (lo, need)
        while lo < hi {
            let (k, level) = largestPowerOfTwo(below: hi - lo + 1)
            need.append(Position(level: level, n: lo >> level))
            lo += k
        }
        return need
    }

    private static func subtreeHash(_ lo: Int64, _ hi: Int64, _ hashes: inout ArraySlice<Hash>) throws -> Hash {
        var (lo, count) = (lo, 0)
        while lo < hi {
            lo += largestPowerOfTwo(below: hi - lo + 1).0
            count += 1
        }
        let trees = hashes.prefix(count)
        guard trees.count == count, var hash = trees.last else { throw MerkleError.missingHashes }
        hashes = hashes.dropFirst(count)
        for tree in trees.dropLast().reversed() { hash = nodeHash(tree, hash) }
        return hash
    }

    private static func leafProofIndexes(_ lo: Int64, _ hi: Int64, _ n: Int64, _ need: [Position] = []) -> [Position] {
        guard lo + 1 < hi else { return need }
        let k = largestPowerOfTwo(below: hi - lo).0
        if n < lo + k {
            return subtreeIndexes(lo + k, hi, leafProofIndexes(lo, lo + k, n, need))
        }
        return leafProofIndexes(lo + k, hi, n, subtreeIndexes(lo, lo + k, need))
    }

    private static func leafProof(_ lo: Int64, _ hi: Int64, _ n: Int64, _ hashes: inout ArraySlice<Hash>) throws -> [Hash] {
        guard lo + 1 < hi else { return [] }
        let k = largestPowerOfTwo(below: hi - lo).0
        if n < lo + k {
            let proof = try leafProof(lo, lo + k, n, &hashes)
            return proof + [try subtreeHash(lo + k, hi, &hashes)]
        }
        let sibling = try subtreeHash(lo, lo + k, &hashes)
        return try leafProof(lo + k, hi, n, &hashes) + [sibling]
    }

    private static func runLeafProof(_ proof: ArraySlice<Hash>, _ lo: Int64, _ hi: Int64, _ n: Int64, _ leaf: Hash) -> Hash? {
        if lo + 1 == hi { return proof.isEmpty ? leaf : nil }
        guard let last = proof.last else { return nil }
        let k = largestPowerOfTwo(below: hi - lo).0
        if n < lo + k {
            return runLeafProof(proof.dropLast(), lo, lo + k, n, leaf).map { nodeHash($0, last) }
        }
        return runLeafProof(proof.dropLast(), lo + k, hi, n, leaf).map { nodeHash(last, $0) }
    }

    private static func treeProofIndexes(_ lo: Int64, _ hi: Int64, _ n: Int64, _ need: [Position] = []) -> [Position] {
        if n == hi { return lo == 0 ? need : subtreeIndexes(lo, hi, need) }
        let k = largestPowerOfTwo(below: hi - lo).0
        if n <= lo + k {
            return subtreeIndexes(lo + k, hi, treeProofIndexes(lo, lo + k, n, need))
        }
        return treeProofIndexes(lo + k, hi, n, subtreeIndexes(lo, lo + k, need))
    }

    private static func treeProof(_ lo: Int64, _ hi: Int64, _ n: Int64, _ hashes: inout ArraySlice<Hash>) throws -> [Hash] {
        if n == hi { return lo == 0 ? [] : [try subtreeHash(lo, hi, &hashes)] }
        let k = largestPowerOfTwo(below: hi - lo).0
        if n <= lo + k {
            let proof = try treeProof(lo, lo + k, n, &hashes)
            return proof + [try subtreeHash(lo + k, hi, &hashes)]
        }
        let sibling = try subtreeHash(lo, lo + k, &hashes)
        return try treeProof(lo + k, hi, n, &hashes) + [sibling]
    }

    /// The old and the new root the proof leads to.
    private static func runTreeProof(_ proof: ArraySlice<Hash>, _ lo: Int64, _ hi: Int64, _ n: Int64, _ old: Hash) -> (Hash, Hash)? {
        if n == hi {
            if lo == 0 { return proof.isEmpty ? (old, old) : nil }
            guard proof.count == 1, let only = proof.first else { return nil }
            return (only, only)
        }
        guard let last = proof.last else { return nil }
        let k = largestPowerOfTwo(below: hi - lo).0
        if n <= lo + k {
            guard let (oldRoot, newRoot) = runTreeProof(proof.dropLast(), lo, lo + k, n, old) else { return nil }
            return (oldRoot, nodeHash(newRoot, last))
        }
        guard let (oldRoot, newRoot) = runTreeProof(proof.dropLast(), lo + k, hi, n, old) else { return nil }
        return (nodeHash(last, oldRoot), nodeHash(last, newRoot))
    }
}

/// What goes wrong reading a log's stored hashes.
public enum MerkleError: Error, Equatable {
    /// An index or size outside the tree.
    case outOfRange
    /// The store gave fewer hashes than asked for.
    case missingHashes
}
