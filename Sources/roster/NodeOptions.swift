import ArgumentParser
import Foundation
import RosterCore
import RosterStore

/// Where the node lives and how to print: shared by every command.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The node's data folder (default: $ROSTER_DATA, else ./roster-data).")
    var data: String?

    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    var folder: URL {
        let path = data ?? ProcessInfo.processInfo.environment["ROSTER_DATA"] ?? "./roster-data"
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    func openNode() async throws -> Node {
        try await Node.open(at: folder, clock: .system)
    }
}

/// Which broad entries `check`, the consumer exports and `serve` act on.
struct PolicyOptions: ParsableArguments {
    @Option(name: .customLong("broad-entries"),
            help: "all: act on every agency's broad entries (public suffixes, wide networks) as signed; own: only this agency's.")
    var broadEntries = "all"

    func policy() throws -> BroadPolicy { try BroadPolicy(parsing: broadEntries) }
}

/// The add fields an operator types; `add` needs the required ones, `amend` any subset.
struct FieldOptions: ParsableArguments {
    @Option(help: "drugs, nps, precursors, pharmacy, paraphernalia or other.") var category: String?
    @Option(help: "The authority that decided (e.g. \"Ministry of Internal Affairs\").") var authority: String?
    @Option(help: "The decision's reference number.") var reference: String?
    @Option(help: "The decision's date, YYYY-MM-DD.") var decided: String?
    @Option(help: "The statute the decision applies.") var statute: String?
    @Option(help: "ISO 3166-1 alpha-2 code of the jurisdiction.") var jurisdiction: String?
    @Option(help: "The date after which the entry no longer applies, YYYY-MM-DD.") var expires: String?
    @Option(help: "SHA-256 (hex) of the evidence package, held elsewhere.") var evidence: String?
    @Option(help: "A short note.") var note: String?

    /// The values given, by add field name (`EntryField`).
    var values: [String: String] {
        let pairs: [(EntryField, String?)] = [
            (.category, category), (.authority, authority), (.reference, reference), (.decided, decided),
            (.statute, statute), (.jurisdiction, jurisdiction), (.expires, expires), (.evidence, evidence), (.note, note),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { field, value in value.map { (field.name, $0) } })
    }
}
