import RosterCore

/// The node's log, as its auditors read it (see `LogAppender`, `LogReading`).
extension Store {
    /// What a checkpoint states, read from one snapshot: the log's size and root,
    /// and each agency's digest of the roster those operations give.
    public struct LogHead: Sendable {
        public let size: Int64
        public let root: [UInt8]
        public let digests: [String: String]
    }

    public func logHead() async throws -> LogHead {
        try await read { snapshot in
            let size = try snapshot.db.logSize()
            return LogHead(size: size, root: try snapshot.logRoot(size: size), digests: try snapshot.agencyDigests(try snapshot.keptDigest()))
        }
    }

    /// The log's root at an earlier `size`.
    public func logRoot(size: Int64) async throws -> [UInt8] {
        try await read { snapshot in
            guard size <= (try snapshot.db.logSize()) else { throw Self.beyondLog(size) }
            return try snapshot.logRoot(size: size)
        }
    }

    public func inclusionProof(index: Int64, size: Int64) async throws -> [MerkleTree.Hash] {
        try await read { snapshot in
            guard size <= (try snapshot.db.logSize()) else { throw Self.beyondLog(size) }
            return try snapshot.inclusionProof(index: index, size: size)
        }
    }

    public func consistencyProof(first: Int64, second: Int64) async throws -> [MerkleTree.Hash] {
        try await read { snapshot in
            guard second <= (try snapshot.db.logSize()) else { throw Self.beyondLog(second) }
            return try snapshot.consistencyProof(first: first, second: second)
        }
    }

    /// The leaf that logs the operation at `dot` as it stands, if the node holds it.
    public func logLeaf(of dot: Dot) async throws -> Int64? {
        try await read { try $0.logLeaf(of: dot) }
    }

    /// Entries of leaves `from..<from+count`, fewer past the end.
    public func logEntries(from leaf: Int64, count: Int) async throws -> [String] {
        try await read { try $0.logEntries(from: leaf, count: count) }
    }

    /// The bytes of a tile, or nil while the log is too small to hold it: hashes
    /// concatenated, or for an entry bundle each entry as a big-endian 16-bit
    /// length and its bytes.
    public func tile(_ tile: LogTile) async throws -> [UInt8]? {
        try await read { snapshot in
            let size = try snapshot.db.logSize()
            let (start, overflow) = tile.index.multipliedReportingOverflow(by: Int64(LogTile.width))
            // What the log holds at the tile's level, compared without adding to a stranger's number.
            let available = size >> ((tile.level ?? 0) * LogTile.height)
            guard !overflow, start <= available, available - start >= Int64(tile.width) else { return nil }
            guard let level = tile.level else {
                return try EntryBundle.encode(snapshot.logEntries(from: start, count: tile.width).map { Array($0.utf8) }, firstLeaf: start)
            }
            return try snapshot.tileHashes(level: level, index: tile.index, width: tile.width)
        }
    }

    static func beyondLog(_ size: Int64) -> RosterError {
        RosterError(.unknownEntry, "this log has not reached size \(size) yet: ask for its checkpoint first")
    }
}

extension Node {
    /// The node's log origin (`Checkpoint.origin(of:)`).
    public var logOrigin: String { Checkpoint.origin(of: identity.origin) }

    /// Signs a checkpoint of the log as it stands now with the replica's log key, and keeps
    /// it as the latest (unless `keeping` is false: `keep` does, once witnesses have
    /// cosigned it): what the node states, at which size, and when.
    public func checkpoint(keeping: Bool = true) async throws -> SignedNote {
        let (origin, key) = (logOrigin, replica.logKey)
        // The digests are hashed and kept first, from a snapshot: inside the write, the
        // kept chunks then serve, and the writer is not held while a roster is rehashed.
        _ = try await store.digests()
        return try await store.write { transaction in
            let snapshot = Snapshot(db: transaction.db)
            let size = try transaction.db.logSize()
            let root = try snapshot.logRoot(size: size)
            let digests = try snapshot.agencyDigests(try snapshot.keptDigest())
            let extensions = ["time \(transaction.now)"] + digests.sorted { $0.key < $1.key }.map { "digest \($0.key) \($0.value)" }
            let note = try SignedNote.sign(Checkpoint(origin: origin, size: size, root: root, extensions: extensions).text, name: origin, key: key)
            if keeping {
                var record = LogCheckpointRecord(size: size, time: transaction.now.description, note: note.serialized)
                try record.insert(transaction.db)
            }
            return note
        }
    }

    /// Keeps a checkpoint signed earlier (`checkpoint(keeping: false)`), with the
    /// cosignatures gathered since, as the latest: unless one of a later time or a
    /// larger size was kept meanwhile, for the kept ones only grow. Whether it was kept.
    @discardableResult
    public func keep(_ note: SignedNote) async throws -> Bool {
        let checkpoint = try Checkpoint(text: note.text)
        let time = checkpoint.time?.description ?? ""
        return try await store.write { transaction in
            if let latest = try LogCheckpointRecord.order(LogCheckpointRecord.CodingKeys.id.desc).fetchOne(transaction.db),
                latest.size > checkpoint.size || latest.time > time {
                return false
            }
            var record = LogCheckpointRecord(size: checkpoint.size, time: time, note: note.serialized)
            try record.insert(transaction.db)
            return true
        }
    }

    /// The latest checkpoint this node signed, if it signed one.
    public func latestCheckpoint() async throws -> SignedNote? {
        let latest = try await store.read { try LogCheckpointRecord.order(LogCheckpointRecord.CodingKeys.id.desc).fetchOne($0.db) }
        return try latest.map { try SignedNote(parsing: $0.note) }
    }
}
