import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the roster for peers (ops) or consumers (json, csv, hosts, rpz).")

    @OptionGroup var node: NodeOptions
    @Option(help: "ops, json, csv, hosts or rpz.") var format: String
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
        let agency = opened.identity.agency
        try await opened.store.export(header: { clock, digest in
            switch format {
            case .ops: break
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
            case .ops: break
            }
        })
        if format == .json { try out.write("]}\n") }
        try out.finish()
    }
}
