import RosterCore
import RosterTestSupport
import Testing

/// Stored hashes in memory, as the store keeps them in `log_hash`.
struct MemoryLog {
    var hashes: [MerkleTree.Hash] = []
    var size: Int64 = 0

    mutating func append(_ entry: [UInt8]) throws {
        let stored = hashes
        let new = try MerkleTree.storedHashes(appending: size, leaf: MerkleTree.leafHash(entry)) { positions in
            positions.map { stored[Int($0.storedIndex)] }
        }
        #expect(Int64(hashes.count) == MerkleTree.storedHashIndex(level: 0, size))
        hashes += new
        size += 1
        #expect(Int64(hashes.count) == MerkleTree.storedHashCount(size: size))
    }

    var read: MerkleTree.Read {
        { [hashes] positions in
            let indexes = positions.map(\.storedIndex)
            #expect(indexes == indexes.sorted(), "hashes are asked for in increasing order of their stored index")
            return indexes.map { hashes[Int($0)] }
        }
    }
}

@Suite("The log's Merkle tree and signed checkpoints")
struct LogTests {
    @Test("The roots of the eight-leaf tree that Certificate Transparency's tests use, at every size")
    func transparencyVectors() throws {
        let entries: [[UInt8]] = [[], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
                                  Array(0x50...0x57), Array(0x60...0x6F)]
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4", "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c", "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        var log = MemoryLog()
        var frontier = MerkleFrontier()
        var checked = 0
        for (entry, root) in zip(entries, roots) {
            try log.append(entry)
            frontier.append(leafHash: MerkleTree.leafHash(entry))
            #expect(Hex.encode(try MerkleTree.root(size: log.size, read: log.read)) == root, "size \(log.size)")
            #expect(Hex.encode(frontier.root) == root, "an auditor's running root at size \(frontier.size)")
            checked += 1
        }
        #expect(checked == 8)
        #expect(MerkleFrontier().root == MerkleTree.emptyRoot)
        #expect(Hex.encode(try MerkleTree.root(size: 0, read: log.read)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("Every root, inclusion proof and consistency proof up to 70 leaves agrees with the definition and verifies; altered ones do not")
    func proofs() throws {
        var entries: [[UInt8]] = []
        var log = MemoryLog()
        var roots: [[UInt8]] = [MerkleTree.emptyRoot]
        var frontier = MerkleFrontier()
        for number in 0..<70 {
            let entry = Array("operation \(number)".utf8)
            entries.append(entry)
            try log.append(entry)
            frontier.append(leafHash: MerkleTree.leafHash(entry))
            let root = try MerkleTree.root(size: log.size, read: log.read)
            #expect(root == MerkleDefinition.root(entries[...]), "size \(log.size)")
            #expect(frontier.root == root, "the running root at size \(frontier.size)")
            roots.append(root)
        }
        var proofs = 0
        for size in Int64(1)...70 {
            for index in 0..<size {
                let proof = try MerkleTree.inclusionProof(index: index, size: size, read: log.read)
                let leaf = MerkleTree.leafHash(entries[Int(index)])
                #expect(MerkleTree.verifyInclusion(proof, index: index, size: size, leaf: leaf, root: roots[Int(size)]))
                #expect(!MerkleTree.verifyInclusion(proof, index: index, size: size, leaf: MerkleTree.leafHash([1]), root: roots[Int(size)]))
                if !proof.isEmpty {
                    var altered = proof
                    altered[altered.count - 1][0] ^= 1
                    #expect(!MerkleTree.verifyInclusion(altered, index: index, size: size, leaf: leaf, root: roots[Int(size)]))
                }
                proofs += 1
            }
            for first in 1...size {
                let proof = try MerkleTree.consistencyProof(first: first, second: size, read: log.read)
                #expect(MerkleTree.verifyConsistency(proof, first: first, firstRoot: roots[Int(first)], second: size, secondRoot: roots[Int(size)]))
                if first < size {
                    #expect(!MerkleTree.verifyConsistency(proof, first: first, firstRoot: roots[Int(first) - 1], second: size, secondRoot: roots[Int(size)]),
                            "a root of another size is not consistent")
                    #expect(!MerkleTree.verifyConsistency(proof.dropLast(), first: first, firstRoot: roots[Int(first)], second: size, secondRoot: roots[Int(size)]))
                }
                proofs += 1
            }
        }
        #expect(proofs == 70 * 71)
        // A size a hostile proof file claims is answered at once, not looped over.
        #expect(!MerkleTree.verifyInclusion([MerkleTree.emptyRoot], index: 1, size: Int64.max, leaf: MerkleTree.emptyRoot, root: MerkleTree.emptyRoot))
        #expect(!MerkleTree.verifyConsistency([MerkleTree.emptyRoot], first: 1 << 62, firstRoot: MerkleTree.emptyRoot, second: Int64.max, secondRoot: MerkleTree.emptyRoot))
        #expect(throws: MerkleError.outOfRange) { try MerkleTree.inclusionProof(index: 70, size: 70, read: log.read) }
        #expect(throws: MerkleError.outOfRange) { try MerkleTree.consistencyProof(first: 71, second: 70, read: log.read) }
    }

    @Test("A signed note signs and reads as Go's golang.org/x/mod/sumdb/note does (its TestSign vector)")
    func goNoteVector() throws {
        // PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz: 0x01, then the seed.
        let encoded = try #require(Base64.decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"))
        #expect(encoded.first == 1)
        let key = try ReplicaKey(rawRepresentation: Array(encoded.dropFirst()))
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        let note = try SignedNote.sign(text, name: "PeterNeumann", key: key)
        let want = text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        #expect(note.serialized == want)
        #expect(SignedNote.verifierKey(name: "PeterNeumann", key: key.publicKey) == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        let read = try SignedNote(parsing: want)
        #expect(read == note && read.isSigned(by: "PeterNeumann", key: key.publicKey))
        let other = try ReplicaKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
        #expect(!read.isSigned(by: "PeterNeumann", key: other.publicKey))
        let forged = try SignedNote(parsing: want.replacingOccurrences(of: "answer", with: "answers"))
        #expect(!forged.isSigned(by: "PeterNeumann", key: key.publicKey))
        for bad in ["", text, text + "\n", text + "\n— PeterNeumann\n", text + "\n— Peter Neumann AAAAAAAA\n", text + "\n- PeterNeumann x08go/ZJ\n"] {
            #expect(throws: RosterError.self, "\(bad)") { try SignedNote(parsing: bad) }
        }
    }

    @Test("A checkpoint's text is origin, size and root, then its extension lines; it reads back")
    func checkpointText() throws {
        let root = MerkleTree.emptyRoot
        let checkpoint = Checkpoint(origin: Checkpoint.origin(of: "kz-mvd/astana-1"), size: 0, root: root,
                                    extensions: ["time 2026-12-06T10:00:00Z", "digest kz-mvd " + Hex.encode(root)])
        #expect(checkpoint.text == "roster/kz-mvd/astana-1\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntime 2026-12-06T10:00:00Z\ndigest kz-mvd \(Hex.encode(root))\n")
        let read = try Checkpoint(text: checkpoint.text)
        #expect(read == checkpoint && read.time?.description == "2026-12-06T10:00:00Z" && read.digests == ["kz-mvd": Hex.encode(root)])
        #expect(Checkpoint.replica(ofLog: checkpoint.origin) == "kz-mvd/astana-1")
        for bad in ["roster/x\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "roster/x\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                    "roster/x\n1\nAAAA\n", "roster/x\n1\n"] {
            #expect(throws: RosterError.self, "\(bad)") { try Checkpoint(text: bad) }
        }
    }
}
