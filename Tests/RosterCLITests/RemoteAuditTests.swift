import Foundation
import GRDB
import RosterCore
import Testing

@Suite("roster audit --remote: an auditor with one descriptor and one root fingerprint, and no node, audits a running node")
struct RemoteAuditTests {
    /// An auditor's command: no node, no data folder.
    static func audit(_ url: String, descriptor: URL, state: URL, _ extra: [String] = []) throws -> RosterProcess.Result {
        try RosterProcess.execute(RosterProcess.binary, ["audit", "--remote", url, "--peer", descriptor.path, "--state", state.path] + extra)
    }

    /// A serving node of three entries, and its descriptor.
    static func servedNode(in folder: TemporaryFolder) throws -> (FederatedNode, URL) {
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        for number in 1...3 {
            #expect(try node.roster.run(["add", "domain", "shop-\(number).example", "--category", "drugs"] + CLITests.basis).status == 0)
        }
        let descriptor = folder.path("kz-mvd.json")
        try node.descriptor(to: descriptor)
        return (node, descriptor)
    }

    /// The fingerprint of the root key a descriptor names, as the agency tells it out of band.
    static func root(of descriptor: URL) throws -> String {
        let arguments = RosterProcess.trustArguments(descriptor.path)
        return try #require(arguments.last)
    }

    @Test("The first audit pins the root given with --trust and keeps the checkpoint; a node that serves a shorter or another history at the same address is caught")
    func rewrittenHistory() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        let kz = node.roster
        for number in 1...3 {
            #expect(try kz.run(["add", "domain", "shop-\(number).example", "--category", "drugs"] + CLITests.basis).status == 0)
        }
        #expect(try kz.run(["add", "domain", "shop-4.example", "--category", "nps", "--statute", "Art. 296"] + CLITests.basis).status == 0)
        #expect(try kz.run(["revoke", "kz-mvd/main:3", "--reason", "decision overturned on appeal"]).status == 0)
        let descriptor = folder.path("kz-mvd.json")
        try node.descriptor(to: descriptor)
        let root = try Self.root(of: descriptor)
        let state = folder.path("auditor-state.json")

        let unconfirmed = try Self.audit(node.endpoint, descriptor: descriptor, state: state)
        #expect(unconfirmed.status == 2 && unconfirmed.stderr.contains("--trust \(root)"), "\(unconfirmed.stderr)")
        let wrong = try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--trust", String(repeating: "0", count: 64)])
        #expect(wrong.status == 2 && wrong.stderr.contains("not the agency you confirmed"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state.path), "nothing is kept from an audit that did not run")

        let first = try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--trust", root])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        for line in ["log roster/kz-mvd/main: 7 leaves", "audited 7 operations (0 void), 4 entries, 1 revoked",
                     "agency kz-mvd: 7 operations, 4 entries, 1 revoked", "category \"drugs\": 2", "category \"nps\": 1",
                     "authority \"MVD KZ\": 3", "complete legal basis (no statute, or decided after listing): 2",
                     "revoked for \"decision overturned on appeal\": 1", "no findings"] {
            #expect(first.stdout.contains(line), "\(line) in \(first.stdout)")
        }
        #expect(try RosterProcess.validate(state, schema: "audit-state.schema.json").status == 0)
        // Later audits need no --trust: the state file pins the agency.
        let json = try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--json", "--max-age", "1h"])
        #expect(json.status == 0, "\(json.stdout)\(json.stderr)")
        let report = folder.path("report.json")
        try json.stdout.write(to: report, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(report, schema: "remote-audit.schema.json").status == 0)

        // A copy of the node's folder, taken now, and the node grown on past it.
        node.stop()
        let original = folder.path("kz-mvd"), copy = folder.path("kz-mvd-copy"), away = folder.path("kz-mvd-original")
        try FileManager.default.copyItem(at: original, to: copy)
        #expect(try kz.run(["add", "domain", "shop-5.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try kz.run(["checkpoint"]).status == 0)
        try node.start()
        #expect(try Self.audit(node.endpoint, descriptor: descriptor, state: state).status == 0)
        let grown = try String(contentsOf: state, encoding: .utf8)
        #expect(grown.contains("\\n8\\n"), "the state moved on to size 8")

        // The copy served at the same address, with the same keys: its log is shorter than the one seen.
        node.stop()
        try FileManager.default.moveItem(at: original, to: away)
        try FileManager.default.moveItem(at: copy, to: original)
        #expect(try kz.run(["checkpoint"]).status == 0)
        try node.start()
        let shorter = try Self.audit(node.endpoint, descriptor: descriptor, state: state)
        #expect(shorter.status == 1 && shorter.stdout.contains("fewer than the 8 of the checkpoint in the state file: the node rewrote its history"),
                "\(shorter.stdout)")
        #expect(try String(contentsOf: state, encoding: .utf8) == grown, "a failed audit keeps the state as it was")

        // The copy grown apart: as long as the log seen, but another history.
        node.stop()
        #expect(try kz.run(["add", "domain", "other-shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try kz.run(["add", "domain", "third-shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try kz.run(["checkpoint"]).status == 0)
        try node.start()
        let rewritten = try Self.audit(node.endpoint, descriptor: descriptor, state: state)
        #expect(rewritten.status == 1 && rewritten.stdout.contains("first 8 leaves give root")
                && rewritten.stdout.contains("the node rewrote its history since"), "\(rewritten.stdout)")
        // Without the state file, the copy's log is consistent in itself: the state is what caught it.
        let fresh = try Self.audit(node.endpoint, descriptor: descriptor, state: folder.path("fresh-state.json"), ["--trust", root])
        #expect(fresh.status == 0, "\(fresh.stdout)")

        // The original again: still the history the auditor kept.
        node.stop()
        try FileManager.default.removeItem(at: original)
        try FileManager.default.moveItem(at: away, to: original)
        try node.start()
        #expect(try Self.audit(node.endpoint, descriptor: descriptor, state: state).status == 0)
    }

    @Test("A checkpoint older than --max-age fails the audit: a frozen or withheld log shows")
    func freshness() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        #expect(try node.roster.run(["add", "domain", "shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        let descriptor = folder.path("kz-mvd.json")
        try node.descriptor(to: descriptor)
        let state = folder.path("state.json")
        let root = try Self.root(of: descriptor)
        #expect(try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--trust", root, "--max-age", "10m"]).status == 0)
        sleep(3)
        let stale = try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--max-age", "2s"])
        #expect(stale.status == 1 && stale.stdout.contains("more than --max-age 2 s: the log is frozen, withheld or stalled"), "\(stale.stdout)")
        #expect(try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--max-age", "soon"]).status == 64)
    }

    @Test("An operation altered in the node's database is served as the log holds it: the remote audit finds the leaf that does not verify")
    func alteredOperation() throws {
        let folder = try TemporaryFolder()
        let (node, descriptor) = try Self.servedNode(in: folder)
        let state = folder.path("state.json")
        #expect(try Self.audit(node.endpoint, descriptor: descriptor, state: state, ["--trust", Self.root(of: descriptor)]).status == 0)
        node.stop()
        // Someone with the database edits an entry's domain, and re-signs nothing.
        let database = try DatabaseQueue(path: node.roster.data.appendingPathComponent("roster.sqlite").path)
        try database.write { db in
            try db.execute(sql: "UPDATE operation SET body = replace(body, 'shop-2.example', 'shop-x.example')")
        }
        #expect(try node.roster.run(["checkpoint"]).status == 0)
        try node.start()
        let audited = try Self.audit(node.endpoint, descriptor: descriptor, state: state)
        #expect(audited.status == 1 && audited.stdout.contains("leaf 3: "), "\(audited.stdout)")
    }

    @Test("A bundle audits offline as the node does over HTTPS; an altered, shortened or foreign bundle is refused with the reason")
    func bundle() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        for number in 1...3 {
            #expect(try node.roster.run(["add", "domain", "shop-\(number).example", "--category", "drugs"] + CLITests.basis).status == 0)
        }
        #expect(try node.roster.run(["revoke", "kz-mvd/main:2", "--reason", "sold out"]).status == 0)
        let descriptor = folder.path("kz-mvd.json")
        try node.descriptor(to: descriptor, reachable: false)
        let root = try Self.root(of: descriptor)
        let file = folder.path("kz.bundle")
        #expect(try node.roster.run(["export", "--format", "bundle", "-o", file.path]).status == 0)
        #expect(try RosterProcess.validate(file, schema: "log-bundle.schema.json", lines: true).stdout.contains("7 valid"))
        func audit(_ file: URL, _ extra: [String] = []) throws -> RosterProcess.Result {
            try RosterProcess.execute(RosterProcess.binary, ["audit", "--bundle", file.path, "--peer", descriptor.path] + extra)
        }
        let state = folder.path("state.json")
        let audited = try audit(file, ["--trust", root, "--state", state.path])
        #expect(audited.status == 0 && audited.stdout.contains("audited 6 operations (0 void), 3 entries, 1 revoked")
                && audited.stdout.contains("revoked for \"sold out\": 1"), "\(audited.stdout)\(audited.stderr)")
        #expect(try audit(file, ["--state", state.path]).status == 0, "the state pins the agency now")
        #expect(try audit(file).status == 2, "no state, no --trust: the root is not confirmed")

        let text = try String(contentsOf: file, encoding: .utf8)
        let altered = folder.path("altered.bundle")
        try text.replacingOccurrences(of: "shop-3.example", with: "shop-x.example").write(to: altered, atomically: true, encoding: .utf8)
        let refused = try audit(altered, ["--trust", root])
        #expect(refused.status == 1 && refused.stdout.contains("leaf 4: operation kz-mvd/main:3 has a signature that does not verify")
                && refused.stdout.contains("these leaves are not the history the node signed"), "\(refused.stdout)")
        let short = folder.path("short.bundle")
        try text.split(separator: "\n").dropLast().map { $0 + "\n" }.joined().write(to: short, atomically: true, encoding: .utf8)
        let shortened = try audit(short, ["--trust", root])
        #expect(shortened.status == 1 && shortened.stdout.contains("ends at leaf 5, before the size its checkpoint states"), "\(shortened.stdout)")
        let foreign = try audit(descriptor, ["--trust", root])
        #expect(foreign.status == 2 && foreign.stderr.contains("is not a log bundle"), "\(foreign.stderr)")
        let longer = folder.path("longer.bundle")
        try (text + (text.split(separator: "\n").last.map { $0 + "\n" } ?? "")).write(to: longer, atomically: true, encoding: .utf8)
        let extra = try audit(longer, ["--trust", root, "--state", state.path])
        #expect(extra.status == 1 && extra.stdout.contains("holds lines past the leaves its checkpoint covers"), "\(extra.stdout)")
        let fifo = folder.path("fifo.bundle")
        #expect(try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["mkfifo", fifo.path]).status == 0)
        let piped = try audit(fifo, ["--trust", root])
        #expect(piped.status == 2 && piped.stderr.contains("is not a regular file"), "\(piped.stderr)")
    }

    @Test("A forger's log is refused in one line each, without reading an endless size: a checkpoint dated ahead, a size of 2^62, a stranger's signature", arguments: [
        ("future", "ahead of this machine's clock"), ("endless", "too many findings"), ("stranger", "is not signed by kz-mvd/main"),
    ])
    func forgedLog(mode: String, finding: String) throws {
        let folder = try TemporaryFolder()
        let (node, descriptor) = try Self.servedNode(in: folder)
        let port = try CachingProxy.freePort()
        let forger = Process()
        forger.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        forger.arguments = ["python3", RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/forging_log.py").path, mode, String(port),
                            node.endpoint, node.roster.data.appendingPathComponent("replica.key").path]
        try forger.run()
        // SIGKILL: a child of the test runner inherits its blocked SIGTERM (see `CachingProxy`).
        defer { kill(forger.processIdentifier, SIGKILL); forger.waitUntilExit() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !FederatedNode.canConnect(port) { usleep(100_000) }
        let state = folder.path("state.json")
        let audited = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "timeout", "60", RosterProcess.binary.path, "audit", "--remote", "http://127.0.0.1:\(port)", "--peer", descriptor.path,
            "--state", state.path, "--trust", Self.root(of: descriptor),
        ])
        #expect(audited.status == 1 && audited.stdout.contains(finding), "\(mode): exit \(audited.status) \(audited.stdout.suffix(600))\(audited.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state.path), "nothing kept from a forged log")
    }

    @Test("Through a caching proxy (Debian's nginx) the auditor audits the node as well; full tiles are then served from the cache, the node stopped")
    func throughCachingProxy() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        // Two full tiles of entries and a partial one.
        let csv = folder.path("shops.csv")
        try ("value\n" + (0..<600).map { "shop-\($0).example\n" }.joined()).write(to: csv, atomically: true, encoding: .utf8)
        #expect(try node.roster.run(["import", csv.path, "--format", "csv", "--category", "drugs"] + CLITests.basis).status == 0)
        let descriptor = folder.path("kz-mvd.json")
        try node.descriptor(to: descriptor)
        let proxy = try CachingProxy(folder: folder.path("nginx"), upstream: node.endpoint)
        defer { proxy.stop() }

        let state = folder.path("state.json")
        let first = try Self.audit(proxy.url, descriptor: descriptor, state: state, ["--trust", Self.root(of: descriptor)])
        #expect(first.status == 0 && first.stdout.contains("log roster/kz-mvd/main: 602 leaves"), "\(first.stdout)\(first.stderr)")
        #expect(try Self.audit(proxy.url, descriptor: descriptor, state: state).status == 0)
        // A thin client that reads the hash tiles through the proxy puts them in its cache too.
        #expect(try proxy.get("/log/tile/0/000").cache == "MISS")
        #expect(try proxy.get("/log/tile/0/001").status == 200)
        node.stop()
        for tile in ["/log/tile/entries/000", "/log/tile/entries/001", "/log/tile/0/000", "/log/tile/0/001"] {
            let served = try proxy.get(tile)
            #expect(served.status == 200 && served.cache == "HIT", "\(tile): \(served)")
        }
        // The checkpoint is never cached: with the node gone, nothing fresh is vouched for.
        #expect(try proxy.get("/log/checkpoint").status == 502)
        #expect(try Self.audit(proxy.url, descriptor: descriptor, state: state).status != 0)
    }
}

/// Debian's nginx as a caching reverse proxy in front of a node, on a port of its
/// own, with everything it writes in `folder`. Run with its master process, which
/// sets its own signal mask (one started without it keeps the test runner's, where
/// SIGTERM is blocked, and never stops). It does not check the node's
/// certificate: the auditor verifies what passes through by hashes and signatures.
final class CachingProxy {
    let process = Process()
    let port: Int

    init(folder: URL, upstream: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try Self.freePort()
        let path = folder.path
        let configuration = """
            daemon off;
            \(getuid() == 0 ? "user root root;" : "")
            pid \(path)/nginx.pid;
            error_log \(path)/error.log;
            events {}
            http {
                access_log \(path)/access.log;
                client_body_temp_path \(path)/body;
                proxy_temp_path \(path)/proxy;
                fastcgi_temp_path \(path)/fastcgi;
                uwsgi_temp_path \(path)/uwsgi;
                scgi_temp_path \(path)/scgi;
                proxy_cache_path \(path)/cache keys_zone=log:1m;
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass \(upstream);
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_cache log;
                        add_header X-Cache-Status $upstream_cache_status always;
                    }
                }
            }
            """
        let file = folder.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", path, "-c", file.path]
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "nginx is installed by .ci/run (nginx-light): \(error)"])
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning, try get("/log/checkpoint").status != 200 { usleep(100_000) }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// A port nothing listens on now, as the system hands one out.
    static func freePort() throws -> Int {
        let found = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import socket
            s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
            """])
        return Int(found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Status and X-Cache-Status of a GET through the proxy.
    func get(_ path: String) throws -> (status: Int, cache: String) {
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                               ["curl", "-s", "-o", "/dev/null", "-D", "-", "-w", "%{http_code}", url + path])
        let cache = result.stdout.firstMatch(of: /(?i)x-cache-status: (\w+)/).map { String($0.1) } ?? "-"
        return (Int(result.stdout.suffix(3)) ?? 0, cache)
    }

    /// Stops the master process, which stops its worker; killed if it will not go.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
