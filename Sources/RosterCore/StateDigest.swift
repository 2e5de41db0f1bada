import Crypto

/// One hash that two nodes compare to know they hold the same roster. It is built in
/// three levels so that a node keeps it current by rehashing only what changed, never
/// the whole roster:
///
/// - a **chunk**: the entries of one origin whose seq falls in one run of
///   `chunkSize` seqs (chunk `k` holds seqs `k·1024+1 … (k+1)·1024`): SHA-256 over
///   their canonical JSON, one per line, in seq order; a chunk with no entry is absent;
/// - an **origin**: SHA-256 over the 32-byte digests of its chunks, in chunk order;
/// - the **roster**: SHA-256 over a line
///   `origin SP hex(origin digest) LF` per origin holding entries, in byte order of origin.
///
/// Revoked entries are included with their `revoked` member. Expiry does not enter
/// it, so the digest does not depend on the day it is taken.
public enum StateDigest {
    public static let chunkSize: UInt64 = 1024

    /// The chunk an entry falls in.
    public static func chunk(of seq: UInt64) -> Int64 { Int64((max(seq, 1) - 1) / chunkSize) }

    /// Whether `index` is a chunk some seq falls in (seqs are stored as Int64).
    public static func isChunk(_ index: Int64) -> Bool { index >= 0 && index <= Int64.max / Int64(chunkSize) }

    /// The seqs of chunk `index`, first and last; an index that is no chunk is clamped to one.
    public static func seqs(of index: Int64) -> ClosedRange<UInt64> {
        let first = UInt64(min(max(index, 0), Int64.max / Int64(chunkSize))) * chunkSize + 1
        return first...(first + chunkSize - 1)
    }

    /// A chunk's digest from its entries in seq order.
    public static func chunkDigest(_ entries: some Sequence<Entry>) -> [UInt8] {
        var hasher = SHA256()
        for entry in entries {
            hasher.update(data: entry.canonicalBytes())
            hasher.update(data: [0x0A])
        }
        return Array(hasher.finalize())
    }

    /// An origin's digest from its chunks' digests in chunk order.
    public static func originDigest(_ chunks: some Sequence<[UInt8]>) -> [UInt8] {
        var hasher = SHA256()
        for chunk in chunks { hasher.update(data: chunk) }
        return Array(hasher.finalize())
    }

    /// A roster's digest from its origins' digests; the order is fixed here.
    public static func rosterDigest(_ origins: [String: [UInt8]]) -> String {
        var hasher = SHA256()
        for origin in origins.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            hasher.update(data: Array("\(origin) \(Hex.encode(origins[origin] ?? []))\n".utf8))
        }
        return Hex.encode(Array(hasher.finalize()))
    }

    /// Each agency's digest: the roster digest over its own origins only, so that two
    /// nodes that trust different sets of agencies compare the agencies they share.
    public static func agencyDigests(_ origins: [String: [UInt8]]) -> [String: String] {
        Dictionary(grouping: origins, by: { Origin.agency(of: $0.key) })
            .mapValues { rosterDigest(Dictionary(uniqueKeysWithValues: $0.map { ($0.key, $0.value) })) }
    }

    /// Each agency's digest of a set of entries, in any order.
    public static func agencyDigests(of entries: some Sequence<Entry>) -> [String: String] {
        var builder = Builder()
        for entry in entries.sorted(by: { $0.id < $1.id }) { builder.add(entry) }
        return agencyDigests(builder.chunks().mapValues { originDigest($0.map(\.digest)) })
    }

    /// The digest of a set of entries, in any order.
    public static func of(_ entries: some Sequence<Entry>) -> String {
        var builder = Builder()
        for entry in entries.sorted(by: { $0.id < $1.id }) { builder.add(entry) }
        return builder.finalize()
    }

    /// Takes entries in dot order, one at a time, so a million need no array, and
    /// gives the digest with the chunk digests it was made of.
    public struct Builder {
        private var last: Dot?
        private var hasher = SHA256()
        private var chunk: (origin: String, index: Int64)?
        private var chunkDigests: [String: [(index: Int64, digest: [UInt8])]] = [:]

        public init() {}

        /// Entries must come in dot order; the order is part of the definition.
        public mutating func add(_ entry: Entry) {
            add(entry, canonicalBytes: entry.canonicalBytes())
        }

        /// For a caller that has the entry's canonical bytes already.
        public mutating func add(_ entry: Entry, canonicalBytes: [UInt8]) {
            precondition(last.map { $0 < entry.id } ?? true, "entries enter the digest in dot order")
            last = entry.id
            let index = StateDigest.chunk(of: entry.id.seq)
            if let chunk, chunk != (entry.id.origin, index) { close() }
            if chunk == nil { chunk = (entry.id.origin, index) }
            hasher.update(data: canonicalBytes)
            hasher.update(data: [0x0A])
        }

        private mutating func close() {
            guard let chunk else { return }
            chunkDigests[chunk.origin, default: []].append((chunk.index, Array(hasher.finalize())))
            hasher = SHA256()
            self.chunk = nil
        }

        /// Every chunk digest, by origin, in chunk order.
        public mutating func chunks() -> [String: [(index: Int64, digest: [UInt8])]] {
            close()
            return chunkDigests
        }

        public mutating func finalize() -> String {
            StateDigest.rosterDigest(chunks().mapValues { StateDigest.originDigest($0.map(\.digest)) })
        }
    }
}
