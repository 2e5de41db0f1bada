import ArgumentParser
import Foundation
import RosterCore
import RosterNetwork
import RosterStore

/// `roster audit --remote URL` or `--bundle FILE`: reads the descriptor and the
/// state file, audits the log, prints what it found and keeps the state, moved on
/// only when nothing was found.
struct LogAuditCommand {
    enum Source {
        case remote(String)
        case bundle(String)
    }

    let source: Source
    let peer: String?
    let state: String?
    let trust: String?
    let maxAge: String?
    let witnesses: Int
    /// `AGENCY=SHA256` for each other agency the auditor pinned.
    let witnessRoots: [String]
    let json: Bool

    /// State files hold a checkpoint per log audited and a root per agency: small.
    static let stateLimit = 16 << 20

    func run() async throws {
        guard let peer else { throw ValidationError("--remote and --bundle need --peer DESCRIPTOR") }
        if case .remote = source, state == nil {
            throw ValidationError("--remote needs --state FILE: it keeps the checkpoint that the next audit extends")
        }
        if let state {
            // Checked first: an audit of hours must not end unable to keep what it found.
            let folder = URL(fileURLWithPath: state).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw ValidationError("--state \(state): its folder \(folder) does not exist or cannot be written")
            }
        }
        if let trust, !Hex.isSHA256(trust) { throw ValidationError("--trust takes the root key's SHA-256 in lower-case hex") }
        let age = try maxAge.map(Self.seconds)
        var roots: [String: String] = [:]
        for pin in witnessRoots {
            let parts = pin.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, Origin.isValidAgency(parts[0]), Hex.isSHA256(parts[1]) else {
                throw ValidationError("--witness takes AGENCY=SHA256 (the agency's root key fingerprint), not \(pin)")
            }
            roots[parts[0]] = parts[1]
        }
        let descriptor: PeerDescriptor
        do {
            descriptor = try PeerDescriptor(json: JSONParser.parse(InputFile.read(peer, limit: InputFile.descriptorLimit)))
        } catch let error as RosterError {
            throw RosterError(error.code, "\(peer): \(error.reason)")
        }
        // A bundle may be audited without a state file: nothing is kept, and --trust is needed.
        let kept = try state.map { path in
            FileManager.default.fileExists(atPath: path) ? try AuditState(parsing: InputFile.read(path, limit: Self.stateLimit)) : AuditState()
        } ?? AuditState()
        let request = LogAudit.Request(descriptor: descriptor, trust: trust, state: kept, maxAge: age, witnesses: witnesses,
                                        witnessRoots: roots, now: WallClock.system.now())
        let progress = Terminal.progress("verifying")
        let outcome: LogAudit.Outcome
        switch source {
        case .remote(let url):
            guard let address = LogURL(url) else { throw ValidationError("--remote \(url) is not http(s)://host[:port][/path]") }
            let tiles = TileSource(url: address, descriptor: descriptor)
            defer { tiles.close() }
            outcome = try await LogAudit.run(request, source: tiles) { done, total in progress(Int(done), Int(total)) }
        case .bundle(let path):
            outcome = try await LogAudit.run(request, source: LogBundle.Reader(path: path)) { done, total in progress(Int(done), Int(total)) }
        }
        if let state, outcome.state != kept {
            try AtomicFile.write(String(decoding: outcome.state.serialized, as: UTF8.self), to: URL(fileURLWithPath: state), mode: 0o644)
        }
        print(outcome, stateFile: state)
        if !outcome.report.findings.isEmpty { throw NegativeAnswer() }
    }

    /// `600`, `600s`, `10m`, `2h` or `1d`, in seconds.
    static func seconds(_ text: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let unit = text.last.flatMap { units[$0] }
        guard let number = Int64(unit == nil ? text : String(text.dropLast())), number > 0, number <= 10 * 365 * 86_400,
            String(number) == (unit == nil ? text : String(text.dropLast()))
        else { throw ValidationError("--max-age \(text) is not a duration like 600, 600s, 10m, 2h or 1d") }
        return number * (unit ?? 1)
    }

    private func print(_ outcome: LogAudit.Outcome, stateFile: String?) {
        let report = outcome.report
        let checkpoint = outcome.checkpoint
        let kept = outcome.state.checkpoints[checkpoint.origin].flatMap { try? Checkpoint(text: $0.text) }
        if json {
            let agencies = report.agencies.mapValues { agency -> JSON in
                var members: [String: JSON] = [
                    "operations": .integer(Int64(agency.operations)), "entries": .integer(Int64(agency.entries)),
                    "revoked": .integer(Int64(agency.revoked)),
                ]
                if !agency.learnedRoots.isEmpty { members["learned_roots"] = .array(agency.learnedRoots.map(JSON.string)) }
                return .object(members)
            }
            func counts(_ map: [String: Int]) -> JSON { .object(map.mapValues { .integer(Int64($0)) }) }
            Terminal.printJSON([
                "log": .string(checkpoint.origin), "size": .integer(checkpoint.size), "root": .string(Base64.encode(checkpoint.root)),
                "time": checkpoint.time.map { .string($0.description) } ?? .null,
                "operations": .integer(Int64(report.operations)), "void": .integer(Int64(report.void)),
                "entries": .integer(Int64(report.entries)), "revoked": .integer(Int64(report.revoked)),
                "agencies": .object(agencies), "categories": counts(report.categories), "authorities": counts(report.authorities),
                "incomplete_basis": .integer(Int64(report.incompleteBasis)),
                "incomplete_examples": .array(report.incompleteExamples.map(JSON.string)),
                "revocation_reasons": counts(report.revocationReasons),
                "equivocations": .array(report.equivocations.map(JSON.string)),
                "witnesses": .array(report.witnesses.map(JSON.string)),
                "pinned_witnesses": .array(report.pinnedWitnesses.map(JSON.string)),
                "state_size": kept.map { .integer($0.size) } ?? .null,
                "findings": .array(report.findings.map(JSON.string)),
            ])
            return
        }
        Terminal.print("log \(checkpoint.origin): \(checkpoint.size) leaves, root \(Base64.encode(checkpoint.root)), signed \(checkpoint.time?.description ?? "(no time)")")
        Terminal.print("audited \(report.operations) operations (\(report.void) void), \(report.entries) entries, \(report.revoked) revoked")
        for (name, agency) in report.agencies.sorted(by: { $0.key < $1.key }) {
            let learned = agency.learnedRoots.isEmpty ? "" : " (keys taken from the log, not pinned: sha256 \(agency.learnedRoots.joined(separator: ", ")))"
            Terminal.print("agency \(name): \(agency.operations) operations, \(agency.entries) entries, \(agency.revoked) revoked\(learned)")
        }
        func list(_ label: String, _ counts: [String: Int]) {
            let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            for (name, count) in sorted.prefix(50) { Terminal.print("\(label) \"\(name)\": \(count)") }
            if sorted.count > 50 { Terminal.print("\(label): … and \(sorted.count - 50) more") }
        }
        list("category", report.categories)
        list("authority", report.authorities)
        Terminal.print("entries without a complete legal basis (no statute, or decided after listing): \(report.incompleteBasis)"
            + (report.incompleteExamples.isEmpty ? "" : " (first: \(report.incompleteExamples.joined(separator: ", ")))"))
        list("revoked for", report.revocationReasons)
        report.equivocations.forEach { Terminal.print("equivocation: " + $0) }
        Terminal.print("cosigned by the nodes of: " + (report.witnesses.isEmpty ? "no other agency" : report.witnesses.map { agency in
            report.pinnedWitnesses.contains(agency) ? agency : "\(agency) (not pinned)"
        }.joined(separator: ", ")))
        if report.findings.isEmpty {
            Terminal.print("no findings" + (stateFile.map { "; \($0) now holds this checkpoint" } ?? ""))
        } else {
            Terminal.print("\(report.findings.count) findings:")
            report.findings.forEach { Terminal.print("  " + $0) }
            if let stateFile {
                Terminal.print("\(stateFile) still holds " + (kept.map { "the checkpoint of size \($0.size)" } ?? "no checkpoint of this log"))
            }
        }
    }
}
