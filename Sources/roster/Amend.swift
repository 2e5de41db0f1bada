import ArgumentParser
import RosterCore
import RosterStore

struct Amend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change fields of one of this agency's entries.",
        discussion: "Example:\n  roster amend kz-mvd/astana-1:42 --expires 2027-12-31 --clear note")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The entry id, like kz-mvd/astana-1:42.") var id: String
    @OptionGroup var fields: FieldOptions
    @Option(name: .customLong("clear"), help: "Remove an optional field: jurisdiction, expires, evidence or note.")
    var cleared: [String] = []

    func run() async throws {
        let target = try Dot(id)
        let opened = try await node.openNode()
        let operation = try await opened.store.amend(target, by: opened.replica, changes: changes(from:))
        if node.json {
            Terminal.printJSON(["id": .string(target.description), "operation": .string(operation.dot.description)])
        } else {
            Terminal.print(operation.dot.description)
        }
    }

    func changes(from entry: Entry) throws -> FieldChanges {
        var changes = FieldChanges()
        let values = fields.values
        if let category = values["category"] { changes.category = try Category(parsing: category) }
        if fields.authority != nil || fields.reference != nil || fields.decided != nil || fields.statute != nil {
            let basis = entry.fields.basis
            changes.basis = try LegalBasis(
                authority: fields.authority ?? basis.authority, reference: fields.reference ?? basis.reference,
                decided: try fields.decided.map(CalendarDate.init) ?? basis.decided, statute: fields.statute ?? basis.statute)
        }
        if let value = fields.jurisdiction { changes.jurisdiction = .some(try Text.jurisdiction(value)) }
        if let value = fields.expires { changes.expires = .some(try CalendarDate(value)) }
        if let value = fields.evidence { changes.evidence = .some(try Text.evidence(value)) }
        if let value = fields.note { changes.note = .some(try Text.required(value, field: "note")) }
        for name in cleared {
            switch name {
            case "jurisdiction": changes.jurisdiction = .some(nil)
            case "expires": changes.expires = .some(nil)
            case "evidence": changes.evidence = .some(nil)
            case "note": changes.note = .some(nil)
            default: throw RosterError(.invalidField, "--clear takes jurisdiction, expires, evidence or note, not \(name)")
            }
        }
        guard !changes.isEmpty else { throw RosterError(.invalidField, "nothing to change: give a field option or --clear") }
        // A mirror stands on its original's decision: that is where the decision changes.
        if let original = entry.mirrorOf, let field = changes.names.first(where: { !["evidence", "note"].contains($0) }) {
            throw RosterError(.invalidField, "entry \(entry.id) is a mirror, listed under the decision of \(original): amend \(field) there (roster amend \(original)), for every mirror of it at once")
        }
        return changes
    }
}

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke one of this agency's entries. Final: a later amend cannot undo it.",
        discussion: "Example:\n  roster revoke kz-mvd/astana-1:42 --reason \"decision overturned on appeal, No. 7\"")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The entry id.") var id: String
    @Option(help: "Why the entry is revoked (e.g. the court decision that lifted it).") var reason: String

    func run() async throws {
        let target = try Dot(id)
        let reason = try Text.required(reason, field: "reason")
        let opened = try await node.openNode()
        let operation = try await opened.store.revoke(target, reason: reason, by: opened.replica)
        if node.json {
            Terminal.printJSON(["id": .string(target.description), "operation": .string(operation.dot.description)])
        } else {
            Terminal.print(operation.dot.description)
        }
    }
}
