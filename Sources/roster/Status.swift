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
        let unverifiable = Set(try await opened.store.pending().flatMap(\.unverifiable)).sorted { $0.rawValue < $1.rawValue }
        if node.json {
            var members: [String: JSON] = [
                "agency": .string(identity.agency), "replica": .string(identity.replica), "origin": .string(identity.origin),
                "alg": .string(opened.replica.key.suite.rawValue), "public_key": .string(opened.replica.key.publicKey.base64),
                "clock": clock.json, "digest": .string(digest), "agencies": .object(status.agencies.mapValues(JSON.string)),
                "entries": ["live": .integer(Int64(counts.live)), "revoked": .integer(Int64(counts.revoked))],
                "operations": .integer(Int64(counts.operations)), "pending": .integer(Int64(counts.pending)),
                "refused": .integer(Int64(counts.refused)),
                "equivocating": .array(equivocating.map(JSON.string)), "data": .string(node.folder.path),
                "log_conflicts": .array(conflicts.map { .string($0.description) }),
                "unverifiable_suites": .array(unverifiable.map { .string($0.rawValue) }),
            ]
            if let name = identity.name { members["name"] = .string(name) }
            if let jurisdiction = identity.jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
            Terminal.printJSON(.object(members))
            return
        }
        Terminal.print("node:        \(identity.origin)\(identity.name.map { " (\($0))" } ?? "")")
        Terminal.print("data:        \(node.folder.path)")
        Terminal.print("public key:  \(opened.replica.key.suite.rawValue) \(opened.replica.key.publicKey.base64)")
        Terminal.print("clock:       \(clock.counters.isEmpty ? "(no operations yet)" : clock.description)")
        Terminal.print("digest:      \(digest)")
        for (agency, digest) in status.agencies.sorted(by: { $0.key < $1.key }) {
            Terminal.print("  \(agency):\(String(repeating: " ", count: max(1, 11 - agency.count)))\(digest)")
        }
        Terminal.print("entries:     \(counts.live) live, \(counts.revoked) revoked")
        Terminal.print("operations:  \(counts.operations) applied, \(counts.pending) pending"
            + (counts.refused > 0 ? ", \(counts.refused) refused past the pending bounds (roster pending)" : ""))
        for suite in unverifiable {
            Terminal.print("warning:     operations signed with \(suite.rawValue) wait unverified, as this node cannot verify that suite: "
                + "install \(suite.package ?? "its OpenSSL provider") and restart the node")
        }
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
            commandName: "show",
            abstract: "Print the replica's public key: its suite, base64 as key events carry it (Ed25519's raw 32 bytes, another suite's SPKI), and its SPKI PEM.",
        discussion: "Example:\n  roster keys show --pem > replica.pub")

        @OptionGroup var node: NodeOptions
        @Flag(help: "Print only the SPKI PEM, which openssl pkeyutl -verify and roster agency enrol --key accept.") var pem = false
        @Flag(help: "Print only the base64 key events carry.") var base64 = false

        func run() async throws {
            let replica = try await node.openNode().replica
            let key = replica.key.publicKey
            if node.json {
                Terminal.printJSON(["alg": .string(key.suite.rawValue), "key": .string(key.base64), "pem": .string(key.pem),
                                    "log_key": replica.enrolledLogKey.map { .string($0.base64) } ?? .null])
            } else if pem {
                Terminal.print(key.pem.trimmingCharacters(in: .newlines))
            } else if base64 {
                Terminal.print(key.base64)
            } else {
                Terminal.print("suite: \(key.suite.rawValue)")
                Terminal.print("key:   \(key.base64)")
                if let logKey = replica.enrolledLogKey { Terminal.print("log key (ed25519, signs checkpoints): \(logKey.base64)") }
                Terminal.print(key.pem.trimmingCharacters(in: .newlines))
            }
        }
    }
}
