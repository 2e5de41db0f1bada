import Logging
import RosterCore
import RosterStore

/// Gathers cosignatures of a checkpoint this node signed from its peers, as C2SP
/// `tlog-witness` asks: each peer with an endpoint is sent the checkpoint with a
/// consistency proof from the size it last cosigned (learned from its 409 answer,
/// so nothing is kept here); the checkpoint comes back with each cosignature that
/// verifies with the key its agency enrolled for that peer's node.
public enum Witnessing {
    public static func gather(_ note: SignedNote, node: Node, tls: NodeTLS, logger: Logger) async -> SignedNote {
        guard let checkpoint = try? Checkpoint(text: note.text) else { return note }
        let peers = ((try? await node.store.peers()) ?? []).filter { $0.endpoint != nil && $0.descriptor.node != nil }
        guard !peers.isEmpty, let trust = try? await node.store.trust() else { return note }
        var signatures: [SignedNote.Signature] = []
        for peer in peers {
            guard let replica = peer.descriptor.node, let key = trust.replicas[replica]?.logKey else { continue }
            do {
                let client = try Synchronizer.client(for: peer, tls: tls)
                defer { client.close() }
                let lines = try await request(note, size: checkpoint.size, node: node, client: client)
                let name = Cosignature.name(of: replica)
                let valid = lines.signatures.filter { Cosignature.time(of: $0, text: note.text, name: name, key: key) != nil }
                if valid.isEmpty { logger.warning("\(peer.id) answered add-checkpoint without a cosignature by \(name)") }
                signatures += valid
            } catch let error as RosterError {
                logger.warning("\(peer.id) did not cosign checkpoint \(checkpoint.size): \(error.reason)")
            } catch {
                logger.warning("\(peer.id) did not cosign checkpoint \(checkpoint.size): \(error)")
            }
        }
        if !signatures.isEmpty { logger.info("checkpoint \(checkpoint.size) cosigned by \(signatures.map(\.name).joined(separator: ", "))") }
        return signatures.reduce(note) { $0.adding($1) }
    }

    /// One add-checkpoint, then once more from the size the witness says it last
    /// cosigned; the answer's signature lines, read as a note's.
    static func request(_ note: SignedNote, size: Int64, node: Node, client: PeerClient) async throws -> SignedNote {
        var old: Int64 = 0
        for attempt in 0..<2 {
            let proof = old == 0 || old == size ? [] : try await node.store.consistencyProof(first: old, second: size)
            let response = try await client.request(.POST, "/log/witness/add-checkpoint", body: Witness.Request.body(old: old, proof: proof, note: note),
                                                    contentType: "text/plain")
            switch response.status {
            case 200:
                guard response.body.count <= SignedNote.maximumSize, let lines = String(validating: response.body, as: UTF8.self),
                    let answer = try? SignedNote(parsing: note.text + "\n" + lines)
                else { throw RosterError(.badAnswer, "the witness's answer is not signature lines") }
                return answer
            case 409 where attempt == 0:
                let text = String(decoding: response.body.prefix(24), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let cosigned = Int64(text), cosigned > 0, cosigned <= size else {
                    throw RosterError(.badAnswer, "the witness holds a checkpoint of this log it cannot extend to this one (409 \(text)): run roster status there")
                }
                old = cosigned
            default:
                throw RosterError(.badAnswer, "add-checkpoint answered \(response.status): \(Text.printable(String(decoding: response.body.prefix(300), as: UTF8.self)))")
            }
        }
        throw RosterError(.badAnswer, "the witness refused the checkpoint from the size it named (409 twice)")
    }
}
