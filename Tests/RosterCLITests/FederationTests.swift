import Foundation
import Testing

@Suite("Federation over mutual TLS, with real processes on loopback", .serialized)
struct FederationTests {
    static let basis = ["--category", "drugs", "--authority", "Court", "--reference", "R-1", "--decided", "2026-01-01"]

    /// Three agencies; kz and uz sync with each other, ru syncs with uz only; kz and
    /// ru know each other's keys, so their operations travel through uz (gossip).
    /// With `secondReplica`, kz-mvd also runs an almaty node that syncs with kz and
    /// ru (a ring), enrolled by kz's agency key: uz learns its key from the enrol in
    /// kz-mvd's key events, which kz's descriptor carries.
    func federation(_ folder: TemporaryFolder, secondReplica: Bool = false) throws -> [FederatedNode] {
        var nodes = try ["kz-mvd", "uz-iib", "ru-mvd"].map { try FederatedNode(folder: folder, agency: $0) }
        let (kz, uz, ru) = (nodes[0], nodes[1], nodes[2])
        func add(_ file: String, to node: FederatedNode) throws {
            let result = try node.roster.addPeers(folder.path(file).path)
            #expect(result.status == 0, "\(node.name) adds \(file): \(result.stderr)")
        }
        if secondReplica {
            let almaty = try FederatedNode(folder: folder, agency: "kz-mvd", replica: "almaty", joining: kz)
            nodes.append(almaty)
            // kz's descriptor carries the enrol: almaty learns it is enrolled, and can sign.
            try kz.descriptor(to: folder.path("kz-main.json"))
            try add("kz-main.json", to: almaty)
            try almaty.descriptor(to: folder.path("kz-mvd-almaty.json"))
            try add("kz-mvd-almaty.json", to: kz)
        }
        for node in nodes { try node.descriptor(to: folder.path("\(node.name).json")) }
        try kz.descriptor(to: folder.path("kz-keys.json"), reachable: false)
        try ru.descriptor(to: folder.path("ru-keys.json"), reachable: false)
        try add("uz-iib.json", to: kz)
        try add("ru-keys.json", to: kz)
        try add("kz-mvd.json", to: uz)
        try add("ru-mvd.json", to: uz)
        try add("uz-iib.json", to: ru)
        try add("kz-keys.json", to: ru)
        if secondReplica {
            try uz.descriptor(to: folder.path("uz-keys.json"), reachable: false)
            try add("kz-mvd-almaty.json", to: ru)
            try add("ru-mvd.json", to: nodes[3])
            try add("uz-keys.json", to: nodes[3])
        }
        for node in nodes { try node.start() }
        return nodes
    }

    @Test("Concurrent adds, amends and revokes on three agencies, one with two replicas, converge after syncs in random pairs")
    func convergence() throws {
        let folder = try TemporaryFolder()
        let nodes = try federation(folder, secondReplica: true)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<4 {
            for node in nodes {
                let id = try node.roster.run(["add", "domain", "r\(round).\(node.name).example"] + Self.basis).stdout
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
            #expect(result.status == 0, "\(node.name): \(result.stderr)")
        }
        // Final full rounds: the peers form a ring, so two passes reach everyone.
        for _ in 0..<2 {
            for node in nodes {
                let result = try node.roster.run(["sync"])
                #expect(result.status == 0, "\(node.name): \(result.stderr)")
            }
        }
        // An idle round: each side already holds everything; its report has its schema.
        let idle = try nodes[0].roster.run(["sync", "--json"])
        #expect(idle.status == 0 && idle.lines.count == 2 && idle.stdout.contains("\"pulled\":0"), "\(idle.stdout)")
        try idle.stdout.write(to: folder.path("sync-report.ndjson"), atomically: true, encoding: .utf8)
        let report = try RosterProcess.validate(folder.path("sync-report.ndjson"), schema: "sync-report.schema.json", lines: true)
        #expect(report.status == 0, "\(report.stdout)")
        let states = try nodes.map { try $0.status() }
        #expect(Set(states.map(\.digest)).count == 1, "\(states)")
        #expect(Set(states.map(\.clock)).count == 1, "\(states)")
        for origin in ["kz-mvd/main", "kz-mvd/almaty", "uz-iib/main", "ru-mvd/main"] {
            #expect(states[0].clock.contains("\"\(origin)\":7"), "\(origin) in \(states[0].clock)")
        }
        for node in nodes {
            #expect(try node.roster.run(["audit"]).status == 0, "audit on \(node.name)")
        }
        // Each server's check index followed what sync commands, other processes, applied.
        for node in nodes {
            let listed = try node.curl("/v1/check?resource=r0.ru-mvd.example", on: node, withCertificate: false)
            #expect(listed.status == 200 && listed.body.contains("\"listed\":true"), "\(node.name): \(listed.body)")
            let revoked = try node.curl("/v1/check?resource=r2.kz-mvd-almaty.example", on: node, withCertificate: false)
            #expect(revoked.status == 200 && revoked.body.contains("\"listed\":false"), "\(node.name): \(revoked.body)")
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
        // A copy of kz's node that will sign a second history: kz-mvd/main:1 twice.
        try FileManager.default.copyItem(at: kz.roster.data, to: folder.path("kz-twin"))
        let twin = RosterProcess(data: folder.path("kz-twin"))
        try kz.roster.run(["add", "domain", "a.example"] + Self.basis)
        #expect(try kz.roster.run(["sync"]).status == 0)
        let before = try uz.status()

        // openssl s_client reaches the sync API with a peer's client certificate, and is refused without one.
        let probe = try kz.openssl(get: "/v1/status", on: uz)
        #expect(probe.hasPrefix("HTTP/1.1 200") && probe.contains(before.digest), "\(probe)")
        let bare = try kz.openssl(get: "/v1/status", on: uz, withCertificate: false)
        #expect(bare.hasPrefix("HTTP/1.1 403") && bare.contains("client certificate"), "\(bare)")

        // No client certificate, or one no descriptor pins: 403 on sync routes; check stays public.
        #expect(try kz.curl("/v1/status", on: uz, withCertificate: false).status == 403)
        let stranger = try FederatedNode(folder: folder, agency: "by-mvd")
        try stranger.descriptor(to: folder.path("by-mvd.json"))
        let refused = try stranger.curl("/v1/sync/pull", on: uz, data: folder.path("kz-mvd.json"))
        #expect(refused.status == 403 && refused.body.contains("no peer descriptor pins"))
        let check = try stranger.curl("/v1/check?resource=a.example", on: uz, withCertificate: false)
        #expect(check.status == 200 && check.body.contains("\"listed\":true"))

        // A descriptor, signed by the agency, whose pin is not the server's key (a copy
        // of the node with a new TLS key made it): the client names both fingerprints.
        try FileManager.default.copyItem(at: uz.roster.data, to: folder.path("uz-renewed"))
        for file in ["tls.key", "tls.crt"] { try FileManager.default.removeItem(at: folder.path("uz-renewed").appendingPathComponent(file)) }
        let renewed = RosterProcess(data: folder.path("uz-renewed"))
        try renewed.run(["peers", "descriptor", "--endpoint", uz.endpoint]).stdout.write(to: folder.path("uz-wrong.json"), atomically: true, encoding: .utf8)
        #expect(try stranger.roster.addPeers(folder.path("uz-wrong.json").path).status == 0)
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
        #expect(try uz.status() == before, "nothing reached the roster")
        #expect(try twin.run(["add", "domain", "evil.example"] + Self.basis).status == 0)
        try twin.run(["export", "--format", "ops"]).stdout.write(to: folder.path("twin.ndjson"), atomically: true, encoding: .utf8)
        let equivocation = try kz.curl("/v1/sync/push", on: uz, data: folder.path("twin.ndjson"))
        #expect(equivocation.status == 200 && equivocation.body.contains("\"outcome\":\"rejected\"")
            && equivocation.body.contains("equivocating"), "\(equivocation.body)")
        let strangerOps = try stranger.roster.run(["add", "domain", "x.example"] + Self.basis)
        #expect(strangerOps.status == 0)
        try stranger.roster.run(["export", "--format", "ops"]).stdout.write(to: folder.path("unknown.ndjson"), atomically: true, encoding: .utf8)
        let unknown = try kz.curl("/v1/sync/push", on: uz, data: folder.path("unknown.ndjson"))
        #expect(unknown.status == 200 && unknown.body.contains("which this node does not trust"), "\(unknown.body)")
        try "{\"v\":1,".write(to: folder.path("malformed.ndjson"), atomically: true, encoding: .utf8)
        #expect(try kz.curl("/v1/sync/push", on: uz, data: folder.path("malformed.ndjson")).status == 400)
        let big = String(repeating: "x", count: 9 << 20)
        try big.write(to: folder.path("big.ndjson"), atomically: true, encoding: .utf8)
        #expect(try kz.curl("/v1/sync/push", on: uz, data: folder.path("big.ndjson")).status == 413)

        // A pull request is what its schema says, or 400.
        for (index, strange) in ["{\"clock\":{},\"evil\":1}", "{\"clock\":{},\"limit\":\"5\"}", "{\"clock\":{},\"limit\":1e300}"].enumerated() {
            try strange.write(to: folder.path("strange-\(index).json"), atomically: true, encoding: .utf8)
            #expect(try kz.curl("/v1/sync/pull", on: uz, data: folder.path("strange-\(index).json")).status == 400, "\(strange)")
        }

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

        // The equivocation is kept as proof, not applied, and quarantines kz-mvd/main from its fork:
        // its a.example leaves the view. Audit names the origin and fails.
        #expect(try uz.roster.run(["check", "a.example"]).status == 1)
        let audit = try uz.roster.run(["audit"])
        #expect(audit.status == 1 && audit.stdout.contains("1 equivocation proofs")
            && audit.stdout.contains("kz-mvd/main equivocated"), "\(audit.stdout)")
        _ = ru
    }

    @Test("A peer that is down is retried with back-off by anti-entropy and caught up when it returns")
    func downPeer() throws {
        let folder = try TemporaryFolder()
        let nodes = try federation(folder)
        let (kz, uz) = (nodes[0], nodes[1])
        uz.stop()
        kz.stop()
        try kz.start(interval: 1)
        #expect(try kz.roster.run(["add", "domain", "while-down.example"] + Self.basis).status == 0)
        let log = kz.roster.data.appendingPathComponent("serve.log")
        func logged(_ text: String) -> Bool { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(text) }
        var deadline = Date().addingTimeInterval(20)
        while !logged("sync with uz-iib/main failed (2 in a row)") && Date() < deadline { usleep(200_000) }
        #expect(logged("sync with uz-iib/main failed (2 in a row)"), "kz retried the peer that is down")
        try uz.start()
        deadline = Date().addingTimeInterval(30)
        while try uz.status().digest != kz.status().digest && Date() < deadline { usleep(250_000) }
        #expect(try uz.status().digest == kz.status().digest, "uz caught up once it was back")
        #expect(try uz.roster.run(["audit"]).status == 0)
    }

    @Test("Anti-entropy keeps its connection to a peer from round to round, and opens a new one when the peer restarted")
    func keptConnection() throws {
        let folder = try TemporaryFolder()
        let nodes = try federation(folder)
        let (kz, uz) = (nodes[0], nodes[1])
        kz.stop()
        try kz.start(interval: 1)
        let log = kz.roster.data.appendingPathComponent("serve.log")
        func rounds(_ text: String) -> Int {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "\n")
                .filter { $0.contains("sync with uz-iib/main: pulled") && $0.contains(text) }.count
        }
        func wait(until condition: () throws -> Bool) rethrows {
            let deadline = Date().addingTimeInterval(30)
            while try !condition() && Date() < deadline { usleep(200_000) }
        }
        wait { rounds("over the kept connection") >= 3 }
        #expect(rounds("over 1 new connection") == 1, "one connection for the first round")
        #expect(rounds("over the kept connection") >= 3, "later rounds reuse it")

        // The peer restarts: the kept connection is gone, and the next round opens another.
        uz.stop()
        try uz.start()
        #expect(try kz.roster.run(["add", "domain", "after-restart.example"] + Self.basis).status == 0)
        try wait { try uz.status().digest == kz.status().digest }
        #expect(try uz.status().digest == kz.status().digest, "uz got the operation over a new connection")
        #expect(rounds("over 1 new connection") >= 2)
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
