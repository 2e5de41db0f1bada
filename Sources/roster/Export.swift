import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the roster for peers (ops), consumers (json, csv, hosts, rpz) or an offline auditor (bundle).")

    @OptionGroup var node: NodeOptions
    @Option(help: "ops, json, csv, hosts, rpz or bundle.") var format: String
    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of stdout.") var output: String?
    @Option(help: "The RPZ zone's origin, for the header comment.") var zone = "rpz.roster"
    @OptionGroup var policyOptions: PolicyOptions

    func run() async throws {
        guard let format = ExportFormat(rawValue: format) else {
            throw RosterError(.invalidField, "format \"\(format)\" is not one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let policy = try policyOptions.policy()
        let opened = try await node.openNode()
        let out = try OutputStream(path: output)
        let now = WallClock.system.now()
        let today = CalendarDate(now)
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
        let agency = opened.identity.agency
        try await opened.store.export(header: { clock, digest in
            switch format {
            case .ops, .bundle: break
            case .json:
                let header: JSON = [
                    "format": "roster-entries", "v": 1, "node": .string(origin), "generated": .string(now.text),
                    "clock": clock.json, "digest": .string(try digest()),
                ]
                var text = String(decoding: CanonicalJSON.encode(header), as: UTF8.self)
                text.removeLast()
                try out.write(text + ",\"entries\":[")
            case .csv:
                try out.write(CSVExport.header)
            case .hosts:
                try out.write(HostsExport.header(node: origin, clock: clock))
            case .rpz:
                try out.write(RPZExport.header(zone: zone, serial: RPZExport.serial(of: clock), node: origin))
            }
        }, each: { entry in
            guard format.includes(entry, today: today), policy.enforces(entry, agency: agency) else { return }
            switch format {
            case .json:
                try out.writeElement(entry.canonicalBytes(), separator: ",\n")
            case .csv: try out.write(CSVExport.row(entry))
            case .hosts: try out.write(HostsExport.line(entry))
            case .rpz: try out.write(RPZExport.records(entry))
            case .ops, .bundle: break
            }
        })
        if format == .json { try out.write("]}\n") }
        try out.finish()
    }
}
