import Foundation
import RosterCore
import Testing

/// The roster as consumers load it, from a serving node, proven with the real
/// programs: Unbound, dnsmasq, BIND's checker, curl verifying the node's certificate.
@Suite("Consumers: feeds over HTTPS, loaded by Unbound, BIND, dnsmasq and the STIX validator", .serialized)
struct ConsumerTests {
    /// A GET with no client certificate that verifies the node's certificate
    /// (`--cacert`, no `-k`), by the name a development node's certificate carries.
    static func fetch(_ path: String, from node: FederatedNode, headers: [String] = [], host: String = "localhost")
        throws -> (status: Int, headers: String, body: String) {
        let folder = try TemporaryFolder()
        let head = folder.path("head"), body = folder.path("body")
        var arguments = ["curl", "-s", "-o", body.path, "-D", head.path, "-w", "%{http_code}",
                         "--cacert", node.roster.data.appendingPathComponent("tls.crt").path, "https://\(host):\(node.port)\(path)"]
        for header in headers { arguments += ["-H", header] }
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), arguments)
        return (Int(result.stdout) ?? 0, (try? String(contentsOf: head, encoding: .utf8)) ?? "", (try? String(contentsOf: body, encoding: .utf8)) ?? "")
    }

    static func tag(_ headers: String) -> String {
        headers.firstMatch(of: /(?i)etag: ([^\r\n]+)/).map { String($0.1) } ?? ""
    }

    static func serial(_ zone: String) -> Int {
        zone.firstMatch(of: #/SOA \S+ \S+ \( (\d+) /#).flatMap { Int($0.1) } ?? -1
    }

    /// A node with a listed shop (and its subdomains), an exact name, a network, an
    /// address, a URL, and a revoked name.
    static func listingNode(_ folder: TemporaryFolder) throws -> FederatedNode {
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        let adds: [[String]] = [
            ["domain", "shop.example", "--scope", "subdomains"], ["domain", "exact.example"], ["cidr", "203.0.113.0/24"],
            ["ip", "2001:db8::7"], ["url", "https://free.example/buy"], ["domain", "gone.example"],
        ]
        for add in adds {
            let added = try node.roster.run(["add"] + add + ["--category", "drugs"] + CLITests.basis)
            guard added.status == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: added.stderr]) }
        }
        try node.roster.run(["revoke", "kz-mvd/main:6", "--reason", "overturned"])
        try node.start()
        return node
    }

    @Test("Every feed answers anyone who trusts the node's certificate, as roster export writes it; ETag and 304; the serial only grows")
    func feeds() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        for format in ["rpz", "hosts", "dnsmasq", "unbound", "mastodon", "csv", "json", "stix"] {
            let served = try Self.fetch("/v1/export/\(format)", from: node)
            #expect(served.status == 200 && !Self.tag(served.headers).isEmpty, "\(format): \(served.status) \(served.body)")
            let exported = try node.roster.run(["export", "--format", format])
            if format == "json" {
                // The same document but for the second it was generated.
                let generated = /"generated":"[^"]+"/
                #expect(served.body.replacing(generated, with: "") == exported.stdout.replacing(generated, with: ""))
            } else {
                #expect(served.body == exported.stdout, "\(format): the server and the CLI write the same bytes")
            }
            // STIX carries the revoke as a revoked version; every other feed leaves the entry out.
            #expect(served.body.contains("gone.example") == (format == "stix"), "\(format): a revoked entry is not served")
        }
        // Also by address: the certificate names 127.0.0.1.
        #expect(try Self.fetch("/v1/export/rpz", from: node, host: "127.0.0.1").status == 200)

        let first = try Self.fetch("/v1/export/rpz", from: node)
        let tag = Self.tag(first.headers)
        // The version streamed once is in the feed cache: the next consumer gets it with a length.
        let cached = try Self.fetch("/v1/export/rpz", from: node)
        #expect(cached.body == first.body && Self.tag(cached.headers) == tag)
        #expect(cached.headers.lowercased().contains("content-length: \(first.body.utf8.count)"), "\(cached.headers)")
        // HEAD: what GET would answer, without the body, and without starting a stream.
        let head = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-s", "-I", "--cacert",
            node.roster.data.appendingPathComponent("tls.crt").path, "https://localhost:\(node.port)/v1/export/rpz"])
        #expect(head.stdout.hasPrefix("HTTP/1.1 200") && head.stdout.contains(tag)
            && head.stdout.lowercased().contains("content-length: \(first.body.utf8.count)"), "\(head.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: node.roster.data.appendingPathComponent("feeds").path)
        #expect(files.filter { $0.hasPrefix("rpz-") }.count == 1, "\(files)")
        let unchanged = try Self.fetch("/v1/export/rpz", from: node, headers: ["If-None-Match: \(tag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty && Self.tag(unchanged.headers) == tag)
        #expect(try Self.fetch("/v1/export/hosts", from: node, headers: ["If-None-Match: \(tag)"]).status == 200, "a tag is a format's own")

        #expect(try node.roster.run(["add", "domain", "new.example", "--category", "drugs"] + CLITests.basis).status == 0)
        let changed = try Self.fetch("/v1/export/rpz", from: node, headers: ["If-None-Match: \(tag)"])
        #expect(changed.status == 200 && changed.body.contains("new.example CNAME .") && Self.tag(changed.headers) != tag)
        let again = try Self.fetch("/v1/export/rpz", from: node)
        #expect(again.body == changed.body && again.headers.lowercased().contains("content-length"), "a new version, cached in its turn")
        let kept = try FileManager.default.contentsOfDirectory(atPath: node.roster.data.appendingPathComponent("feeds").path)
        #expect(kept.filter { $0.hasPrefix("rpz-") }.count == 1, "the older version is removed: \(kept)")
        #expect(Self.serial(changed.body) > Self.serial(first.body), "the SOA serial grows with every change")

        let unknown = try Self.fetch("/v1/export/ops", from: node)
        #expect(unknown.status == 404 && unknown.body.contains("rpz, hosts"))
        let health = try Self.fetch("/healthz", from: node)
        #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""))
        let file = folder.path("health.json")
        try health.body.write(to: file, atomically: true, encoding: .utf8)
        let valid = try RosterProcess.validate(file, schema: "health.schema.json")
        #expect(valid.status == 0, "\(valid.stderr)")
    }

    @Test("The node keeps the current RPZ in its feed cache unasked: the first resolver to fetch a version gets it with its length")
    func warmFeed() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        let feeds = node.roster.data.appendingPathComponent("feeds")
        func cached() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: feeds.path)) ?? []).filter { $0.hasPrefix("rpz-") } }
        func waitFor(_ condition: () -> Bool) {
            let deadline = Date().addingTimeInterval(20)
            while !condition() && Date() < deadline { usleep(100_000) }
        }
        waitFor { cached().count == 1 }
        let first = try Self.fetch("/v1/export/rpz", from: node)
        #expect(first.status == 200 && first.headers.lowercased().contains("content-length: \(first.body.utf8.count)"), "\(first.headers)")
        #expect(try first.body == node.roster.run(["export", "--format", "rpz"]).stdout)

        let before = cached()
        #expect(try node.roster.run(["add", "domain", "later.example", "--category", "drugs"] + CLITests.basis).status == 0)
        waitFor { cached().count == 1 && cached() != before }
        let next = try Self.fetch("/v1/export/rpz", from: node)
        #expect(next.body.contains("later.example CNAME .") && next.headers.lowercased().contains("content-length"), "\(next.headers)")
        #expect(cached().count == 1, "the older version is gone: \(cached())")
    }

    @Test("The blocker files load into the programs that read them: BIND's checker, unbound-checkconf, dnsmasq")
    func blockerFiles() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        let zone = folder.path("roster.rpz"), local = folder.path("roster-unbound.conf"), dnsmasq = folder.path("roster-dnsmasq.conf")
        try Self.fetch("/v1/export/rpz", from: node).body.write(to: zone, atomically: true, encoding: .utf8)
        try Self.fetch("/v1/export/unbound", from: node).body.write(to: local, atomically: true, encoding: .utf8)
        try Self.fetch("/v1/export/dnsmasq", from: node).body.write(to: dnsmasq, atomically: true, encoding: .utf8)
        let checked = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/named-checkzone"), ["rpz.roster", zone.path])
        #expect(checked.status == 0, "\(checked.stdout)")

        // Unbound with the local-zone feed included: the subdomains entry blocks below it, the exact one its name alone.
        let unbound = try Unbound(folder: folder.path("unbound"), server: "  include: \"\(local.path)\"", policy: "")
        #expect(try unbound.blocks("shop.example") && unbound.blocks("www.shop.example"))
        #expect(try unbound.resolve("exact.example").addresses == ["0.0.0.0"])
        #expect(try unbound.resolve("www.exact.example").addresses == ["192.0.2.4"], "an exact entry leaves the names below it alone")
        #expect(try unbound.resolve("free.example").addresses == ["192.0.2.5"])
        unbound.stop()

        let tested = try RosterProcess.execute(URL(fileURLWithPath: "/usr/sbin/dnsmasq"), ["--test", "--conf-file=\(dnsmasq.path)"])
        #expect(tested.status == 0, "\(tested.stderr)")
        // As a daemon that writes its pid: run in the foreground under the test runner,
        // dnsmasq leaves the next child the runner starts unreaped.
        let port = try CachingProxy.freePort()
        let pidFile = folder.path("dnsmasq.pid")
        let started = try RosterProcess.execute(URL(fileURLWithPath: "/usr/sbin/dnsmasq"), [
            "--no-resolv", "--no-hosts", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--conf-file=\(dnsmasq.path)", "--pid-file=\(pidFile.path)",
        ] + (getuid() == 0 ? ["--user=root"] : []))
        #expect(started.status == 0, "\(started.stderr)")
        defer {
            if let pid = Int32(((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
        }
        func dig(_ name: String) throws -> String {
            try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/dig"), ["+tries=1", "+time=2", "-p", String(port), "@127.0.0.1", name]).stdout
        }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !(try dig("shop.example")).contains("status: NXDOMAIN") { usleep(100_000) }
        #expect(try dig("shop.example").contains("status: NXDOMAIN") && dig("www.shop.example").contains("status: NXDOMAIN"))
        #expect(try dig("exact.example").contains("0.0.0.0"))
        #expect(try !dig("www.exact.example").contains("NXDOMAIN") && !dig("free.example").contains("NXDOMAIN"))
    }

    @Test("Unbound fetches the policy zone from the node over HTTPS, trusting its certificate file, and drops a revoked name after the next transfer")
    func unboundOverHTTPS() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        let certificate = node.roster.data.appendingPathComponent("tls.crt").path
        let unbound = try Unbound(folder: folder.path("unbound"), server: "  tls-cert-bundle: \"\(certificate)\"", policy: """
            rpz:
              name: rpz.roster
              url: https://127.0.0.1:\(node.port)/v1/export/rpz
              rpz-log: yes
            """)
        #expect(try unbound.await(15) { try unbound.blocks("shop.example") }, "\((try? String(contentsOf: unbound.log, encoding: .utf8)) ?? "")")
        #expect(try unbound.blocks("www.shop.example"), "a subdomains entry blocks the names below it")
        #expect(try unbound.blocks("exact.example"))
        #expect(try unbound.resolve("www.exact.example").addresses == ["192.0.2.4"], "an exact entry does not")
        #expect(try unbound.resolve("free.example").addresses == ["192.0.2.5"], "an unlisted name (a URL entry on its host) resolves")

        #expect(try node.roster.run(["revoke", "kz-mvd/main:1", "--reason", "decision overturned"]).status == 0)
        #expect(try unbound.control("auth_zone_transfer", "rpz.roster").status == 0)
        #expect(try unbound.await(15) { try !unbound.blocks("shop.example") }, "the revoked shop resolves after the transfer")
        #expect(try unbound.resolve("www.shop.example").addresses == ["192.0.2.2"])
        #expect(try unbound.blocks("exact.example"), "what is still listed stays blocked")
    }

    @Test("Fan-out through DNS: serve --rpz-zone-file feeds BIND as hidden primary; Unbound, its secondary by NOTIFY and transfer, blocks and unblocks within one round")
    func fanOut() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        node.stop()
        let zoneFile = folder.path("zones/roster.rpz")
        try FileManager.default.createDirectory(at: folder.path("zones"), withIntermediateDirectories: true)
        // The secondary's port is known before the primary that notifies it is configured.
        let unboundPort = try CachingProxy.freePort()
        let named = try Named(folder: folder.path("named"), zoneFile: zoneFile, notifying: unboundPort)
        try node.start(options: ["--rpz-zone-file", zoneFile.path, "--rpz-notify", named.reload])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !FileManager.default.fileExists(atPath: zoneFile.path) { usleep(100_000) }
        try named.start()
        defer { named.stop() }
        let first = try #require(try named.serial(), "named serves the zone the node wrote")

        let unbound = try Unbound(folder: folder.path("unbound"), port: unboundPort, policy: """
            rpz:
              name: rpz.roster
              primary: 127.0.0.1@\(named.port)
              allow-notify: 127.0.0.1
              rpz-log: yes
            """)
        #expect(try unbound.await(15) { try unbound.blocks("shop.example") }, "\((try? String(contentsOf: unbound.log, encoding: .utf8)) ?? "")")
        #expect(try unbound.blocks("www.shop.example") && unbound.blocks("exact.example"))
        #expect(try unbound.resolve("free.example").addresses == ["192.0.2.5"])

        // One round: the node rewrites the file and runs rndc reload; named notifies; Unbound transfers.
        #expect(try node.roster.run(["revoke", "kz-mvd/main:1", "--reason", "decision overturned"]).status == 0)
        #expect(try unbound.await(15) { try !unbound.blocks("shop.example") }, "the unblock reaches the secondary by NOTIFY")
        #expect(try named.serial() ?? 0 > first, "the serial grew, so the secondary transferred")
        #expect(try unbound.blocks("exact.example"))
        #expect(try node.roster.run(["add", "domain", "free.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try unbound.await(15) { try unbound.blocks("free.example") }, "and a new listing too")
    }

    @Test("Consumers that go away mid-feed, again and again, cost nothing: the server runs on and both feed slots are free after")
    func abandonedFeeds() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        let csv = folder.path("names.csv")
        try ("value\n" + (0..<20_000).map { "shop-\($0).example\n" }.joined()).write(to: csv, atomically: true, encoding: .utf8)
        #expect(try node.roster.run(["import", csv.path, "--format", "csv", "--category", "drugs"] + CLITests.basis).status == 0)
        try node.start()
        let certificate = node.roster.data.appendingPathComponent("tls.crt").path
        for round in 0..<30 {
            // A few pieces in, the client hangs up while more wait to be read.
            let format = ["csv", "json", "stix", "hosts"][round % 4]
            _ = try RosterProcess.execute(URL(fileURLWithPath: "/bin/sh"), ["-c",
                "curl -s --cacert \(certificate) https://localhost:\(node.port)/v1/export/\(format) | head -c \(1000 + round * 7919) > /dev/null"])
        }
        #expect(node.serverStatus == -1, "the server still runs")
        // One feed a client at a time: while this client holds one unread (a STIX bundle larger than the
        // sockets' buffers), its second is answered 503; once it lets go, the slot is free again.
        let both = try RosterProcess.execute(URL(fileURLWithPath: "/bin/sh"), ["-c", """
            python3 -c "
            import socket, ssl, time
            context = ssl.create_default_context(cafile='\(certificate)')
            held = context.wrap_socket(socket.create_connection(('localhost', \(node.port))), server_hostname='localhost')
            held.sendall(b'GET /v1/export/stix HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')
            held.recv(100)
            time.sleep(3)
            " &
            sleep 1.5
            curl -s -o /dev/null -w '%{http_code} ' --cacert \(certificate) https://localhost:\(node.port)/v1/export/csv
            wait; sleep 0.5
            curl -s -o /dev/null -w '%{http_code} ' --cacert \(certificate) https://localhost:\(node.port)/v1/export/csv
            curl -s -o /dev/null -w '%{http_code}' --cacert \(certificate) https://localhost:\(node.port)/v1/export/json
            """])
        #expect(both.stdout == "503 200 200", "one feed a client, freed when it goes: \(both.stdout)")
    }

    @Test("STIX 2.1: the served bundle passes OASIS stix2-validator, carries legal bases and revokes; import reads it and a MISP-style bundle into signed adds")
    func stix() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        let served = try Self.fetch("/v1/export/stix", from: node)
        #expect(served.status == 200 && served.headers.lowercased().contains("content-type: application/stix+json;version=2.1"))
        let bundle = folder.path("bundle.json")
        try served.body.write(to: bundle, atomically: true, encoding: .utf8)
        let validated = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["stix2_validator", bundle.path])
        #expect(validated.status == 0 && validated.stdout.contains("STIX JSON: Valid"), "\(validated.stdout)\(validated.stderr)")
        #expect(served.body.contains("\"pattern\":\"[domain-name:value = 'shop.example' OR domain-name:value LIKE '%.shop.example']\""))
        #expect(served.body.contains("\"pattern\":\"[ipv6-addr:value = '2001:db8::7']\"") && served.body.contains("\"pattern\":\"[ipv4-addr:value = '203.0.113.0/24']\""))
        #expect(served.body.contains("\"external_id\":\"No. 118\"") && served.body.contains("\"source_name\":\"MVD KZ\""))
        #expect(served.body.contains("\"type\":\"identity\"") && served.body.contains("\"name\":\"kz-mvd\""))
        let gone = try #require(served.body.split(separator: "\n").first { $0.contains("gone.example") })
        #expect(gone.contains("\"revoked\":true") && gone.contains("Revoked: overturned"))

        // Another agency's node imports the bundle: the live indicators become its own signed adds, the revoked one nothing.
        let other = RosterProcess(data: folder.path("uz"))
        try other.run(["init", "--agency", "uz-iib"])
        let imported = try other.run(["import", bundle.path, "--format", "stix"])
        #expect(imported.status == 0 && imported.stdout.contains("added 5,"), "\(imported.stdout)\(imported.stderr)")
        #expect(try other.run(["check", "www.shop.example"]).stdout.contains("MVD KZ No. 118"))
        #expect(try other.run(["check", "gone.example"]).status == 1)

        // As MISP writes it: no legal basis in the bundle, so the operator gives one; what is not a resource is ignored.
        let misp = folder.path("misp.json")
        try #"""
            {"type":"bundle","id":"bundle--5d1c1e5e-0f62-4a3a-9a53-4a4c2a1f3b1e","objects":[
            {"type":"indicator","spec_version":"2.1","id":"indicator--1d5a4a0e-2c39-4b8e-8f6e-2b7f0a1c9d01","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'pills.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
            {"type":"indicator","spec_version":"2.1","id":"indicator--1d5a4a0e-2c39-4b8e-8f6e-2b7f0a1c9d02","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.9']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
            {"type":"indicator","spec_version":"2.1","id":"indicator--1d5a4a0e-2c39-4b8e-8f6e-2b7f0a1c9d03","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}
            ]}
            """#.write(to: misp, atomically: true, encoding: .utf8)
        let before = try other.run(["status", "--json"]).stdout
        let unsourced = try other.run(["import", misp.path, "--format", "stix"])
        #expect(unsourced.status != 0 && unsourced.stderr.contains("indicator--1d5a4a0e-2c39-4b8e-8f6e-2b7f0a1c9d01: category is missing"), "\(unsourced.stderr)")
        #expect(try other.run(["status", "--json"]).stdout == before, "nothing written")
        let sourced = try other.run(["import", misp.path, "--format", "stix", "--category", "drugs", "--authority", "IIB UZ", "--reference", "No. 7", "--decided", "2026-04-01"])
        #expect(sourced.status == 0 && sourced.stdout.contains("added 2,") && sourced.stderr.contains("ignored 1 objects"), "\(sourced.stdout)\(sourced.stderr)")
        #expect(try other.run(["check", "198.51.100.9"]).stdout.contains("IIB UZ No. 7"))

        try "{\"type\":\"report\"}".write(to: misp, atomically: true, encoding: .utf8)
        let notBundle = try other.run(["import", misp.path, "--format", "stix"])
        #expect(notBundle.status != 0 && notBundle.stderr.contains("not a STIX 2.1 bundle") && notBundle.stderr.split(separator: "\n").count == 1)
    }

    @Test("TAXII 2.1: taxii2-client pulls the roster in pages, then only what was added after its last pull; bad parameters get 400")
    func taxii() throws {
        let folder = try TemporaryFolder()
        let node = try Self.listingNode(folder)
        let script = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/taxii_pull.py").path
        let certificate = node.roster.data.appendingPathComponent("tls.crt").path
        func pull(_ arguments: String...) throws -> JSON {
            let pulled = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
                "REQUESTS_CA_BUNDLE=\(certificate)", "python3", script, "https://localhost:\(node.port)/taxii2/",
            ] + arguments)
            #expect(pulled.status == 0, "\(pulled.stderr)")
            return try JSONParser.parse(pulled.stdout)
        }
        let all = try pull()
        let indicators = all["indicators"]?.array ?? []
        #expect(all["title"]?.string == "Roster" && all["can_read"] == .bool(true))
        #expect(indicators.count == 6 && (all["pages"]?.integer ?? 0) > 2, "every entry, live and revoked, in pages of 3 objects: \(all)")
        #expect(indicators.contains { $0["name"]?.string == "domain gone.example" && $0["revoked"] == .bool(true) })
        let last = try #require(all["last"]?.string)

        #expect(try node.roster.run(["add", "domain", "new.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try node.roster.run(["revoke", "kz-mvd/main:2", "--reason", "decision overturned"]).status == 0)
        let since = try pull(last)
        let names = (since["indicators"]?.array ?? []).compactMap { $0["name"]?.string }.sorted()
        #expect(names == ["domain exact.example", "domain new.example"], "only what was added after the last pull: \(since)")
        #expect((since["indicators"]?.array ?? []).contains { $0["name"]?.string == "domain exact.example" && $0["revoked"] == .bool(true) })

        let objects = "/taxii2/roster/collections/\(try #require(Self.fetch("/taxii2/roster/collections/", from: node).body.firstMatch(of: /"id":"([0-9a-f-]{36})"/)).1)/objects/"
        for bad in ["?limit=0", "?limit=1001", "?added_after=yesterday", "?next=-1"] {
            let answer = try Self.fetch(objects + bad, from: node)
            #expect(answer.status == 400 && answer.body.contains("\"error\""), "\(bad): \(answer.status)")
        }
        #expect(try Self.fetch("/taxii2/roster/collections/00000000-0000-0000-0000-000000000000/objects/", from: node).status == 404)
        let page = try Self.fetch(objects + "?limit=1", from: node)
        #expect(page.status == 200 && page.headers.lowercased().contains("content-type: application/taxii+json;version=2.1"))
    }

    @Test("serve --dev, the README's first command: makes a development node on first run, serves it on loopback, says where its certificate is")
    func developmentNode() throws {
        let folder = try TemporaryFolder()
        for run in 1...2 {
            let server = Process()
            server.executableURL = RosterProcess.binary
            server.arguments = ["serve", "--dev"]
            server.currentDirectoryURL = folder.url
            let out = folder.path("out-\(run)")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            server.standardOutput = try FileHandle(forWritingTo: out)
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { server.terminate(); server.waitUntilExit() }
            var text = ""
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, server.isRunning, !text.contains("health:") {
                usleep(100_000)
                text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            }
            let certificate = folder.path("roster-data/tls.crt").path
            #expect(text.contains("serving on https://localhost:8443") && text.contains("TLS certificate: \(certificate)"), "\(text)")
            #expect(text.contains("created development node dev/local") == (run == 1), "the node is made once, then reused")
            let health = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                                   ["curl", "-sf", "--cacert", certificate, "https://localhost:8443/healthz"])
            #expect(health.status == 0 && health.stdout.contains("dev/local"), "\(health.stderr)")
        }
    }
}
