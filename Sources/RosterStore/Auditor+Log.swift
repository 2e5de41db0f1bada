import GRDB
import RosterCore

extension Auditor {
    /// The log, against the operations: every operation is logged once as it stands,
    /// in the order applied (a leaf whose operation was swapped for the other side of
    /// a resolved key-event fork keeps its text, and the standing one follows as a new
    /// leaf), and every stored hash is what the leaves give, recomputed from them.
    /// `leaves` holds the leaf hash of each operation the main pass read, by position.
    static func auditLog(_ db: Database, leaves: LeafHashes, report: inout AuditReport) throws {
        var findings: [String] = []
        func find(_ finding: String) { if findings.count < 20 { findings.append(finding) } else if findings.count == 20 { findings.append("… and more in the log") } }
        let operations = try Int64.fetchOne(db, sql: "SELECT count(*) FROM operation") ?? 0
        let positions = try Int64.fetchOne(db, sql: "SELECT coalesce(max(position), 0) FROM operation") ?? 0
        var standing = [Bool](repeating: false, count: Int(clamping: max(0, min(positions, Int64(Int32.max)))) + 1)
        var rewritten: Set<Int64> = []
        var lastPosition: Int64 = 0
        var expectedLeaf: Int64 = 0
        var standingCount: Int64 = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT leaf, position, body FROM log_leaf ORDER BY leaf")
        var frontier: [MerkleTree.Position: MerkleTree.Hash] = [:]
        var recomputed: Int64 = 0
        /// A logged text to hash, or the leaf hash the main pass computed.
        var batch: [LeafInput] = []
        // The tiles the leaves give, filled as they go, each compared with the stored one.
        var tiles: [Int: (index: Int64, hashes: [UInt8])] = [:]
        var tilesCompared = 0
        func compare(level: Int, index: Int64, _ hashes: [UInt8]) throws {
            tilesCompared += 1
            // A cell edited to another type reads as no tile: a finding too.
            if (try? db.logTile(level: level, index: index)) != hashes {
                find("the log's tile \(level)/\(index) is not what its leaves give: the log was edited")
            }
        }

        // Recomputes the hashes of a batch of leaves (leaf hashes on every core) and
        // compares each tile with the stored one as it fills.
        func flush() throws {
            let leafHashes = CPUWork.map(batch, chunk: 512) { item -> MerkleTree.Hash in
                switch item {
                case .text(let text): return MerkleTree.leafHash(Array(text.utf8))
                case .hash(let hash): return hash
                }
            }
            for leafHash in leafHashes {
                let leaf = recomputed
                recomputed += 1
                guard let computed = try? MerkleTree.storedHashes(appending: leaf, leaf: leafHash, read: { positions in
                    try positions.map { position in
                        guard let hash = frontier.removeValue(forKey: position) else { throw MerkleError.missingHashes }
                        return hash
                    }
                }) else { return find("the log's hashes cannot be recomputed at leaf \(leaf)") }
                for (level, hash) in computed.enumerated() {
                    let position = MerkleTree.Position(level: level, n: leaf >> level)
                    if position.n & 1 == 0 { frontier[position] = hash }
                    guard level % LogTile.height == 0 else { continue }
                    let tileLevel = level / LogTile.height
                    let index = position.n / Int64(LogTile.width)
                    var tile = tiles[tileLevel] ?? (index, [])
                    if tile.index != index { tile = (index, []) }
                    tile.hashes += hash
                    if tile.hashes.count == LogTile.width * 32 {
                        try compare(level: tileLevel, index: index, tile.hashes)
                        tile = (index + 1, [])
                    }
                    tiles[tileLevel] = tile
                }
            }
            batch.removeAll(keepingCapacity: true)
        }

        while let row = try rows.next() {
            guard let leaf = row.integer("leaf"), let position = row.integer("position") else {
                find("a leaf row of the log has a cell of the wrong type: the log was edited")
                continue
            }
            if leaf != expectedLeaf { find("the log skips from leaf \(expectedLeaf) to \(leaf): a leaf was deleted") }
            expectedLeaf = leaf + 1
            let logged = row.isNull("body") ? nil : row.text("body")
            guard let entry = logged.map(LeafInput.text) ?? leaves.hash(at: position).map(LeafInput.hash) else {
                find("leaf \(leaf) of the log names operation position \(position), which the node does not hold: an operation was deleted")
                continue
            }
            if logged != nil {
                rewritten.insert(position)
            } else {
                // The standing operation's leaf: one per operation, in the order applied, but
                // for one logged again after a fork resolved the other way.
                if position >= 1 && position < Int64(standing.count) {
                    if standing[Int(position)] { find("operation position \(position) is logged twice as it stands") }
                    standing[Int(position)] = true
                }
                if !rewritten.contains(position) {
                    if position <= lastPosition { find("leaf \(leaf) logs operation position \(position) after \(lastPosition): the log was reordered") }
                    lastPosition = position
                }
                standingCount += 1
            }
            batch.append(entry)
            if batch.count == 4096 { try flush() }
        }
        try flush()
        if standingCount != operations {
            find("the log holds \(standingCount) operations as they stand, the node \(operations): an operation is missing from the log")
        }
        for (level, tile) in tiles where !tile.hashes.isEmpty { try compare(level: level, index: tile.index, tile.hashes) }
        if try (Int.fetchOne(db, sql: "SELECT count(*) FROM log_tile") ?? 0) != tilesCompared {
            find("the log stores tiles its leaves do not give: the log was edited")
        }
        // The checkpoints the node signed: each by its replica, of a size the log had,
        // with the root the log had at that size.
        // They only grow, one after another: none dropped, none reordered.
        let logSize = try db.logSize()
        var previous: (id: Int64, size: Int64, time: String)?
        for row in try Row.fetchAll(db, sql: "SELECT id, size, time, note FROM log_checkpoint ORDER BY id") {
            let id = row.integer("id") ?? 0
            if let previous, id != previous.id &+ 1 {
                find("checkpoint \(previous.id &+ 1) is missing from the checkpoints this node signed: the checkpoint table was edited")
            }
            guard let text = row.text("note"), let note = try? SignedNote(parsing: text), let checkpoint = try? Checkpoint(text: note.text),
                let replica = Checkpoint.replica(ofLog: checkpoint.origin),
                let signer = try Row.fetchOne(db, sql: "SELECT coalesce(log_key, public_key) AS key FROM origin WHERE name = ?", arguments: [replica]),
                let raw = signer.blob("key"),
                let key = try? PublicKey(raw: raw), note.isSigned(by: checkpoint.origin, key: key)
            else {
                find("checkpoint \(id) is not a checkpoint signed by this node's replica: the checkpoint table was edited")
                continue
            }
            let time = checkpoint.time?.description ?? ""
            if let previous, checkpoint.size < previous.size || time < previous.time {
                find("checkpoint \(id) states a smaller log or an earlier time than the one before it: the checkpoints were edited")
            }
            previous = (id, checkpoint.size, time)
            guard checkpoint.size <= logSize, row.integer("size") == checkpoint.size, row.text("time") == time,
                (try? MerkleTree.root(size: checkpoint.size, read: db.logHashes)) == checkpoint.root
            else {
                find("checkpoint \(id) states size \(checkpoint.size) with a root the log does not have at that size: the log was rewritten")
                continue
            }
        }
        report.findings += findings
    }
}

extension Auditor {
    /// Each proof that a node showed two histories must hold (two checkpoints of one
    /// size, two roots, both signed by the key its agency enrolled); each is a finding.
    static func auditLogConflicts(_ db: Database, trust: Trust, report: inout AuditReport) throws {
        for row in try Row.fetchAll(db, sql: "SELECT origin, first, second FROM log_conflict") {
            guard let origin = row.text("origin"), let first = row.text("first").flatMap({ try? SignedNote(parsing: $0) }),
                let second = row.text("second").flatMap({ try? SignedNote(parsing: $0) })
            else {
                report.findings.append("a log conflict row does not hold two signed checkpoints: the log_conflict table was edited")
                continue
            }
            guard let key = Checkpoint.replica(ofLog: origin).flatMap({ trust.replicas[$0]?.logKey }) else {
                report.findings.append("a proof that \(origin) showed two histories is kept, but this node holds no key of it to check the proof with")
                continue
            }
            let conflict = LogConflict(origin: origin, first: first, second: second)
            report.findings.append(conflict.holds(key: key) ? conflict.description
                : "the log conflict kept for \(origin) proves nothing: the log_conflict table was edited")
        }
    }
}

/// A leaf to hash, or its hash already computed.
enum LeafInput: Sendable {
    case text(String)
    case hash(MerkleTree.Hash)
}

/// The leaf hash of each stored operation, by position, in one flat buffer: 32 bytes
/// an operation, without an allocation each.
struct LeafHashes {
    private var bytes: [UInt8]
    private var present: [Bool]

    init(positions: Int64) {
        let count = Int(clamping: max(0, min(positions, Int64(Int32.max)))) + 1
        bytes = [UInt8](repeating: 0, count: count * 32)
        present = [Bool](repeating: false, count: count)
    }

    mutating func set(_ hash: MerkleTree.Hash, at position: Int64) {
        guard position >= 0, position < Int64(present.count), hash.count == 32 else { return }
        let offset = Int(position) * 32
        bytes.replaceSubrange(offset..<offset + 32, with: hash)
        present[Int(position)] = true
    }

    func hash(at position: Int64) -> MerkleTree.Hash? {
        guard position >= 0, position < Int64(present.count), present[Int(position)] else { return nil }
        let offset = Int(position) * 32
        return Array(bytes[offset..<offset + 32])
    }
}
