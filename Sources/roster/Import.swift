import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge another node's ops export, or sign adds from a csv, hosts or STIX 2.1 file. All or nothing.",
        discussion: "Examples:\n  roster import shops.csv --format csv --category drugs \\\n      --authority \"MVD KZ\" --reference \"No. 118\" --decided 2026-03-02\n  roster import misp-bundle.json --format stix")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The file to import.") var file: String
    @Option(help: "ops, csv, hosts or stix (a STIX 2.1 bundle, as MISP or OpenCTI write it).") var format: String
    @Option(help: "Default scope for domains: exact or subdomains.") var scope: String?
    @Option(help: "Default kind for rows without one.") var kind: String?
    @OptionGroup var fields: FieldOptions
    @Flag(help: "Add the public suffixes and wide networks the file lists, flagged broad, instead of refusing the file.")
    var broad = false

    func run() async throws {
        let bytes = try InputFile.read(file)
        let opened = try await node.openNode()
        var defaults = fields.values
        if let scope { defaults["scope"] = scope }
        if let kind { defaults["kind"] = kind }
        let summary: ImportSummary
        switch format {
        case "ops":
            summary = try await Importer.operations(bytes, into: opened, progress: Terminal.progress("verifying and merging"))
        case "csv", "hosts":
            let rules = ImportDefaults(defaults, broad: try BroadEntries.load(allowed: broad))
            let reader = format == "csv"
                ? try Importer.csvReader(bytes, defaults: rules)
                : Importer.RowReader(try Importer.hostsRows(bytes, defaults: rules))
            summary = try await Importer.add(reader, to: opened, progress: Terminal.progress("importing"))
        case "stix":
            let (rows, ignored) = try Importer.stixRows(bytes, defaults: ImportDefaults(defaults, broad: try BroadEntries.load(allowed: broad)))
            if ignored > 0 { Terminal.note("ignored \(ignored) objects that list no domain, URL or address, or are revoked") }
            summary = try await Importer.add(Importer.RowReader(rows), to: opened, progress: Terminal.progress("importing"))
        default:
            throw RosterError(.invalidField, "import format \"\(format)\" is not ops, csv, hosts or stix")
        }
        if node.json {
            Terminal.printJSON([
                "added": .integer(Int64(summary.added)), "skipped": .integer(Int64(summary.skipped)),
                "applied": .integer(Int64(summary.applied)), "duplicates": .integer(Int64(summary.duplicates)),
                "pending": .integer(Int64(summary.pending)), "equivocations": .integer(Int64(summary.equivocations)),
                "void": .integer(Int64(summary.void)),
            ])
        } else if format == "ops" {
            Terminal.print("applied \(summary.applied), already held \(summary.duplicates), pending \(summary.pending), equivocations \(summary.equivocations)"
                + (summary.void > 0 ? ", void \(summary.void) (signed by retired replicas after their retire point)" : ""))
        } else {
            Terminal.print("added \(summary.added), skipped \(summary.skipped) already listed")
        }
    }
}
