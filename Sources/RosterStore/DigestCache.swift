import Foundation
import GRDB
import RosterCore

/// The state digest kept current between runs: the digest of every chunk of entries
/// (see `StateDigest`), in `digest_chunk`, and the clock they were taken at, in
/// `meta`. A digest at a later clock rehashes only the chunks that the operations
/// applied since then touched, so `status` under a stream of pushes costs what
/// changed, never the size of the roster.
struct DigestCache: Sendable {
    struct Chunk: Hashable, Sendable {
        let origin: String
        let index: Int64
    }

    /// The kept clock as stored, which a save must still find there (nil: none kept).
    let base: String?
    let clock: VectorClock
    let digest: String
    /// Chunks hashed anew: their digest, or nil where no entry is left in them.
    let changed: [Chunk: [UInt8]?]
    /// Every chunk was hashed anew: the kept ones are replaced.
    let full: Bool

    /// Whether saving it would keep anything new.
    var isNew: Bool { full || !changed.isEmpty || base != CanonicalJSON.string(clock.json) }
}

extension DatabaseReading {
    /// The state digest at this snapshot, from the kept chunks and those that changed
    /// since they were kept. `trustingRoot: false` recomputes the root from the
    /// chunks even when the kept one is at this clock: the audit's way.
    func keptDigest(trustingRoot: Bool = true) throws -> DigestCache {
        let clock = try clock()
        var stored: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key IN ('digest', 'digest.clock')") {
            if let key = row.text(0), let value = row.text(1) { stored[key] = value }
        }
        let base = stored["digest.clock"]
        if trustingRoot, base == CanonicalJSON.string(clock.json), let root = stored["digest"], Hex.isSHA256(root) {
            return DigestCache(base: base, clock: clock, digest: root, changed: [:], full: false)
        }
        // A kept clock this node has not reached, or cells it never wrote, are not a
        // base to build on: everything is hashed anew (audit names the edit).
        guard let base, let taken = try? VectorClock(json: JSONParser.parse(base)), clock.dominates(taken),
            var chunks = try? keptChunks()
        else {
            return try fullDigest(base: base, clock: clock)
        }
        var changed: [DigestCache.Chunk: [UInt8]?] = [:]
        for id in try changedEntryIDs(since: taken) {
            let chunk = DigestCache.Chunk(origin: id.origin, index: StateDigest.chunk(of: id.seq))
            guard changed.index(forKey: chunk) == nil else { continue }
            let entries = try self.entries(in: chunk)
            let digest = entries.isEmpty ? nil : StateDigest.chunkDigest(entries)
            changed[chunk] = .some(digest)
            chunks[chunk.origin, default: [:]][chunk.index] = digest
        }
        let origins = chunks.filter { !$0.value.isEmpty }
            .mapValues { StateDigest.originDigest($0.sorted { $0.key < $1.key }.map(\.value)) }
        return DigestCache(base: base, clock: clock, digest: StateDigest.rosterDigest(origins), changed: changed, full: false)
    }

    /// Every chunk hashed from the entry table.
    func fullDigest(base: String?, clock: VectorClock) throws -> DigestCache {
        var builder = StateDigest.Builder()
        var last: Dot?
        try entries(EntryFilter(includeRevoked: true)) { entry in
            // The table is ordered by its primary key; a file edited to break that is not ours.
            if let last, !(last < entry.id) { throw Cell.unreadable("the order of the entry table") }
            last = entry.id
            builder.add(entry)
        }
        var changed: [DigestCache.Chunk: [UInt8]?] = [:]
        for (origin, chunks) in builder.chunks() {
            for chunk in chunks { changed[DigestCache.Chunk(origin: origin, index: chunk.index)] = .some(chunk.digest) }
        }
        return DigestCache(base: base, clock: clock, digest: builder.finalize(), changed: changed, full: true)
    }

    /// The kept chunk digests, by origin and index; throws on a cell the node never wrote.
    func keptChunks() throws -> [String: [Int64: [UInt8]]] {
        var chunks: [String: [Int64: [UInt8]]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin, chunk, digest FROM digest_chunk") {
            guard let origin = row.text(0), Origin.isValid(origin), let index = row.integer(1), index >= 0,
                let digest = row.blob(2), digest.count == 32
            else { throw Cell.unreadable("a kept chunk digest") }
            chunks[origin, default: [:]][index] = digest
        }
        return chunks
    }

    /// The entries of one chunk, in seq order, through the primary key.
    func entries(in chunk: DigestCache.Chunk) throws -> [Entry] {
        let seqs = StateDigest.seqs(of: chunk.index)
        return try EntryRecord.fetchAll(db, sql: "SELECT \(EntryRecord.columns) FROM entry WHERE origin = ? AND seq BETWEEN ? AND ? ORDER BY seq",
                                        arguments: [chunk.origin, Int64(clamping: seqs.lowerBound), Int64(clamping: seqs.upperBound)])
            .map(\.entry)
    }

    /// Entries that operations applied after `clock` added, amended or revoked.
    func changedEntryIDs(since clock: VectorClock) throws -> Set<Dot> {
        var ids = Set<Dot>()
        for row in try Row.fetchAll(db, sql: "SELECT id, name, head_seq FROM origin") {
            guard let id = row.integer(0), let origin = row.text(1), let head = row.integer(2) else {
                throw Cell.unreadable("an origin row")
            }
            let from = Int64(clamping: clock[origin])
            guard head > from else { continue }
            let changes = try Row.fetchCursor(db, sql: "SELECT seq, target FROM operation WHERE origin_id = ? AND seq > ?",
                                              arguments: [id, from])
            while let change = try changes.next() {
                if let target = try change.optionalText(1, "an operation's target") {
                    ids.insert(try Dot(target))
                } else {
                    guard let seq = change.seq(0) else { throw Cell.unreadable("an operation's seq") }
                    ids.insert(Dot(origin: origin, seq: seq))
                }
            }
        }
        return ids
    }
}

extension Transaction {
    /// Keeps a digest taken from a snapshot, unless another process kept one since
    /// that snapshot's base: the chunks kept must always be those of the kept clock.
    func keep(_ cache: DigestCache) throws {
        let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'digest.clock'")
        guard stored == cache.base, cache.isNew else { return }
        if cache.full { try db.execute(sql: "DELETE FROM digest_chunk") }
        let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO digest_chunk (origin, chunk, digest) VALUES (?, ?, ?)")
        let delete = try db.cachedStatement(sql: "DELETE FROM digest_chunk WHERE origin = ? AND chunk = ?")
        for (chunk, digest) in cache.changed {
            if let digest {
                try upsert.execute(arguments: [chunk.origin, chunk.index, Data(digest)])
            } else {
                try delete.execute(arguments: [chunk.origin, chunk.index])
            }
        }
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('digest', ?), ('digest.clock', ?)",
                       arguments: [cache.digest, CanonicalJSON.string(cache.clock.json)])
    }
}
