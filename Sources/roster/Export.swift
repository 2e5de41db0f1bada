import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the roster for peers (ops), consumers (rpz, hosts, dnsmasq, unbound, mastodon, csv, json, stix) or an offline auditor (bundle).",
        discussion: "Examples:\n  roster export --format rpz --output /var/lib/bind/rpz.roster\n  roster export --format stix > roster.stix.json")

    @OptionGroup var node: NodeOptions
    @Option(help: "ops, json, csv, hosts, rpz, dnsmasq, unbound, mastodon, stix or bundle.") var format: String
    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of stdout.") var output: String?
    @Option(help: "The RPZ zone's name, for its header.") var zone = "rpz.roster"
    @OptionGroup var policyOptions: PolicyOptions

    func run() async throws {
        guard let format = ExportFormat(rawValue: format) else {
            throw RosterError(.invalidField, "format \"\(format)\" is not one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let policy = try policyOptions.policy()
        let opened = try await node.openNode()
        let out = try OutputStream(path: output)
        let now = WallClock.system.now()
        let origin = opened.identity.origin
        if format == .ops {
            try await opened.store.exportOperations { try out.write($0 + "\n") }
            try out.finish()
            return
        }
        if format == .bundle {
            // A checkpoint signed now, then the leaves it covers: later ones are not in the bundle.
            let note = try await opened.checkpoint()
            let size = try Checkpoint(text: note.text).size
            try out.write(LogBundle.header(note))
            let progress = Terminal.progress("writing")
            var leaf: Int64 = 0
            while leaf < size {
                let entries = try await opened.store.logEntries(from: leaf, count: Int(min(4096, size - leaf)))
                guard !entries.isEmpty else { throw RosterError(.badInput, "the log ends at leaf \(leaf), before its checkpoint's size: run roster audit") }
                for entry in entries { try out.write(entry + "\n") }
                leaf += Int64(entries.count)
                progress(Int(leaf), Int(size))
            }
            try out.finish()
            return
        }
        let feed = Feed(format: format, origin: origin, agency: opened.identity.agency, policy: policy, zone: zone, now: now)
        // Counted only for a person watching: the count is one more pass over the entries.
        let counts = Terminal.isInteractive ? try await opened.store.counts() : nil
        let total = counts.map { format.carriesHistory ? $0.live + $0.revoked : $0.live } ?? 0
        let progress = Terminal.progress("writing")
        try await opened.store.export(feed, progress: { progress($0, max(total, $0)) }) { try out.write($0) }
        try out.finish()
    }
}
