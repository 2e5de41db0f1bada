import ArgumentParser
import RosterCore
import RosterStore

struct Pending: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What waits for operations not yet received, and what was refused past the pending bounds.",
        discussion: """
            Operations wait until the operation they follow arrives; a peer sends it on a later
            sync. If it never will (a peer that lies, or a replica that is gone), --purge drops
            what that origin has pending. Bounds: \(PendingLimits.perOrigin) per origin, \
            \(PendingLimits.perSource) per peer, \(PendingLimits.total) in all.

            Examples:
              roster pending --json
              roster pending --purge kz-mvd/astana-1
            """)

    @OptionGroup var node: NodeOptions
    @Option(help: "Drop every pending operation of this origin (like kz-mvd/astana-1).") var purge: String?

    func run() async throws {
        let opened = try await node.openNode()
        if let purge {
            guard Origin.isValid(purge) else {
                throw RosterError(.invalidField, "\"\(purge)\" is not an origin like kz-mvd/astana-1: roster pending lists them")
            }
            let count = try await opened.store.purgePending(origin: purge)
            Terminal.print("purged \(count) pending operations of \(purge)")
            return
        }
        let origins = try await opened.store.pending()
        if node.json {
            Terminal.printJSON(.array(origins.map { origin in
                var members: [String: JSON] = [
                    "origin": .string(origin.origin), "operations": .integer(Int64(origin.operations)),
                    "bytes": .integer(Int64(origin.bytes)), "waits_for": .array(origin.waitsFor.map { .string($0.description) }),
                    "refused": .integer(Int64(origin.refused)),
                ]
                if let reason = origin.lastRefusal { members["last_refusal"] = .string(reason) }
                if let until = origin.waitsUntil { members["waits_until"] = .string(until.text) }
                if !origin.unverifiable.isEmpty { members["unverifiable_suites"] = .array(origin.unverifiable.map { .string($0.rawValue) }) }
                return .object(members)
            }))
            return
        }
        if origins.isEmpty { Terminal.print("nothing pending") }
        for origin in origins {
            var line = "\(origin.origin): \(origin.operations) pending (\(origin.bytes) bytes)"
            if !origin.waitsFor.isEmpty {
                line += ", waiting for " + origin.waitsFor.prefix(3).map(\.description).joined(separator: ", ")
                    + (origin.waitsFor.count > 3 ? " and \(origin.waitsFor.count - 3) more" : "")
            }
            if let until = origin.waitsUntil { line += ", signed ahead of this node's clock: waiting until \(until)" }
            for suite in origin.unverifiable {
                line += ", signed with \(suite.rawValue), which this node cannot verify: install \(suite.package ?? "its OpenSSL provider") and restart the node"
            }
            if origin.refused > 0 { line += "; \(origin.refused) refused: \(origin.lastRefusal ?? "")" }
            Terminal.print(line)
        }
    }
}
