import ArgumentParser
import Foundation
import RosterCore
import RosterNetwork
import RosterStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-verify every signature and chain and compare the derived tables with a replay. Exit 1 on findings.",
        discussion: """
            With --remote, audit another node from the outside, with no node of your own: its signed checkpoint, then \
            every operation of its log, replayed from the agency root you pinned, the root recomputed and compared with \
            the checkpoint and with the one --state kept from your last audit. --bundle does the same offline, from \
            the file roster export --format bundle writes.

            Examples:
              roster audit
              roster audit --remote https://roster.mvd.kz:8443 --peer Peers/kz-mvd.json --state audit-state.json
            """)

    @OptionGroup var node: NodeOptions
    @Flag(help: "First rebuild the derived tables from the signed operations.") var rebuild = false
    @Option(help: "Audit the node (or a cache of its log) at this URL: https://host:port, or http(s)://host[:port]/path for a mirror.")
    var remote: String?
    @Option(help: "Audit a log bundle (roster export --format bundle) offline, as --remote does a node.")
    var bundle: String?
    @Option(help: "With --remote or --bundle: the node's peer descriptor (roster peers descriptor), naming its agency's root key.")
    var peer: String?
    @Option(help: "With --remote or --bundle: the file that keeps the pinned roots and the last checkpoint of each log; created if missing.")
    var state: String?
    @Option(help: "With --remote or --bundle: the SHA-256 of the agency's root key, confirmed out of band; needed until the state file pins it.")
    var trust: String?
    @Option(name: .customLong("max-age"), help: "With --remote or --bundle: fail when the newest checkpoint is older than this (600, 600s, 10m, 2h, 1d).")
    var maxAge: String?
    @Option(help: "With --remote or --bundle: require the checkpoint to be cosigned by the nodes of this many other agencies.")
    var witnesses = 0
    @Option(name: .customLong("witness"), help: ArgumentHelp(
        "With --witnesses: AGENCY=SHA256, another agency's root key confirmed out of band; only agencies pinned so (or in --state) count.",
        valueName: "agency=sha256"))
    var witnessRoots: [String] = []

    func run() async throws {
        guard witnesses >= 0 else { throw ValidationError("--witnesses takes a number of agencies, 0 or more") }
        let source: LogAuditCommand.Source? = switch (remote, bundle) {
        case (let url?, nil): .remote(url)
        case (nil, let path?): .bundle(path)
        case (nil, nil): nil
        case (_?, _?): throw ValidationError("audit either --remote URL or --bundle FILE, not both")
        }
        if let source {
            try await LogAuditCommand(source: source, peer: peer, state: state, trust: trust, maxAge: maxAge, witnesses: witnesses,
                                  witnessRoots: witnessRoots, json: node.json).run()
            return
        }
        guard peer == nil, state == nil, trust == nil, maxAge == nil, witnesses == 0, witnessRoots.isEmpty else {
            throw ValidationError("--peer, --state, --trust, --max-age and --witnesses go with --remote URL or --bundle FILE")
        }
        let opened = try await node.openNode()
        if rebuild {
            try await opened.store.rebuild(progress: { Terminal.progress("replaying")($0, $0) })
        }
        let report = try await Auditor.audit(opened.store, progress: Terminal.progress("verifying"))
        // Who each certified agency key was issued to, by whom: people check the names.
        // An edited table that the audit names may leave no trust to read: then none is printed.
        let certified = ((try? await opened.store.trust())?.agencies ?? [:]).sorted { $0.key < $1.key }.flatMap { name, agency in
            (agency.keys?.certifications() ?? []).map { "agency \(name) key sha256 \($0.key.fingerprint): subject \($0.subject); issuer \($0.issuer)" }
        }
        if node.json {
            Terminal.printJSON([
                "operations": .integer(Int64(report.operations)), "entries": .integer(Int64(report.entries)),
                "pending": .integer(Int64(report.pending)), "equivocations": .integer(Int64(report.equivocations)),
                "digest": .string(report.digest), "findings": .array(report.findings.map(JSON.string)),
                "history": .array(report.history.map(JSON.string)),
                "certified": .array(certified.map(JSON.string)),
                "unverified": .object(Dictionary(uniqueKeysWithValues: report.unverified.map { ($0.key.rawValue, JSON.integer(Int64($0.value))) })),
            ])
        } else {
            Terminal.print("audited \(report.operations) operations, \(report.entries) entries, \(report.pending) pending, \(report.equivocations) equivocation proofs")
            Terminal.print("digest \(report.digest)")
            report.history.forEach { Terminal.print("history: " + $0) }
            certified.forEach { Terminal.print("certified: " + $0) }
            for (suite, count) in report.unverified.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                Terminal.print("not verified here: \(count) operations signed with \(suite.rawValue), which this machine cannot verify: "
                    + "install \(suite.package ?? "its OpenSSL provider") to audit their signatures")
            }
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
