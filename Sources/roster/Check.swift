import ArgumentParser
import Foundation
import RosterCore
import RosterStore

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is a resource listed? Exit 0 and the matching entries if so, exit 1 if not.",
        discussion: "Example:\n  roster check www.shop.example && echo listed")

    @OptionGroup var node: NodeOptions
    @Argument(help: "A domain, URL, IP, network, onion address, platform:handle or wallet CHAIN:ADDRESS (btc, eth, trx, xmr).") var resource: String
    @Option(help: "Read the resource as this kind instead of guessing.") var kind: String?
    @OptionGroup var policyOptions: PolicyOptions

    func run() async throws {
        let parsed: Resource
        if let kind {
            guard let parsedKind = Resource.Kind(rawValue: kind) else {
                throw RosterError(.invalidField, "kind \"\(kind)\" is not one of \(Resource.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            parsed = try Resource(kind: parsedKind, value: resource)
        } else {
            parsed = try Resource(inferring: resource)
        }
        let policy = try policyOptions.policy()
        let opened = try await node.openNode()
        let today = CalendarDate(WallClock.system.now())
        let matches = try await opened.store.check(parsed, today: today).filter { policy.enforces($0, agency: opened.identity.agency) }
        if node.json {
            Terminal.printJSON([
                "resource": parsed.json, "listed": .bool(!matches.isEmpty), "entries": .array(matches.map(\.json)),
            ])
        } else if matches.isEmpty {
            Terminal.print("not listed: \(parsed)")
        } else {
            Terminal.print("listed: \(parsed)")
            matches.forEach { Terminal.print("  " + EntryText.line($0)) }
        }
        if matches.isEmpty { throw NegativeAnswer() }
    }
}
