import Foundation
import GRDB
import RosterCore

/// The state digest kept current between runs: the digest of every chunk of entries
/// (see `StateDigest`), in `digest_chunk`, and in `meta` the clock they were taken
/// at (`chunks.clock`), the roster digest they give (`chunks.digest`) and a
/// generation that `rebuild` advances (`chunks.generation`). A digest at a later
/// clock rehashes only the chunks that the operations applied since then touched,
/// so `status` under a stream of pushes costs what changed, never the roster.
struct DigestCache: Sendable {
    struct Chunk: Hashable, Sendable {
        let origin: String
        let index: Int64
    }

    /// What the kept chunks were taken from, as stored: a save must still find it
    /// there, or another process kept newer chunks, or a rebuild dropped them.
    struct Base: Equatable, Sendable {
        var clock: String?
        var generation: String?
    }

    /// The keys of what it keeps in `meta`.
    static let clockKey = "chunks.clock", digestKey = "chunks.digest", generationKey = "chunks.generation"

    /// Past this many operations since the kept clock, rehashing everything is
    /// cheaper than listing what changed (a first sync, an import).
    static let fullRehashAfter: UInt64 = 100_000

    let base: Base
    let clock: VectorClock
    let digest: String
    /// Chunks hashed anew: their digest, or `.none` where no entry is left in them.
    let changed: [Chunk: [UInt8]?]
    /// Every chunk was hashed anew: the kept ones are replaced.
    let full: Bool

    /// Whether saving it would keep anything new: a digest read straight from the
    /// kept root at the kept clock would not.
    var isNew: Bool { full || !changed.isEmpty || base.clock != CanonicalJSON.string(clock.json) }
}

extension DatabaseReading {
    /// The kept clock, root and generation, as stored.
    func keptMeta() throws -> (base: DigestCache.Base, root: String?) {
        var stored: [String: String] = [:]
        let kept = MetaRecord.filter(keys: [DigestCache.clockKey, DigestCache.digestKey, DigestCache.generationKey])
        for meta in try Cell.decoding("a meta row", { try kept.fetchAll(db) }) { stored[meta.key] = meta.value }
        return (DigestCache.Base(clock: stored[DigestCache.clockKey], generation: stored[DigestCache.generationKey]), stored[DigestCache.digestKey])
    }

    /// The state digest at this snapshot, from the kept chunks and those that changed
    /// since they were kept. `trustingRoot: false` recomputes the root from the
    /// chunks even when the kept one is at this clock: the audit's way.
    func keptDigest(trustingRoot: Bool = true) throws -> DigestCache {
        let clock = try clock()
        let (base, root) = try keptMeta()
        if trustingRoot, base.clock == CanonicalJSON.string(clock.json), let root, Hex.isSHA256(root) {
            return DigestCache(base: base, clock: clock, digest: root, changed: [:], full: false)
        }
        // A kept clock this node has not reached, or cells it never wrote, are not a
        // base to build on: everything is hashed anew (audit names the edit).
        guard let taken = base.clock.flatMap({ try? VectorClock(json: JSONParser.parse($0)) }), clock.dominates(taken),
            Self.operations(from: taken, to: clock) <= DigestCache.fullRehashAfter, var chunks = try? keptChunks()
        else {
            return try fullDigest(base: base, clock: clock)
        }
        var changed: [DigestCache.Chunk: [UInt8]?] = [:]
        for chunk in try changedChunks(since: taken) {
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
    func fullDigest(base: DigestCache.Base, clock: VectorClock) throws -> DigestCache {
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

    /// Each agency's digest (`StateDigest.agencyDigests`) from the kept chunks and
    /// those `cache` hashed anew: one row per 1,024 entries is read.
    func agencyDigests(_ cache: DigestCache) throws -> [String: String] {
        var chunks = cache.full ? [:] : try keptChunks()
        for (chunk, digest) in cache.changed { chunks[chunk.origin, default: [:]][chunk.index] = digest }
        let origins = chunks.filter { !$0.value.isEmpty }
            .mapValues { StateDigest.originDigest($0.sorted { $0.key < $1.key }.map(\.value)) }
        return StateDigest.agencyDigests(origins)
    }

    /// The chunks that operations applied after `clock` touched.
    func changedChunks(since clock: VectorClock) throws -> Set<DigestCache.Chunk> {
        Set(try changedEntryIDs(since: clock).map { DigestCache.Chunk(origin: $0.origin, index: StateDigest.chunk(of: $0.seq)) })
    }

    /// The kept chunk digests, by origin and index; throws on a cell the node never wrote.
    func keptChunks() throws -> [String: [Int64: [UInt8]]] {
        var chunks: [String: [Int64: [UInt8]]] = [:]
        for kept in try Cell.decoding("a kept chunk digest", { try DigestChunkRecord.fetchAll(db) }) {
            guard Origin.isValid(kept.origin), StateDigest.isChunk(kept.chunk), kept.digest.count == 32 else {
                throw Cell.unreadable("a kept chunk digest")
            }
            chunks[kept.origin, default: [:]][kept.chunk] = Array(kept.digest)
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

    /// Operations applied between two clocks, the later dominating the earlier.
    static func operations(from earlier: VectorClock, to later: VectorClock) -> UInt64 {
        later.counters.reduce(0) { sum, counter in
            let (total, overflow) = sum.addingReportingOverflow(counter.value - min(counter.value, earlier[counter.key]))
            return overflow ? .max : total
        }
    }
}

extension Transaction {
    /// Keeps a digest taken from a snapshot, unless the kept base moved since that
    /// snapshot (another process kept newer chunks, or a rebuild dropped them): the
    /// chunks kept must always be those of the kept clock.
    func keep(_ cache: DigestCache) throws {
        guard try keptMeta().base == cache.base, cache.isNew else { return }
        if cache.full { try DigestChunkRecord.deleteAll(db) }
        for (chunk, digest) in cache.changed {
            if let digest {
                try DigestChunkRecord(origin: chunk.origin, chunk: chunk.index, digest: Data(digest)).insert(db, onConflict: .replace)
            } else {
                try DigestChunkRecord.deleteOne(db, key: [DigestChunkRecord.CodingKeys.origin.rawValue: chunk.origin,
                                                          DigestChunkRecord.CodingKeys.chunk.rawValue: chunk.index])
            }
        }
        try MetaRecord(key: DigestCache.digestKey, value: cache.digest).insert(db, onConflict: .replace)
        try MetaRecord(key: DigestCache.clockKey, value: CanonicalJSON.string(cache.clock.json)).insert(db, onConflict: .replace)
    }

    /// Drops the kept digest and advances the generation, so that a digest taken
    /// from a snapshot before this transaction is never kept after it.
    func dropKeptDigest() throws {
        let generation = try keptMeta().base.generation.flatMap { Int($0) } ?? 0
        try MetaRecord.deleteAll(db)
        try DigestChunkRecord.deleteAll(db)
        try MetaRecord(key: DigestCache.generationKey, value: String(generation < Int.max ? generation + 1 : 0)).insert(db)
    }
}
