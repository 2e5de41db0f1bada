import ArgumentParser
import RosterCore
import RosterStore

struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a resource with its legal basis; prints the new entry id.",
        discussion: "Examples:\n  roster add domain shop.example --scope subdomains --category drugs \\\n      --authority \"MVD KZ\" --reference \"No. 118\" --decided 2026-03-02\n  roster add url \"https://market.example/buy\" --category drugs \\\n      --authority \"MVD KZ\" --reference \"No. 118\" --decided 2026-03-02 \\\n      --expires 2027-03-02\n  roster add domain shop-mirror.example --mirror-of kz-mvd/astana-1:7 \\\n      --note \"same shop, new domain\"")

    @OptionGroup var node: NodeOptions
    @Argument(help: "domain, url, ip, cidr, onion, account or wallet (CHAIN:ADDRESS, CHAIN one of btc, eth, trx, xmr).") var kind: String
    @Argument(help: "The resource; it is normalised before signing.") var value: String
    @Option(help: "For domains: exact (default) or subdomains.") var scope: String?
    @OptionGroup var fields: FieldOptions
    @Option(name: .customLong("mirror-of"), help: ArgumentHelp(
        "List it as a copy of this entry of your agency's (an id that roster list shows), under that entry's decision: no --category, --authority, --reference, --decided, --statute, --jurisdiction or --expires; lifted when it is revoked or expires.",
        valueName: "ENTRY"))
    var mirrorOf: String?
    @Flag(help: "List it even though it is a public suffix or a network wider than /16 (IPv4) or /32 (IPv6); the add carries the flag.")
    var broad = false

    func run() async throws {
        var values = fields.values
        values["kind"] = kind
        values["value"] = value
        if let scope { values["scope"] = scope }
        if let mirrorOf {
            values[EntryField.mirrorOf.name] = mirrorOf
            if let given = EntryField.decision.first(where: { values[$0] != nil }) {
                throw RosterError(.invalidField, "a mirror is listed under its original's decision: leave out --\(given) (a mirror may carry --note and --evidence)")
            }
        }
        // Only a domain needs the public suffix list, which takes some 30 ms to read.
        let rules = kind == Resource.Kind.domain.rawValue
            ? try BroadEntries.load(allowed: broad) : BroadEntries(suffixes: PublicSuffixList(text: ""), allowed: broad)
        let row = try Importer.row(values, broad: rules)
        let opened = try await node.openNode()
        let operation = try await opened.store.add(row.payload, by: opened.replica)
        if node.json {
            Terminal.printJSON(["id": .string(operation.dot.description), "resource": row.resource.json])
        } else {
            Terminal.print(operation.dot.description)
        }
    }
}

extension Importer {
    /// One add from named values, with the errors `add` shows.
    static func row(_ values: [String: String], broad: BroadEntries) throws -> Row {
        do {
            return try row(values, line: 0, broad: broad)
        } catch let error as RosterError {
            throw RosterError(error.code, error.reason.replacingOccurrences(of: "line 0: ", with: ""))
        }
    }
}
