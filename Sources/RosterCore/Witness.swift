/// What a witness decides on a C2SP `tlog-witness` `add-checkpoint` request: cosign
/// only a checkpoint signed by the log's key that extends, by a consistency proof,
/// the last one it cosigned of that log, and that no checkpoint it has seen of the
/// log contradicts at its size (one of another size seen but never cosigned cannot
/// be checked against, with no proof between them, as C2SP has it). Pure: the store supplies the log's key and what it has seen,
/// and keeps the decision in one transaction (so two requests cannot both extend
/// the same old size).
public enum Witness {
    /// The most consistency proof lines a request may carry (the protocol's bound).
    public static let maximumProof = 63

    public struct Request: Sendable {
        public let old: Int64
        public let proof: [MerkleTree.Hash]
        public let note: SignedNote
        public let checkpoint: Checkpoint

        /// Reads a request body: `old N`, proof lines, a blank line, the checkpoint.
        public init(parsing body: [UInt8]) throws {
            guard body.count <= SignedNote.maximumSize + 64 * 46, let text = String(validating: body, as: UTF8.self) else {
                throw RosterError(.badInput, "an add-checkpoint body is UTF-8 text of at most \(SignedNote.maximumSize + 64 * 46) bytes")
            }
            guard let blank = text.range(of: "\n\n") else {
                throw RosterError(.badInput, "an add-checkpoint body is an old size line, proof lines, a blank line and a checkpoint")
            }
            let lines = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            guard let first = lines.first, first.hasPrefix("old "), let old = Int64(first.dropFirst(4)), old >= 0,
                String(old) == first.dropFirst(4), lines.count - 1 <= Witness.maximumProof
            else {
                throw RosterError(.badInput, "an add-checkpoint body starts with \"old N\" and has at most \(Witness.maximumProof) proof lines")
            }
            proof = try lines.dropFirst().map { line in
                guard let hash = Base64.decode(String(line)), hash.count == 32 else {
                    throw RosterError(.badInput, "a consistency proof line is one base64 SHA-256 hash")
                }
                return hash
            }
            note = try SignedNote(parsing: String(text[blank.upperBound...]))
            checkpoint = try Checkpoint(text: note.text)
            guard old <= checkpoint.size else {
                throw RosterError(.badInput, "the old size \(old) is larger than the checkpoint's \(checkpoint.size)")
            }
            self.old = old
        }

        /// The body a log sends.
        public static func body(old: Int64, proof: [MerkleTree.Hash], note: SignedNote) -> [UInt8] {
            Array((["old \(old)"] + proof.map(Base64.encode)).map { $0 + "\n" }.joined().utf8) + Array(("\n" + note.serialized).utf8)
        }
    }

    public enum Decision: Sendable, Equatable {
        case cosign
        /// 403: the checkpoint is not signed by the log's key.
        case forbidden
        /// 409: the old size is not the size last cosigned (which the answer states),
        /// or the checkpoint contradicts one seen.
        case conflict(cosignedSize: Int64)
        /// 422: the consistency proof does not verify.
        case inconsistent
    }

    /// The decision, and the earlier checkpoint that `request` contradicts, if any:
    /// of one size with another root, both signed by the log's key. Such a pair is
    /// a proof of misbehaviour anyone can check; a proof that does not verify is not
    /// (it may be damaged on the way), and is only refused.
    public static func decide(_ request: Request, key: PublicKey, cosigned: SignedNote?, seen: [SignedNote])
        -> (decision: Decision, contradicts: SignedNote?) {
        let checkpoint = request.checkpoint
        guard request.note.isSigned(by: checkpoint.origin, key: key) else { return (.forbidden, nil) }
        let last = cosigned.flatMap { try? Checkpoint(text: $0.text) }
        let cosignedSize = last?.size ?? 0
        for earlier in seen + (cosigned.map { [$0] } ?? []) {
            guard let other = try? Checkpoint(text: earlier.text), other.origin == checkpoint.origin, other.size == checkpoint.size,
                other.root != checkpoint.root, earlier.isSigned(by: checkpoint.origin, key: key)
            else { continue }
            return (.conflict(cosignedSize: cosignedSize), earlier)
        }
        guard request.old == cosignedSize else { return (.conflict(cosignedSize: cosignedSize), nil) }
        guard let last, request.old > 0 else {
            return request.proof.isEmpty ? (.cosign, nil) : (.inconsistent, nil)
        }
        let holds = request.old == checkpoint.size
            ? request.proof.isEmpty && last.root == checkpoint.root
            : MerkleTree.verifyConsistency(request.proof, first: last.size, firstRoot: last.root, second: checkpoint.size, secondRoot: checkpoint.root)
        return (holds ? .cosign : .inconsistent, nil)
    }
}
