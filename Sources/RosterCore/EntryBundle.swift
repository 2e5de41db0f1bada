/// A C2SP `tlog-tiles` entry bundle: each entry as a big-endian 16-bit length, then
/// its bytes, so that a reader of the tiles gets the entries themselves.
public enum EntryBundle {
    /// The bundle of `entries`, the first of which is leaf `firstLeaf` (for the message).
    public static func encode(_ entries: [[UInt8]], firstLeaf: Int64) throws -> [UInt8] {
        var bundle: [UInt8] = []
        bundle.reserveCapacity(entries.reduce(0) { $0 + $1.count + 2 })
        for (offset, entry) in entries.enumerated() {
            // An operation is at most 65,535 bytes (`SignedOperation.maximumSize`); one
            // logged under the older bound of 65,536 cannot be bundled, and says so.
            guard entry.count <= Int(UInt16.max) else {
                throw RosterError(.invalidField, "leaf \(firstLeaf + Int64(offset)) of the log is longer than an entry bundle holds (65,535 bytes)")
            }
            bundle += [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)]
            bundle += entry
        }
        return bundle
    }

    /// The entries of a bundle that must hold exactly `count`.
    public static func decode(_ bundle: [UInt8], count: Int) throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        entries.reserveCapacity(count)
        var offset = 0
        while offset < bundle.count {
            guard bundle.count - offset >= 2 else { throw RosterError(.badInput, "the entry bundle ends inside a length") }
            let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
            offset += 2
            guard bundle.count - offset >= length else { throw RosterError(.badInput, "the entry bundle ends inside an entry") }
            entries.append(Array(bundle[offset..<offset + length]))
            offset += length
            guard entries.count <= count else { break }
        }
        guard entries.count == count, offset == bundle.count else {
            throw RosterError(.badInput, "the entry bundle holds \(entries.count == count ? "more than" : "\(entries.count) entries, not") \(count) entries")
        }
        return entries
    }
}
