import Foundation
import ArgumentParser
import RosterCore
import RosterStore

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who this node is, what it holds (clock, counts) and the state digest peers compare.",
        discussion: "Example:\n  roster status --json")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let opened = try await node.openNode()
        let status = try await opened.store.status()
        let (clock, digest, counts, equivocating) = (status.clock, status.digest, status.counts, status.equivocating)
        let identity = opened.identity
        let conflicts = try await opened.conflicts()
        if node.json {
            var members: [String: JSON] = [
                "agency": .string(identity.agency), "replica": .string(identity.replica), "origin": .string(identity.origin),
                "alg": .string(Suite.ed25519.rawValue), "public_key": .string(opened.replica.key.publicKey.base64),
                "clock": clock.json, "digest": .string(digest), "agencies": .object(status.agencies.mapValues(JSON.string)),
                "entries": ["live": .integer(Int64(counts.live)), "revoked": .integer(Int64(counts.revoked))],
                "operations": .integer(Int64(counts.operations)), "pending": .integer(Int64(counts.pending)),
                "refused": .integer(Int64(counts.refused)),
                "equivocating": .array(equivocating.map(JSON.string)), "data": .string(node.folder.path),
                "log_conflicts": .array(conflicts.map { .string($0.description) }),
            ]
            if let name = identity.name { members["name"] = .string(name) }
            if let jurisdiction = identity.jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
            Terminal.printJSON(.object(members))
            return
        }
        Terminal.print("node:        \(identity.origin)\(identity.name.map { " (\($0))" } ?? "")")
        Terminal.print("data:        \(node.folder.path)")
        Terminal.print("public key:  ed25519 \(opened.replica.key.publicKey.base64)")
        Terminal.print("clock:       \(clock.counters.isEmpty ? "(no operations yet)" : clock.description)")
        Terminal.print("digest:      \(digest)")
        for (agency, digest) in status.agencies.sorted(by: { $0.key < $1.key }) {
            Terminal.print("  \(agency):\(String(repeating: " ", count: max(1, 11 - agency.count)))\(digest)")
        }
        Terminal.print("entries:     \(counts.live) live, \(counts.revoked) revoked")
        Terminal.print("operations:  \(counts.operations) applied, \(counts.pending) pending"
            + (counts.refused > 0 ? ", \(counts.refused) refused past the pending bounds (roster pending)" : ""))
        if !equivocating.isEmpty {
            Terminal.print("warning:     equivocation by \(equivocating.joined(separator: ", ")): run roster audit")
        }
        for conflict in conflicts {
            Terminal.print("warning:     \(conflict.description)" + (conflict.acknowledged ? " (acknowledged)" : "; not syncing with it (roster peers resume)"))
        }
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The node's public key.", discussion: "Example:\n  roster keys show --pem",
        subcommands: [ShowKey.self, Inspect.self])

    struct ShowKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the public key: base64 of the raw 32 bytes, or an SPKI PEM for openssl.",
        discussion: "Example:\n  roster keys show --pem > replica.pub")

        @OptionGroup var node: NodeOptions
        @Flag(help: "Print an SPKI PEM that openssl pkeyutl -verify accepts.") var pem = false

        func run() async throws {
            let key = try await node.openNode().replica.key.publicKey
            if node.json {
                Terminal.printJSON(["alg": .string(Suite.ed25519.rawValue), "key": .string(key.base64), "pem": .string(key.pem)])
            } else {
                Terminal.print(pem ? key.pem.trimmingCharacters(in: .newlines) : key.base64)
            }
        }
    }
}
