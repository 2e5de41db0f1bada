import Foundation
import Testing

@Suite("Federation over mutual TLS, with real processes on loopback", .serialized)
struct FederationTests {
    static let basis = ["--category", "drugs", "--authority", "Court", "--reference", "R-1", "--decided", "2026-01-01"]

    /// Three agencies; kz and uz sync with each other, ru syncs with uz only; kz and
    /// ru know each other's keys, so their operations travel through uz (gossip).
    func federation(_ folder: TemporaryFolder) throws -> [FederatedNode] {
        let nodes = try ["kz-mvd", "uz-iib", "ru-mvd"].map { try FederatedNode(folder: folder, agency: $0) }
        let (kz, uz, ru) = (nodes[0], nodes[1], nodes[2])
        for node in nodes { try node.descriptor(to: folder.path("\(node.agency).json")) }
        try kz.descriptor(to: folder.path("kz-keys.json"), reachable: false)
        try ru.descriptor(to: folder.path("ru-keys.json"), reachable: false)
        #expect(try kz.roster.run(["peers", "add", folder.path("uz-iib.json").path]).status == 0)
        #expect(try kz.roster.run(["peers", "add", folder.path("ru-keys.json").path]).status == 0)
        #expect(try uz.roster.run(["peers", "add", folder.path("kz-mvd.json").path]).status == 0)
        #expect(try uz.roster.run(["peers", "add", folder.path("ru-mvd.json").path]).status == 0)
        #expect(try ru.roster.run(["peers", "add", folder.path("uz-iib.json").path]).status == 0)
        #expect(try ru.roster.run(["peers", "add", folder.path("kz-keys.json").path]).status == 0)
        for node in nodes { try node.start() }
        return nodes
    }

    @Test("Concurrent adds, amends and revokes on three agencies converge after syncs in random pairs")
    func convergence() throws {
        let folder = try TemporaryFolder()
        let nodes = try federation(folder)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<4 {
            for node in nodes {
                let id = try node.roster.run(["add", "domain", "r\(round).\(node.agency).example"] + Self.basis).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if round % 2 == 1 {
                    #expect(try node.roster.run(["amend", id, "--note", "round \(round)"]).status == 0)
                }
                if round == 2 {
                    #expect(try node.roster.run(["revoke", id, "--reason", "lifted"]).status == 0)
                }
            }
            // A random node syncs with its peers.
            let node = nodes.randomElement(using: &rng)!
            let result = try node.roster.run(["sync"])
            #expect(result.status == 0, "\(node.agency): \(result.stderr)")
        }
        // Final full rounds: uz is the hub, so two passes reach everyone.
        for _ in 0..<2 {
            for node in nodes {
                let result = try node.roster.run(["sync"])
                #expect(result.status == 0, "\(node.agency): \(result.stderr)")
            }
        }
        let states = try nodes.map { try $0.status() }
        #expect(Set(states.map(\.digest)).count == 1, "\(states)")
        #expect(Set(states.map(\.clock)).count == 1, "\(states)")
        #expect(states[0].clock.contains("\"kz-mvd/main\":7") && states[0].clock.contains("\"ru-mvd/main\":7"), "\(states[0].clock)")
        for node in nodes {
            #expect(try node.roster.run(["audit"]).status == 0, "audit on \(node.agency)")
        }
        // Graceful shutdown on SIGTERM.
        for node in nodes {
            node.stop()
            #expect(node.serverStatus == 0)
        }
    }

    @Test("Strangers, wrong pins and bad operations are refused with a status and a reason; nothing changes")
    func refusals() throws {
        let folder = try TemporaryFolder()
        let nodes = try federation(folder)
        let (kz, uz, ru) = (nodes[0], nodes[1], nodes[2])
        try kz.roster.run(["add", "domain", "a.example"] + Self.basis)
        #expect(try kz.roster.run(["sync"]).status == 0)
        let before = try uz.status()

        // No client certificate, or one no descriptor pins: 403 on sync routes; check stays public.
        #expect(try kz.curl("/v1/status", on: uz, withCertificate: false).status == 403)
        let stranger = try FederatedNode(folder: folder, agency: "by-mvd")
        try stranger.descriptor(to: folder.path("by-mvd.json"))
        let refused = try stranger.curl("/v1/sync/pull", on: uz, data: folder.path("kz-mvd.json"))
        #expect(refused.status == 403 && refused.body.contains("no peer descriptor pins"))
        let check = try stranger.curl("/v1/check?resource=a.example", on: uz, withCertificate: false)
        #expect(check.status == 200 && check.body.contains("\"listed\":true"))

        // A descriptor whose pin is not the server's key: the client names both fingerprints.
        let original = try String(contentsOf: folder.path("uz-iib.json"), encoding: .utf8)
        let pinRange = try #require(original.range(of: #"(?<="tls_spki_sha256":")[0-9a-f]{64}"#, options: .regularExpression))
        let pin = original[pinRange]
        let otherPin = (pin.first == "0" ? "1" : "0") + pin.dropFirst()
        let wrong = original.replacingCharacters(in: pinRange, with: otherPin)
        try wrong.write(to: folder.path("uz-wrong.json"), atomically: true, encoding: .utf8)
        #expect(try stranger.roster.run(["peers", "add", folder.path("uz-wrong.json").path]).status == 0)
        let mismatch = try stranger.roster.run(["sync"])
        #expect(mismatch.status != 0 && mismatch.stderr.contains("presented TLS key sha256") && mismatch.stderr.contains("pins"), "\(mismatch.stderr)")

        // Bad operations pushed by a known peer.
        let ops = try kz.roster.run(["export", "--format", "ops"]).stdout
        let forged = ops.replacingOccurrences(of: "a.example", with: "b.example")
        try forged.write(to: folder.path("forged.ndjson"), atomically: true, encoding: .utf8)
        let forgedPush = try kz.curl("/v1/sync/push", on: uz, data: folder.path("forged.ndjson"))
        #expect(forgedPush.status == 200 && forgedPush.body.contains("\"outcome\":\"rejected\"") && forgedPush.body.contains("signature"))
        try ops.write(to: folder.path("replay.ndjson"), atomically: true, encoding: .utf8)
        let replay = try kz.curl("/v1/sync/push", on: uz, data: folder.path("replay.ndjson"))
        #expect(replay.status == 200 && replay.body.contains("\"outcome\":\"known\""))
        let strangerOps = try stranger.roster.run(["add", "domain", "x.example"] + Self.basis)
        #expect(strangerOps.status == 0)
        try stranger.roster.run(["export", "--format", "ops"]).stdout.write(to: folder.path("unknown.ndjson"), atomically: true, encoding: .utf8)
        let unknown = try kz.curl("/v1/sync/push", on: uz, data: folder.path("unknown.ndjson"))
        #expect(unknown.status == 200 && unknown.body.contains("not a known peer"))
        try "{\"v\":1,".write(to: folder.path("malformed.ndjson"), atomically: true, encoding: .utf8)
        #expect(try kz.curl("/v1/sync/push", on: uz, data: folder.path("malformed.ndjson")).status == 400)
        let big = String(repeating: "x", count: 9 << 20)
        try big.write(to: folder.path("big.ndjson"), atomically: true, encoding: .utf8)
        #expect(try kz.curl("/v1/sync/push", on: uz, data: folder.path("big.ndjson")).status == 413)

        // Every answer has its schema.
        try "{\"clock\":{}}".write(to: folder.path("pull.json"), atomically: true, encoding: .utf8)
        let answers: [(String, (status: Int, body: String), Bool)] = [
            ("sync-status.schema.json", try kz.curl("/v1/status", on: uz), false),
            ("operation.schema.json", try kz.curl("/v1/sync/pull", on: uz, data: folder.path("pull.json")), true),
            ("sync-push-response.schema.json", forgedPush, false),
            ("check.schema.json", check, false),
            ("error.schema.json", refused, false),
        ]
        for (index, (schema, answer, lines)) in answers.enumerated() {
            let file = folder.path("answer-\(index).json")
            try answer.body.write(to: file, atomically: true, encoding: .utf8)
            let valid = try RosterProcess.validate(file, schema: schema, lines: lines)
            #expect(valid.status == 0, "\(schema): \(valid.stdout)\(valid.stderr)")
        }

        #expect(try uz.status() == before, "nothing reached the database")
        #expect(try uz.roster.run(["audit"]).status == 0)
        _ = ru
    }

    @Test("A sync killed with SIGKILL halfway loses nothing: audit passes and the next sync completes")
    func killedSync() throws {
        let folder = try TemporaryFolder()
        let nodes = try federation(folder)
        let (kz, uz) = (nodes[0], nodes[1])
        var csv = "value\n"
        for index in 0..<12_000 { csv += "shop-\(index).example\n" }
        try csv.write(to: folder.path("big.csv"), atomically: true, encoding: .utf8)
        #expect(try kz.roster.run(["import", folder.path("big.csv").path, "--format", "csv"] + Self.basis).status == 0)

        let sync = try uz.roster.start(["sync", "--peer", "kz-mvd"])
        let deadline = Date().addingTimeInterval(120)
        let wal = uz.roster.data.appendingPathComponent("roster.sqlite-wal").path
        while sync.isRunning && Date() < deadline {
            if ((try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0) > 1 << 20 { break }
            usleep(20_000)
        }
        #expect(sync.isRunning, "the sync finished before it could be killed: make the roster bigger")
        kill(sync.processIdentifier, SIGKILL)
        sync.waitUntilExit()
        #expect(try uz.status().digest != kz.status().digest, "the killed sync stopped partway")
        #expect(try uz.roster.run(["audit"]).status == 0)
        let resumed = try uz.roster.run(["sync", "--peer", "kz-mvd"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try uz.status().digest == kz.status().digest)
        #expect(try uz.roster.run(["audit"]).status == 0)
    }
}
