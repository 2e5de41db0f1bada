import ArgumentParser
import RosterCore
import RosterStore

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an entry and its whole signed history.",
        discussion: "Example:\n  roster show kz-mvd/astana-1:42")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The entry id, like kz-mvd/astana-1:42.") var id: String

    func run() async throws {
        let target = try Dot(id)
        let opened = try await node.openNode()
        guard let (entry, history) = try await opened.store.entry(target) else {
            throw RosterError(.unknownEntry, "no entry \(target): roster list shows the ids")
        }
        let conflicts = Entry.conflicts(among: history.filter { $0.dot != target }.map(\.operation))
        if node.json {
            let operations: [JSON] = history.map { operation in
                guard case .object(var members) = operation.operation.json else { return .null }
                members["sig"] = .string(Base64.encode(operation.signature))
                return .object(members)
            }
            Terminal.printJSON([
                "entry": entry.json, "history": .array(operations),
                "conflicts": .array(conflicts.map { .array([.string($0.0.description), .string($0.1.description)]) }),
            ])
            return
        }
        EntryText.details(entry).forEach(Terminal.print)
        if let original = entry.mirrorOf, let revocation = entry.revocation, !history.contains(where: { $0.dot == revocation.dot }) {
            Terminal.print("lifted:       with its original \(original), which \(revocation.dot) revoked")
        }
        Terminal.print("history:")
        for operation in history {
            let op = operation.operation
            Terminal.print("  \(op.dot)  \(op.type)  \(op.time)  sha256:\(operation.hashHex)")
        }
        for (a, b) in conflicts {
            Terminal.print("conflict: \(a) and \(b) are concurrent amends of one field; the later by (time, origin) wins")
        }
    }
}
