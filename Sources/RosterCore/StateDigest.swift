import Crypto

/// One hash that two nodes compare to know they hold the same roster: SHA-256 over
/// the canonical JSON of every entry, revoked ones included, in dot order, one per line.
/// Expiry does not enter it, so the digest does not depend on the day it is taken.
public struct StateDigest {
    private var hasher = SHA256()
    private var last: Dot?

    public init() {}

    /// Entries must come in dot order; the order is part of the definition.
    public mutating func add(_ entry: Entry) {
        precondition(last.map { $0 < entry.id } ?? true, "entries enter the digest in dot order")
        last = entry.id
        hasher.update(data: entry.canonicalBytes())
        hasher.update(data: [0x0A])
    }

    public func finalize() -> String { Hex.encode(Array(hasher.finalize())) }

    public static func of(_ entries: some Sequence<Entry>) -> String {
        var digest = StateDigest()
        for entry in entries.sorted(by: { $0.id < $1.id }) { digest.add(entry) }
        return digest.finalize()
    }
}
