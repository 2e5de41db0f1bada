import ArgumentParser
import RosterCore
import RosterStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-verify every signature and chain and compare the derived tables with a replay. Exit 1 on findings.")

    @OptionGroup var node: NodeOptions
    @Flag(help: "First rebuild the derived tables from the signed operations.") var rebuild = false

    func run() async throws {
        let opened = try await node.openNode()
        if rebuild {
            try await opened.store.rebuild(progress: { Terminal.progress("replaying")($0, $0) })
        }
        let report = try await Auditor.audit(opened.store, progress: Terminal.progress("verifying"))
        if node.json {
            Terminal.printJSON([
                "operations": .integer(Int64(report.operations)), "entries": .integer(Int64(report.entries)),
                "pending": .integer(Int64(report.pending)), "equivocations": .integer(Int64(report.equivocations)),
                "digest": .string(report.digest), "findings": .array(report.findings.map(JSON.string)),
                "history": .array(report.history.map(JSON.string)),
            ])
        } else {
            Terminal.print("audited \(report.operations) operations, \(report.entries) entries, \(report.pending) pending, \(report.equivocations) equivocation proofs")
            Terminal.print("digest \(report.digest)")
            report.history.forEach { Terminal.print("history: " + $0) }
            if report.findings.isEmpty {
                Terminal.print("no findings")
            } else {
                Terminal.print("\(report.findings.count) findings:")
                report.findings.forEach { Terminal.print("  " + $0) }
            }
        }
        if !report.findings.isEmpty { throw NegativeAnswer() }
    }
}
