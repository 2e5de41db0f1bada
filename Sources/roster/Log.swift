import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the node's log checkpoint, signed now (C2SP signed note), and its verifier key on stderr.",
        discussion: "Example:\n  roster checkpoint > checkpoint.txt")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let opened = try await node.openNode()
        let note = try await opened.checkpoint()
        Terminal.note("verifier key: \(SignedNote.verifierKey(name: opened.logOrigin, key: opened.replica.logKey.publicKey))")
        Terminal.output(note.serialized)
    }
}

struct Prove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an inclusion proof of an operation in the node's log, for roster verify-proof.",
        discussion: "Example:\n  roster prove kz-mvd/astana-1:42 > proof.json")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The operation's id, like kz-mvd/astana-1:42.") var operation: String
    @Option(help: "Prove it in the log at this earlier size (default: the current size, with a signed checkpoint).") var size: Int64?

    func run() async throws {
        let dot = try Dot(operation)
        let opened = try await node.openNode()
        guard let index = try await opened.store.logLeaf(of: dot) else {
            throw RosterError(.unknownEntry, "this node holds no operation \(dot): roster show lists an entry's operations")
        }
        let note = size == nil ? try await opened.checkpoint() : nil
        let checkpoint = try note.map { try Checkpoint(text: $0.text) }
        let size = checkpoint?.size ?? self.size ?? 0
        guard index < size else {
            throw RosterError(.invalidField, "\(dot) is leaf \(index) of the log, which a log of size \(size) does not hold yet: give --size above \(index)")
        }
        let root: [UInt8]
        if let checkpoint { root = checkpoint.root } else { root = try await opened.store.logRoot(size: size) }
        let path = try await opened.store.inclusionProof(index: index, size: size)
        guard let entry = try await opened.store.logEntries(from: index, count: 1).first else {
            throw RosterError(.storage, "leaf \(index) of the log is missing: run roster audit")
        }
        let proof = InclusionProof(log: opened.logOrigin, index: index, size: size, root: root, entry: entry, path: path, checkpoint: note?.serialized)
        Terminal.printJSON(proof.json)
    }
}

struct VerifyProof: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check an inclusion proof offline: exit 0 if it holds, 1 with the reason if not.",
        discussion: "Example:\n  roster verify-proof proof.json --key \"$(roster keys show)\"")

    @Argument(help: "The proof, as roster prove printed it.") var file: String
    @Option(help: "The node's replica public key (base64), to check the checkpoint's signature.") var key: String?

    func run() async throws {
        let proof = try InclusionProof(json: JSONParser.parse(InputFile.read(file, limit: 1 << 20)))
        let key = try key.map { try PublicKey(named: $0) }
        if let failure = proof.failure(key: key) {
            Terminal.print("proof does not hold: \(failure)")
            throw NegativeAnswer()
        }
        let signed = key != nil ? ", checkpoint signed by the key"
            : proof.checkpoint == nil ? "; the root is not authenticated: prove at the current size for a signed checkpoint, and give --key"
            : "; the checkpoint is not checked against a key: give --key"
        Terminal.print("proof holds: leaf \(proof.index) of \(proof.log) at size \(proof.size)\(signed)")
    }
}
