import ArgumentParser
import RosterCore
import RosterStore

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List entries, live ones unless told otherwise.",
        discussion: "Example:\n  roster list --kind domain --category drugs --json")

    @OptionGroup var node: NodeOptions
    @Option(help: "Only this kind.") var kind: String?
    @Option(help: "Only this category.") var category: String?
    @Option(help: "Only this agency's entries.") var agency: String?
    @Flag(help: "Include revoked entries.") var includeRevoked = false

    func run() async throws {
        var filter = EntryFilter(agency: agency, includeRevoked: includeRevoked)
        if let kind {
            guard let parsed = Resource.Kind(rawValue: kind) else {
                throw RosterError(.invalidField, "kind \"\(kind)\" is not one of \(Resource.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.kind = parsed
        }
        filter.category = try category.map(Category.init(parsing:))
        let opened = try await node.openNode()
        try await opened.store.entries(filter) { entry in
            if node.json {
                Terminal.printJSON(bytes: entry.canonicalBytes())
            } else {
                Terminal.print(EntryText.line(entry))
            }
        }
    }
}

/// How entries read on a terminal.
enum EntryText {
    static func line(_ entry: Entry) -> String {
        let fields = entry.fields
        var text = "\(entry.id)\t\(entry.resource)\t\(fields.category.rawValue)\t\(fields.basis.authority) \(fields.basis.reference) \(fields.basis.decided)"
        if let original = entry.mirrorOf { text += "\tmirror of \(original)" }
        if let revocation = entry.revocation { text += "\trevoked by \(revocation.dot): \(revocation.reason)" }
        return text
    }

    static func details(_ entry: Entry) -> [String] {
        let fields = entry.fields
        var lines = [
            "id:           \(entry.id)",
            "resource:     \(entry.resource.kind == .wallet ? "wallet \(WalletAddress.display(entry.resource.value))" : entry.resource.description)",
            "category:     \(fields.category.rawValue)",
            "authority:    \(fields.basis.authority)",
            "reference:    \(fields.basis.reference)",
            "decided:      \(fields.basis.decided)",
        ]
        // The decision above is the original's: a mirror is listed under it.
        if let original = entry.mirrorOf { lines.insert("mirror of:    \(original) (its decision, above, is the original's)", at: 2) }
        if let statute = fields.basis.statute { lines.append("statute:      \(statute)") }
        if let value = fields.jurisdiction { lines.append("jurisdiction: \(value)") }
        if let value = fields.expires { lines.append("expires:      \(value)") }
        if let value = fields.evidence { lines.append("evidence:     \(value)") }
        if let value = fields.note { lines.append("note:         \(value)") }
        if let revocation = entry.revocation {
            lines.append("revoked:      by \(revocation.dot) at \(revocation.time): \(revocation.reason)")
        }
        return lines
    }
}
