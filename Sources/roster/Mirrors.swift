import ArgumentParser
import RosterCore
import RosterStore

struct Mirrors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the mirrors of an entry: the copies listed under its decision, lifted with it.",
        discussion: "Example:\n  roster mirrors kz-mvd/astana-1:7")

    @OptionGroup var node: NodeOptions
    @Argument(help: "The original entry's id, like kz-mvd/astana-1:7.") var id: String

    func run() async throws {
        let original = try Dot(id)
        let opened = try await node.openNode()
        let (entry, mirrors, _) = try await opened.store.mirrors(of: original)
        if node.json {
            Terminal.printJSON(["original": entry.json, "mirrors": .array(mirrors.map(\.json))])
            return
        }
        Terminal.print(EntryText.line(entry))
        if mirrors.isEmpty { Terminal.print("no mirrors") }
        for mirror in mirrors { Terminal.print("  " + EntryText.line(mirror)) }
    }
}
