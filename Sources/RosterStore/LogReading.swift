import GRDB
import RosterCore

/// Reads of the node's log: roots and proofs at any size it has had, the logged
/// entries, and the hashes of a tile (C2SP `tlog-tiles`, height 8).
extension DatabaseReading {
    func logRoot(size: Int64) throws -> MerkleTree.Hash {
        try logged { try MerkleTree.root(size: size, read: db.logHashes) }
    }

    func inclusionProof(index: Int64, size: Int64) throws -> [MerkleTree.Hash] {
        try logged { try MerkleTree.inclusionProof(index: index, size: size, read: db.logHashes) }
    }

    func consistencyProof(first: Int64, second: Int64) throws -> [MerkleTree.Hash] {
        guard first > 0 else { return [] }
        return try logged { try MerkleTree.consistencyProof(first: first, second: second, read: db.logHashes) }
    }

    /// The entries of leaves `from..<from+count` (fewer past the end), in leaf order.
    func logEntries(from leaf: Int64, count: Int) throws -> [String] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT l.leaf, coalesce(l.body, o.body) AS entry FROM log_leaf l LEFT JOIN operation o ON o.position = l.position
            WHERE l.leaf >= ? ORDER BY l.leaf LIMIT ?
            """, arguments: [leaf, count])
        return try rows.enumerated().map { offset, row in
            guard row.integer("leaf") == leaf + Int64(offset), let entry = row.text("entry") else {
                throw Cell.unreadable("leaf \(leaf + Int64(offset)) of the log")
            }
            return entry
        }
    }

    /// The leaf that logs the operation at `dot` as it stands. Leaves follow
    /// positions, one each, but for the few logged again after a key-event fork: the
    /// leaf lies between position − 1 and that plus the leaves beyond the operations.
    func logLeaf(of dot: Dot) throws -> Int64? {
        guard let position = try Int64.fetchOne(db, sql: "SELECT position FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?",
                                                arguments: [dot.origin, Int64(dot.seq)]) else { return nil }
        let extra = try db.logSize() - (Int64.fetchOne(db, sql: "SELECT coalesce(max(position), 0) FROM operation") ?? 0)
        return try Int64.fetchOne(db, sql: "SELECT leaf FROM log_leaf WHERE leaf BETWEEN ? AND ? AND position = ? AND body IS NULL",
                                  arguments: [position - 1, position - 1 + max(0, extra), position])
    }

    /// The hashes of tile `index` at tile level `level`: the tree's level 8·level,
    /// positions 256·index on, `width` of them.
    func tileHashes(level: Int, index: Int64, width: Int) throws -> [UInt8] {
        let stored = try db.logTile(level: level, index: index)
        guard stored.count >= width * 32 else { throw Cell.unreadable("the log's tile \(level)/\(index)") }
        return Array(stored.prefix(width * 32))
    }

    /// A proof or root asked of sizes the log has not had is the caller's mistake;
    /// a hash missing below its size is the database's.
    private func logged<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch MerkleError.outOfRange {
            throw RosterError(.unknownEntry, "no such leaf or size in this log: sizes run from 1 to the checkpoint's, and a consistency proof from the smaller")
        } catch MerkleError.missingHashes {
            throw Cell.unreadable("the log's hashes")
        }
    }
}
