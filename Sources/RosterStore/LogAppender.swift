import Foundation
import GRDB
import RosterCore

/// Appends leaves to the node's log inside one write transaction: the leaf's row,
/// its hash and the hashes of the subtrees it completes. The left siblings the next
/// leaves need (the tree's right frontier, at most one per level) are read once,
/// then kept in memory, so a transaction that writes a million operations reads no
/// hash back.
final class LogAppender {
    private var size: Int64?
    /// Stored hashes that a later leaf will pair with, by stored index.
    private var frontier: [Int64: MerkleTree.Hash] = [:]
    /// Leaf hashes computed ahead on every core (`Store.apply`), by dot: the writer
    /// then only pairs hashes.
    var leafHashes: [Dot: MerkleTree.Hash] = [:]

    /// Logs the operation just written at `position`, with its canonical text, whose
    /// leaf hash may have been computed ahead.
    func append(position: Int64, text: String, leafHash: MerkleTree.Hash? = nil, in db: Database) throws {
        let leaf = try loadedSize(db)
        let hash = leafHash ?? MerkleTree.leafHash(Array(text.utf8))
        let hashes = try MerkleTree.storedHashes(appending: leaf, leaf: hash) { indexes in
            try indexes.map { index in
                guard let hash = frontier.removeValue(forKey: index) else { throw Cell.unreadable("the log's hash \(index)") }
                return hash
            }
        }
        try db.cachedStatement(sql: "INSERT INTO log_leaf (leaf, position) VALUES (?, ?)").execute(arguments: [leaf, position])
        let insert = try db.cachedStatement(sql: "INSERT INTO log_hash (id, hash) VALUES (?, ?)")
        for (level, hash) in hashes.enumerated() {
            let index = MerkleTree.storedHashIndex(level: level, leaf >> level)
            try insert.execute(arguments: [index, Data(hash)])
            // A left child waits for its right sibling.
            if (leaf >> level) & 1 == 0 { frontier[index] = hash }
        }
        size = leaf + 1
    }

    /// The log's size, and its frontier read from the stored hashes, on first use.
    private func loadedSize(_ db: Database) throws -> Int64 {
        if let size { return size }
        let size = try db.logSize()
        let indexes = (0..<64).filter { size >> $0 & 1 == 1 }.map { MerkleTree.storedHashIndex(level: $0, (size >> $0) - 1) }
        for (index, hash) in zip(indexes, try db.logHashes(indexes)) { frontier[index] = hash }
        self.size = size
        return size
    }

    /// Logs every operation not logged yet, in the order applied: what a database
    /// made before the log holds, when the log is added to it.
    static func logEveryOperation(_ db: Database) throws {
        let appender = LogAppender()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT position, body FROM operation WHERE position > coalesce((SELECT max(position) FROM log_leaf), 0) ORDER BY position
            """)
        while let row = try rows.next() {
            guard let position = row.integer("position"), let body = row.text("body") else { throw Cell.unreadable("an operation row") }
            try appender.append(position: position, text: body, in: db)
        }
    }
}

extension Database {
    /// Leaves in the log.
    func logSize() throws -> Int64 {
        try Int64.fetchOne(self, sql: "SELECT coalesce(max(leaf) + 1, 0) FROM log_leaf") ?? 0
    }

    /// The stored hashes at `indexes`, in that order; throws if one is missing or not a hash.
    func logHashes(_ indexes: [Int64]) throws -> [MerkleTree.Hash] {
        guard !indexes.isEmpty else { return [] }
        var found: [Int64: MerkleTree.Hash] = [:]
        // At most a few hundred at a time (a tile, a proof), within SQLite's bound on parameters.
        for start in stride(from: 0, to: indexes.count, by: 500) {
            let slice = Array(indexes[start..<min(indexes.count, start + 500)])
            let records = try Cell.decoding("a hash of the log") {
                try LogHashRecord.filter(keys: slice).fetchAll(self)
            }
            for record in records where record.hash.count == 32 { found[record.id] = Array(record.hash) }
        }
        return try indexes.map { index in
            guard let hash = found[index] else { throw Cell.unreadable("the log's hash \(index)") }
            return hash
        }
    }
}
