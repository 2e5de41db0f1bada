import Foundation
import GRDB
import RosterCore

/// Appends leaves to the node's log inside one write transaction. The hashes a
/// later leaf pairs with (the tree's right frontier, one per level at most) and the
/// tiles being filled at the right edge are held in memory: a full tile is written
/// once, when it fills, and the partial ones when the transaction ends (`flush`),
/// so a transaction that writes a million operations writes each hash once and
/// reads none back.
final class LogAppender {
    private var size: Int64?
    /// Stored hashes that a later leaf will pair with.
    private var frontier: [MerkleTree.Position: MerkleTree.Hash] = [:]
    /// The tile being filled at each tile level: its index and its hashes so far.
    private var edge: [Int: (index: Int64, hashes: [UInt8])] = [:]
    /// Tile levels whose edge tile changed since the last `flush`.
    private var changed: Set<Int> = []
    /// The first leaf this transaction appended, if any.
    private(set) var firstAppended: Int64?
    /// Leaf hashes computed ahead on every core (`Store.apply`), by dot, with the text
    /// each was computed from: the writer then only pairs hashes. Another operation at
    /// the same dot (a fork, one that waited) is hashed when it is applied.
    var leafHashes: [Dot: (text: String, hash: MerkleTree.Hash)] = [:]

    /// The leaf hash computed ahead for `operation`, if it was this operation's.
    func takeLeafHash(of operation: SignedOperation) -> MerkleTree.Hash? {
        guard let ahead = leafHashes.removeValue(forKey: operation.dot), ahead.text == operation.text else { return nil }
        return ahead.hash
    }

    /// Logs the operation just written at `position`, with its canonical text, whose
    /// leaf hash may have been computed ahead.
    func append(position: Int64, text: String, leafHash: MerkleTree.Hash? = nil, in db: Database) throws {
        let leaf = try loaded(db)
        let hash = leafHash ?? MerkleTree.leafHash(Array(text.utf8))
        let hashes = try MerkleTree.storedHashes(appending: leaf, leaf: hash) { positions in
            try positions.map { position in
                guard let hash = frontier.removeValue(forKey: position) else { throw Cell.unreadable("the log's right edge") }
                return hash
            }
        }
        try db.cachedStatement(sql: "INSERT INTO log_leaf (leaf, position) VALUES (?, ?)").execute(arguments: [leaf, position])
        if firstAppended == nil { firstAppended = leaf }
        for (level, hash) in hashes.enumerated() {
            let position = MerkleTree.Position(level: level, n: leaf >> level)
            // A left child waits for its right sibling.
            if position.n & 1 == 0 { frontier[position] = hash }
            if level % LogTile.height == 0 { try add(hash, at: position, in: db) }
        }
        size = leaf + 1
    }

    /// Writes the tiles at the right edge as they stand: at the end of every
    /// transaction that appended.
    func flush(_ db: Database) throws {
        for level in changed.sorted() {
            guard let tile = edge[level], !tile.hashes.isEmpty else { continue }
            try LogTileRecord(level: level, index: tile.index, hashes: Data(tile.hashes)).insert(db, onConflict: .replace)
        }
        changed.removeAll()
    }

    /// A hash of a tile level's tree level joins its tile; a full tile is written.
    private func add(_ hash: MerkleTree.Hash, at position: MerkleTree.Position, in db: Database) throws {
        let level = position.level / LogTile.height
        let index = position.n / Int64(LogTile.width)
        var tile = edge[level] ?? (index, [])
        if tile.index != index { tile = (index, []) }
        tile.hashes += hash
        if tile.hashes.count == LogTile.width * 32 {
            try LogTileRecord(level: level, index: index, hashes: Data(tile.hashes)).insert(db, onConflict: .replace)
            edge[level] = (index + 1, [])
            changed.remove(level)
        } else {
            edge[level] = tile
            changed.insert(level)
        }
    }

    /// The log's size, its frontier and its edge tiles, read on first use.
    private func loaded(_ db: Database) throws -> Int64 {
        if let size { return size }
        let size = try db.logSize()
        let positions = (0..<63).filter { size >> $0 & 1 == 1 }.map { MerkleTree.Position(level: $0, n: (size >> $0) - 1) }
        for (position, hash) in zip(positions, try db.logHashes(positions)) { frontier[position] = hash }
        for level in 0..<8 {
            let count = size >> (level * LogTile.height)
            guard count > 0 else { break }
            let index = count / Int64(LogTile.width)
            let width = Int(count % Int64(LogTile.width))
            let stored = width == 0 ? [] : try db.logTile(level: level, index: index)
            guard stored.count >= width * 32 else { throw Cell.unreadable("the log's tile \(level)/\(index)") }
            edge[level] = (index, Array(stored.prefix(width * 32)))
        }
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
        try appender.flush(db)
    }
}

extension Database {
    /// Leaves in the log.
    func logSize() throws -> Int64 {
        try Int64.fetchOne(self, sql: "SELECT coalesce(max(leaf) + 1, 0) FROM log_leaf") ?? 0
    }

    /// The hashes stored in one tile (empty if there is none).
    func logTile(level: Int, index: Int64) throws -> [UInt8] {
        try Cell.decoding("a tile of the log") {
            try LogTileRecord.fetchOne(self, key: LogTileRecord.id(level: level, index: index)).map { Array($0.hashes) } ?? []
        }
    }

    /// The hashes of the complete subtrees at `positions`, in that order: read from
    /// the tile of their tile level, or paired up from the tile below for the levels
    /// in between. Throws if one is missing.
    func logHashes(_ positions: [MerkleTree.Position]) throws -> [MerkleTree.Hash] {
        var tiles: [Int64: [UInt8]] = [:]
        return try positions.map { position in
            let tileLevel = position.level / LogTile.height
            let above = position.level % LogTile.height
            // The subtree covers 2^above hashes of the tile level, all in one tile.
            let first = position.n << above
            let count = 1 << above
            let index = first / Int64(LogTile.width)
            let id = LogTileRecord.id(level: tileLevel, index: index)
            let tile = try tiles[id] ?? logTile(level: tileLevel, index: index)
            tiles[id] = tile
            let offset = Int(first % Int64(LogTile.width)) * 32
            guard tile.count >= offset + count * 32 else { throw Cell.unreadable("the log's tile \(tileLevel)/\(index)") }
            var hashes = (0..<count).map { Array(tile[offset + $0 * 32..<offset + ($0 + 1) * 32]) }
            while hashes.count > 1 {
                hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleTree.nodeHash(hashes[$0], hashes[$0 + 1]) }
            }
            return hashes[0]
        }
    }
}
