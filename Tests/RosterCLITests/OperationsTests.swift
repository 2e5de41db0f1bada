import Foundation
import RosterCore
import Testing

/// How an agency runs a node: the systemd unit, online backups, shell completion
/// and `--help` that shows how.
@Suite("Running a node: systemd unit, backup while serving, completion, examples in --help", .serialized)
struct OperationsTests {
    static let unit = RosterProcess.repository.appendingPathComponent("docs/deploy/roster.service")

    @Test("docs/deploy/roster.service passes systemd-analyze verify, and its hardening scores as exposed as little as 'OK'")
    func systemdUnit() throws {
        let folder = try TemporaryFolder()
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        for line in ["DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=roster", "NoNewPrivileges=yes", "CapabilityBoundingSet="] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "\(line) is in the unit")
        }
        // verify checks that ExecStart's program exists: this build's binary stands in for /usr/local/bin/roster.
        let copy = folder.path("roster.service")
        try text.replacingOccurrences(of: "/usr/local/bin/roster", with: RosterProcess.binary.path).write(to: copy, atomically: true, encoding: .utf8)
        let verified = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", "--man=no", copy.path])
        #expect(verified.status == 0 && verified.stderr.isEmpty && verified.stdout.isEmpty, "\(verified.stdout)\(verified.stderr)")
        let security = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["security", "--offline=yes", copy.path])
        let exposure = security.stdout.firstMatch(of: /Overall exposure level for roster.service: ([0-9.]+)/).flatMap { Double($0.1) }
        #expect(exposure != nil && exposure! < 2.0, "\(security.stdout.suffix(1500))")
        // What ExecStart runs is a command this build takes.
        let command = try #require(text.firstMatch(of: /ExecStart=\/usr\/local\/bin\/roster ([^\n]+)/).map { String($0.1) })
        let help = try RosterProcess.execute(RosterProcess.binary, command.split(separator: " ").map(String.init) + ["--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: roster serve"), "\(help.stderr)")
    }

    @Test("roster backup copies the database while the node serves and takes adds; the copy restores and audits clean")
    func backupWhileServing() throws {
        let folder = try TemporaryFolder()
        let node = try ConsumerTests.listingNode(folder)
        // Adds go on through the backup, from another process, as an operator's would.
        let roster = node.roster
        let writer = Thread {
            for index in 0..<15 { _ = try? roster.run(["add", "domain", "during-\(index).example", "--category", "drugs"] + CLITests.basis) }
        }
        writer.start()
        usleep(300_000)
        let file = folder.path("backup.sqlite")
        let backup = try node.roster.run(["backup", file.path, "--json"])
        #expect(backup.status == 0, "\(backup.stderr)")
        while writer.isExecuting { usleep(100_000) }
        let copied = try JSONParser.parse(Array(backup.stdout.utf8))
        let operations = copied["operations"]?.integer ?? 0
        #expect(operations >= 8, "\(backup.stdout)")
        let mode = (try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)

        // Restored beside the node's identity and key, the copy is a node of its own: audit finds nothing.
        let restored = folder.path("restored")
        try FileManager.default.createDirectory(at: restored, withIntermediateDirectories: true)
        for name in ["node.json", "replica.key"] {
            try FileManager.default.copyItem(at: node.roster.data.appendingPathComponent(name), to: restored.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: file, to: restored.appendingPathComponent("roster.sqlite"))
        let copy = RosterProcess(data: restored)
        let audit = try copy.run(["audit"])
        #expect(audit.status == 0 && audit.stdout.contains("no findings"), "\(audit.stdout)\(audit.stderr)")
        let exported = try copy.run(["export", "--format", "ops"]).stdout.split(separator: "\n").count
        #expect(Int64(exported) == operations, "the copy holds what backup said it copied")
        #expect(node.serverStatus == -1, "the node served throughout")

        // A file that exists is never overwritten; a folder that does not exist is named.
        let again = try node.roster.run(["backup", file.path])
        #expect(again.status == 2 && again.stderr.contains("already exists") && again.stderr.split(separator: "\n").count == 1)
        let nowhere = try node.roster.run(["backup", folder.path("no/such/folder/b.sqlite").path])
        #expect(nowhere.status == 2 && nowhere.stderr.contains("create it first"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty)
    }

    @Test("Shell completion for bash loads; every command's --help carries an example")
    func completionAndHelp() throws {
        let folder = try TemporaryFolder()
        let script = try RosterProcess.execute(RosterProcess.binary, ["--generate-completion-script", "bash"])
        #expect(script.status == 0 && script.stdout.contains("roster"))
        let file = folder.path("roster.bash")
        try script.stdout.write(to: file, atomically: true, encoding: .utf8)
        let loaded = try RosterProcess.execute(URL(fileURLWithPath: "/bin/bash"), ["-c", "source '\(file.path)' && complete -p roster"])
        #expect(loaded.status == 0 && loaded.stdout.contains("roster"), "\(loaded.stderr)")

        // Every command and subcommand, as --help lists them.
        var commands: [[String]] = [[]]
        var checked = 0
        while let command = commands.popLast() {
            let help = try RosterProcess.execute(RosterProcess.binary, command + ["--help"])
            #expect(help.status == 0 && help.stdout.contains("Example"), "roster \(command.joined(separator: " ")) --help shows no example")
            checked += 1
            if let listing = help.stdout.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first {
                for match in listing.matches(of: /(?m)^  ([a-z][a-z-]*)/) where match.1 != "help" {
                    commands.append(command + [String(match.1)])
                }
            }
        }
        #expect(checked > 30, "\(checked) commands")
    }
}
