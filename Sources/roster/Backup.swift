import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the node's database to a new file while the node serves (SQLite's backup API).",
        discussion: """
            The copy is the database as of one instant; the node goes on serving and syncing. \
            It holds the roster, not the keys: back up replica.key, agency.key and tls.key apart, \
            as secrets. To restore, stop the node, copy the file to DATA/roster.sqlite, and run roster audit.

            Example:
              roster backup /var/backups/roster-$(date +%F).sqlite --data /var/lib/roster
            """)

    @OptionGroup var node: NodeOptions
    @Argument(help: "The file to write; it must not exist yet.") var file: String

    func run() async throws {
        let opened = try await node.openNode()
        if Terminal.isInteractive { Terminal.note("copying the database…") }
        let counts = try await opened.store.backup(to: file)
        if node.json {
            Terminal.printJSON(["file": .string(file), "operations": .integer(Int64(counts.operations)),
                                "live": .integer(Int64(counts.live)), "revoked": .integer(Int64(counts.revoked))])
        } else {
            Terminal.print("backed up \(counts.operations) operations (\(counts.live) live entries, \(counts.revoked) revoked) to \(file)")
        }
    }
}
