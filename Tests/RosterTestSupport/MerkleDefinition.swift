import RosterCore

/// RFC 6962's tree hash by its recursive definition (section 2.1): what the stored,
/// incremental tree must agree with, computed the slow, obvious way.
public enum MerkleDefinition {
    public static func root(_ entries: ArraySlice<[UInt8]>) -> [UInt8] {
        if entries.isEmpty { return SHA256Digest.of([]) }
        if entries.count == 1, let only = entries.first { return MerkleTree.leafHash(only) }
        var k = 1
        while k * 2 < entries.count { k *= 2 }
        let split = entries.startIndex + k
        return MerkleTree.nodeHash(root(entries[..<split]), root(entries[split...]))
    }
}
