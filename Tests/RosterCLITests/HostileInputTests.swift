import Foundation
import GRDB
import Testing

/// Rows of the hardening issue's table, replayed against real processes: each
/// once crashed, stalled or lost data, and must now be a clear refusal.
@Suite("Hostile input against real processes", .serialized)
struct HostileInputTests {
    static let basis = ["--category", "drugs", "--authority", "Court", "--reference", "R-1", "--decided", "2026-01-01"]

    @Test("An ops line dated 2300 is refused with its line number, by import and by a running server")
    func farFutureTime() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "uz-iib")
        let peer = try FederatedNode(folder: folder, agency: "kz-mvd")
        try peer.descriptor(to: folder.path("kz.json"))
        #expect(try node.roster.addPeers(folder.path("kz.json").path).status == 0)
        // A real operation of the peer, its time moved to 2300: the signature no longer holds.
        try peer.roster.run(["add", "domain", "a.example"] + Self.basis)
        try peer.roster.run(["export", "--format", "ops", "-o", folder.path("kz.ops").path])
        let line = try String(contentsOf: folder.path("kz.ops"), encoding: .utf8)
            .replacingOccurrences(of: #""time":"[^"]*""#, with: #""time":"2300-01-01T00:00:00Z""#, options: .regularExpression)
        #expect(line.contains("2300-01-01"))
        try line.write(to: folder.path("future.ops"), atomically: true, encoding: .utf8)
        let imported = try node.roster.run(["import", folder.path("future.ops").path, "--format", "ops"])
        #expect(imported.status == 2, "\(imported.stderr)")
        // Every line's time was moved, the agency's key events' too: the first replica operation is named before them.
        #expect(imported.stderr.hasPrefix("roster: line 3: ") && imported.stderr.contains("signature"), "\(imported.stderr)")

        try node.start()
        let pushed = try peer.curl("/v1/sync/push", on: node, data: folder.path("future.ops"))
        #expect(pushed.status == 200 && pushed.body.contains("rejected"), "\(pushed)")
        #expect(node.serverStatus == -1, "the server is still running")
        #expect(try peer.curl("/v1/status", on: node).status == 200)
        node.stop()
        #expect(node.serverStatus == 0)
    }

    @Test("export -o onto a directory is refused and the directory is kept; onto a file, the file is replaced whole")
    func exportOntoDirectory() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        try node.run(["add", "domain", "shop.example"] + Self.basis)
        let directory = folder.path("zones")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "keep me".write(to: directory.appendingPathComponent("other.rpz"), atomically: true, encoding: .utf8)

        let refused = try node.run(["export", "--format", "rpz", "-o", directory.path])
        #expect(refused.status == 2 && refused.stderr.contains("is a directory"), "\(refused.stderr)")
        #expect(try String(contentsOf: directory.appendingPathComponent("other.rpz"), encoding: .utf8) == "keep me")

        let file = directory.appendingPathComponent("roster.rpz")
        try "old zone".write(to: file, atomically: true, encoding: .utf8)
        #expect(try node.run(["export", "--format", "rpz", "-o", file.path]).status == 0)
        #expect(try String(contentsOf: file, encoding: .utf8).contains("shop.example CNAME ."))
        // A symlink planted where the export goes is replaced, never followed.
        let target = folder.path("victim")
        try "do not touch".write(to: target, atomically: true, encoding: .utf8)
        let link = directory.appendingPathComponent("linked.rpz")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        #expect(try node.run(["export", "--format", "hosts", "-o", link.path]).status == 0)
        #expect(try String(contentsOf: target, encoding: .utf8) == "do not touch")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["linked.rpz", "other.rpz", "roster.rpz"])
    }

    @Test("A full disk behind stdout ends a command with one line and exit 3, not a trap")
    func fullStdout() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/bin/sh"), [
            "-c", "\"$0\" status --data \"$1\" > /dev/full", RosterProcess.binary.path, folder.path("node").path,
        ])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("roster: cannot write the output: No space left on device"), "\(result.stderr)")
    }

    @Test("check matches a URL whose host is a listed IPv4 or IPv6 address")
    func checkURLWithAddressHost() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        try node.run(["add", "ip", "192.0.2.1"] + Self.basis)
        try node.run(["add", "ip", "2001:db8::1"] + Self.basis)
        #expect(try node.run(["check", "http://192.0.2.1/x"]).status == 0)
        #expect(try node.run(["check", "http://[2001:db8::1]:8080/x"]).status == 0)
        #expect(try node.run(["check", "http://192.0.2.2/x"]).status == 1)
    }

    @Test("A node never makes an operation its peers would refuse: a 70 KiB URL is refused by add")
    func oversizedOperation() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        let url = "https://shop.example/" + String(repeating: "a", count: 70 << 10)
        let refused = try node.run(["add", "url", url] + Self.basis)
        #expect(refused.status == 2 && refused.stderr.contains("peers accept"), "\(refused.stderr)")
        let csv = "value,kind\nok.example,domain\n\(url),url\n"
        try csv.write(to: folder.path("big.csv"), atomically: true, encoding: .utf8)
        let imported = try node.run(["import", folder.path("big.csv").path, "--format", "csv"] + Self.basis)
        #expect(imported.status == 2 && imported.stderr.contains("line 3"), "\(imported.stderr)")
        #expect(try node.run(["list"]).lines.isEmpty, "nothing of the import landed")
    }

    @Test("audit names swapped operation bodies and exits 1, instead of crashing")
    func auditOfSwappedBodies() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        for name in ["a", "b", "c"] { try node.run(["add", "domain", "\(name).example"] + Self.basis) }
        let database = try DatabaseQueue(path: folder.path("node/roster.sqlite").path)
        try database.write { db in
            try db.execute(sql: """
                UPDATE operation SET body = CASE seq WHEN 1 THEN (SELECT body FROM operation WHERE seq = 2)
                                                     ELSE (SELECT body FROM operation WHERE seq = 1) END WHERE seq IN (1, 2)
                """)
        }
        try database.close()
        let audit = try node.run(["audit"])
        #expect(audit.status == 1, "\(audit.stdout)\(audit.stderr)")
        #expect(audit.stdout.contains("kz-mvd/main:1") && audit.stdout.contains("edited"), "\(audit.stdout)")
    }

    @Test("audit runs and names a peer's key edited into text, where every other command refuses with a line")
    func auditOfEditedKey() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        let peer = RosterProcess(data: folder.path("peer"))
        try node.run(["init", "--agency", "uz-iib"])
        try peer.run(["init", "--agency", "kz-mvd"])
        try peer.run(["peers", "descriptor"]).stdout.write(to: folder.path("kz.json"), atomically: true, encoding: .utf8)
        #expect(try node.addPeers(folder.path("kz.json").path).status == 0)
        let database = try DatabaseQueue(path: folder.path("node/roster.sqlite").path)
        try database.write { try $0.execute(sql: "UPDATE origin SET public_key = '0123456789abcdef0123456789abcdef' WHERE name = 'kz-mvd/main'") }
        try database.close()
        let audit = try node.run(["audit"])
        #expect(audit.status == 1 && audit.stdout.contains("the key of kz-mvd/main"), "\(audit.stdout)\(audit.stderr)")
        try "\n".write(to: folder.path("empty.ops"), atomically: true, encoding: .utf8)
        let imported = try node.run(["import", folder.path("empty.ops").path, "--format", "ops"])
        #expect(imported.status == 3 && imported.stderr.contains("run roster audit"), "\(imported.stderr)")
    }

    @Test("A TLS key readable by others is refused; TLS 1.0 and 1.1 are refused; a silent connection is closed")
    func tlsPolicy() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        try node.start()
        // SECLEVEL=0 so that OpenSSL's client really offers the old versions.
        for version in ["-tls1", "-tls1_1"] {
            let old = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
                "openssl", "s_client", version, "-cipher", "DEFAULT@SECLEVEL=0", "-connect", "127.0.0.1:\(node.port)",
            ], input: "")
            #expect(old.status != 0 && old.stdout.contains("Cipher is (NONE)"), "\(version) negotiated: \(old.stdout)")
            #expect(old.stderr.contains("protocol version"), "\(old.stderr)")
        }
        for (version, expected) in [("-tls1_2", "New, TLSv1.2, Cipher is ECDHE"), ("-tls1_3", "New, TLSv1.3")] {
            let modern = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
                "openssl", "s_client", version, "-connect", "127.0.0.1:\(node.port)",
            ], input: "")
            #expect(modern.stdout.contains(expected), "\(modern.stdout)")
        }

        // A connection that never speaks is closed after the idle timeout.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(node.port).bigEndian
        let connected = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        var timeout = timeval(tv_sec: 40, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        var byte: UInt8 = 0
        let read = recv(descriptor, &byte, 1, 0)
        #expect(read == 0, "the server closed the silent connection")
        #expect(Date().timeIntervalSince(started) < 35)

        // A stranger's connection that asked one check and then keeps silent is
        // closed after 10 s, not kept the 75 s a peer's connection is.
        let stranger = """
            import socket, ssl, sys, time
            tls = ssl._create_unverified_context().wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))
            tls.sendall(b'GET /v1/check?resource=a.example HTTP/1.1\\r\\nHost: node\\r\\n\\r\\n')
            answer = tls.recv(65536)
            assert answer.startswith(b'HTTP/1.1 200'), answer
            tls.settimeout(60)
            started = time.time()
            while tls.recv(65536): pass
            print(round(time.time() - started))
            """
        let silent = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", stranger, String(node.port)])
        #expect(silent.status == 0, "\(silent.stderr)")
        #expect((Int(silent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99) <= 15, "closed after \(silent.stdout) s")
        node.stop()

        chmod(node.roster.data.appendingPathComponent("tls.key").path, 0o644)
        let refused = try node.roster.run(["serve", "--listen", "127.0.0.1:0"])
        #expect(refused.status == 3 && refused.stderr.contains("chmod 600"), "\(refused.stderr)")
    }

    @Test("One address holds at most 64 connections (the newest), others still get check; SIGTERM stops serve while a client never reads")
    func connectionsPerAddress() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        try node.start()
        let flood = """
            import socket, ssl, subprocess, sys, time
            port = int(sys.argv[1])
            held = [socket.create_connection(('127.0.0.1', port), timeout=5) for _ in range(100)]
            time.sleep(1)
            def is_open(s):
                s.setblocking(False)
                try:
                    return s.recv(1) != b''
                except BlockingIOError:
                    return True
                except OSError:
                    return False
            print(sum(is_open(s) for s in held))
            # Another address (all of 127/8 is loopback) is still answered.
            other = subprocess.run(['curl', '-sk', '-m', '5', '--interface', '127.0.0.2', '-o', '/dev/null', '-w', '%{http_code}',
                                    f'https://127.0.0.1:{port}/v1/check?resource=a.example'], capture_output=True, text=True)
            print(other.stdout)
            """
        let flooded = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", flood, String(node.port)])
        #expect(flooded.lines == ["64", "200"], "\(flooded.stdout)\(flooded.stderr)")

        // A client that sends request after request and never reads an answer.
        let stuck = Process()
        stuck.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        stuck.arguments = ["python3", "-c", """
            import socket, ssl, sys, time
            tls = ssl._create_unverified_context().wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))
            tls.settimeout(2)
            try:
                while True: tls.sendall(b'GET /v1/check?resource=a.example HTTP/1.1\\r\\nHost: node\\r\\n\\r\\n')
            except OSError:
                pass
            time.sleep(60)
            """, String(node.port)]
        try stuck.run()
        defer { stuck.terminate() }
        sleep(4)
        let started = Date()
        node.stop()
        #expect(Date().timeIntervalSince(started) < 20, "serve stopped \(Date().timeIntervalSince(started)) s after SIGTERM")
    }

    @Test("Idle sockets from one address, then from 43 addresses past the total: a fresh client from anywhere is still answered")
    func connectionsFromManyAddresses() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        try node.start()
        // Real sockets from 127.0.0.0/8 source addresses; each probe is a fresh TLS client
        // with a 5 s limit, and the slowest answer is printed for the record.
        let flood = """
            import resource, socket, ssl, sys, time
            port = int(sys.argv[1])
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            context = ssl._create_unverified_context()
            def idle(source):
                s = socket.socket()
                s.bind((source, 0))
                s.settimeout(5)
                s.connect(('127.0.0.1', port))
                return s
            def check(source):
                started = time.time()
                s = socket.socket()
                s.bind((source, 0))
                s.settimeout(5)
                s.connect(('127.0.0.1', port))
                tls = context.wrap_socket(s)
                tls.sendall(b'GET /v1/check?resource=a.example HTTP/1.1\\r\\nHost: node\\r\\nConnection: close\\r\\n\\r\\n')
                answer = tls.recv(65536)
                tls.close()
                assert answer.startswith(b'HTTP/1.1 200'), answer
                return time.time() - started
            slowest = 0.0
            held = [idle('127.0.0.2') for _ in range(64)]
            time.sleep(0.5)
            # The same address, which a proxy or a carrier NAT shares with a stranger.
            slowest = max(slowest, check('127.0.0.2'))
            for number in range(43):
                held += [idle(f'127.0.1.{number + 1}') for _ in range(49)]
                slowest = max(slowest, check('127.0.2.1'))
            time.sleep(0.5)
            slowest = max(slowest, check('127.0.2.2'))
            print(len(held), 'held')
            print(f'slowest {slowest * 1000:.0f} ms')
            """
        let flooded = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", flood, String(node.port)])
        #expect(flooded.status == 0, "\(flooded.stdout)\(flooded.stderr)")
        #expect(flooded.lines.first == "2171 held", "\(flooded.stdout)")
        print("many-address flood: \(flooded.stdout)")
        // The node is still itself afterwards.
        #expect(try node.roster.run(["status"]).status == 0)
    }

    @Test("Operations whose past never comes wait, are listed by roster pending, and an operator can purge them")
    func pendingListedAndPurged() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "uz-iib")
        let peer = try FederatedNode(folder: folder, agency: "kz-mvd")
        try peer.descriptor(to: folder.path("kz.json"))
        #expect(try node.roster.addPeers(folder.path("kz.json").path).status == 0)
        for name in ["a", "b", "c"] { try peer.roster.run(["add", "domain", "\(name).example"] + Self.basis) }
        try peer.roster.run(["export", "--format", "ops", "-o", folder.path("kz.ops").path])
        let lines = try String(contentsOf: folder.path("kz.ops"), encoding: .utf8).split(separator: "\n")
        // Without the add of a.example, kz-mvd/main:1: the two after it wait for it.
        try (lines.filter { !$0.contains("a.example") }.joined(separator: "\n") + "\n").write(to: folder.path("late.ops"), atomically: true, encoding: .utf8)
        try node.start()
        let pushed = try peer.curl("/v1/sync/push", on: node, data: folder.path("late.ops"))
        #expect(pushed.status == 200 && pushed.body.components(separatedBy: "\"pending\"").count == 3, "\(pushed.body)")

        let listed = try node.roster.run(["pending", "--json"])
        try listed.stdout.write(to: folder.path("pending.json"), atomically: true, encoding: .utf8)
        let valid = try RosterProcess.validate(folder.path("pending.json"), schema: "pending.schema.json")
        #expect(valid.status == 0, "\(valid.stdout)")
        #expect(listed.stdout.contains(#""waits_for":["kz-mvd/main:1"]"#), "\(listed.stdout)")
        #expect(try node.roster.run(["status"]).stdout.contains("2 pending"))
        let purged = try node.roster.run(["pending", "--purge", "kz-mvd/main"])
        #expect(purged.stdout.contains("purged 2"), "\(purged.stdout)\(purged.stderr)")
        #expect(try node.roster.run(["pending"]).stdout.contains("nothing pending"))
        #expect(try node.roster.run(["audit"]).status == 0)
        node.stop()
    }

    @Test("Every route of a running server, fuzzed from a fixed seed: 2xx or 4xx with an error body, nothing changed, still answering",
          arguments: [1, 2] as [Int])
    func fuzzRoutes(seed: Int) throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "uz-iib")
        let peer = try FederatedNode(folder: folder, agency: "kz-mvd")
        for name in ["a", "b", "c"] { try peer.roster.run(["add", "domain", "\(name).example"] + Self.basis) }
        try peer.roster.run(["amend", "kz-mvd/main:1", "--note", "amended"])
        try peer.roster.run(["export", "--format", "ops", "-o", folder.path("kz.ops").path])
        try peer.descriptor(to: folder.path("kz.json"))
        #expect(try node.roster.addPeers(folder.path("kz.json").path).status == 0)
        #expect(try node.roster.run(["import", folder.path("kz.ops").path, "--format", "ops"]).status == 0)
        try node.roster.run(["add", "ip", "192.0.2.1"] + Self.basis)
        let before = try node.status()
        try node.start()
        // The peer's checkpoint, for the witness route: cosigned as it is, refused mangled.
        try peer.roster.run(["checkpoint"]).stdout.write(to: folder.path("kz.checkpoint"), atomically: true, encoding: .utf8)
        let script = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/fuzz_routes.py")
        let fuzz = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", script.path, String(node.port), peer.roster.data.appendingPathComponent("tls.crt").path,
            peer.roster.data.appendingPathComponent("tls.key").path, folder.path("kz.ops").path, String(seed), "600",
            folder.path("kz.checkpoint").path,
        ])
        #expect(fuzz.status == 0, "\(fuzz.stdout)\(fuzz.stderr)")
        #expect(node.serverStatus == -1, "the server still runs")
        #expect(try peer.curl("/v1/status", on: node).status == 200)
        #expect(try node.status() == before, "the fuzz changed nothing")
        #expect(try node.roster.run(["audit"]).status == 0)
        node.stop()
    }
}
