import ArgumentParser
import RosterCore
import RosterStore

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a resource with its legal basis; prints the new entry id.")

    @OptionGroup var node: NodeOptions
    @Argument(help: "domain, url, ip, cidr, onion or account.") var kind: String
    @Argument(help: "The resource; it is normalised before signing.") var value: String
    @Option(help: "For domains: exact (default) or subdomains.") var scope: String?
    @OptionGroup var fields: FieldOptions

    func run() throws {
        var values = fields.values
        values["kind"] = kind
        values["value"] = value
        if let scope { values["scope"] = scope }
        let row = try Importer.row(values)
        let opened = try node.openNode()
        let operation = try opened.store.add(row.resource, fields: row.fields, by: opened.replica)
        if node.json {
            Terminal.printJSON(["id": .string(operation.dot.description), "resource": row.resource.json])
        } else {
            Terminal.print(operation.dot.description)
        }
    }
}

extension Importer {
    /// One add from named values, with the errors `add` shows.
    static func row(_ values: [String: String]) throws -> Row {
        do {
            return try row(values, line: 0)
        } catch let error as RosterError {
            throw RosterError(error.code, error.reason.replacingOccurrences(of: "line 0: ", with: ""))
        }
    }
}
