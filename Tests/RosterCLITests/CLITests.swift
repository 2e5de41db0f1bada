import Foundation
import GRDB
import Testing

@Suite("The roster command, run as a process")
struct CLITests {
    static let basis = ["--authority", "MVD KZ", "--reference", "No. 118", "--decided", "2026-03-02"]

    @Test("init, add, check, amend, revoke, list, show, status, export, re-import into a second node, audit")
    func lifecycle() throws {
        let folder = try TemporaryFolder()
        let kz = RosterProcess(data: folder.path("kz"))
        #expect(try kz.run(["init", "--agency", "kz-mvd", "--replica", "astana-1", "--jurisdiction", "KZ"]).status == 0)
        #expect(try kz.run(["init", "--agency", "kz-mvd"]).status == 3, "init refuses an existing node")

        let idn = try kz.run(["add", "domain", "Пример.KZ.", "--category", "drugs"] + Self.basis)
        #expect(idn.status == 0)
        #expect(idn.stdout == "kz-mvd/astana-1:1\n", "add prints the id alone")
        #expect(try kz.run(["add", "domain", "shop.example", "--scope", "subdomains", "--category", "nps"] + Self.basis).stdout == "kz-mvd/astana-1:2\n")
        #expect(try kz.run(["add", "cidr", "203.0.113.0/24", "--category", "precursors"] + Self.basis).stdout == "kz-mvd/astana-1:3\n")
        #expect(try kz.run(["add", "url", "HTTP://Market.Example:80/buy?x=%7e", "--category", "drugs"] + Self.basis).status == 0)

        // check: own entries, subdomains of a subdomains entry, addresses in a network, URLs through their host.
        for (resource, id) in [("xn--e1afmkfd.kz", "astana-1:1"), ("пример.kz", "astana-1:1"), ("a.b.shop.example", "astana-1:2"),
                               ("shop.example", "astana-1:2"), ("203.0.113.77", "astana-1:3"), ("203.0.113.0/25", "astana-1:3"),
                               ("https://cdn.shop.example/x", "astana-1:2"), ("http://market.example/buy?x=~", "astana-1:4")] {
            let result = try kz.run(["check", resource])
            #expect(result.status == 0, "\(resource) should be listed")
            #expect(result.stdout.contains("kz-mvd/\(id)"), "\(resource) matches \(id)")
        }
        for resource in ["example.kz", "hop.example", "203.0.114.1", "http://market.example/other"] {
            #expect(try kz.run(["check", resource]).status == 1, "\(resource) is not listed")
        }
        #expect(try kz.run(["check", "bad..name"]).status == 2)

        #expect(try kz.run(["amend", "kz-mvd/astana-1:1", "--note", "mirror", "--reference", "No. 118-bis"]).status == 0)
        #expect(try kz.run(["revoke", "kz-mvd/astana-1:3", "--reason", "overturned on appeal"]).status == 0)
        let late = try kz.run(["amend", "kz-mvd/astana-1:3", "--note", "too late"])
        #expect(late.status == 2 && late.stderr.contains("revoked"), "a revoke is final")
        #expect(try kz.run(["check", "203.0.113.77"]).status == 1)

        let list = try kz.run(["list", "--json", "--include-revoked"])
        #expect(list.lines.count == 4)
        let listFile = folder.path("list.ndjson")
        try list.stdout.write(to: listFile, atomically: true, encoding: .utf8)
        let listValid = try RosterProcess.validate(listFile, schema: "entry.schema.json", lines: true)
        #expect(listValid.status == 0, "\(listValid.stdout)\(listValid.stderr)")

        let show = try kz.run(["show", "kz-mvd/astana-1:1"])
        #expect(show.stdout.contains("No. 118-bis") && show.stdout.contains("mirror") && show.stdout.contains("amend"))

        let status = try kz.run(["status", "--json"])
        let statusFile = folder.path("status.json")
        try status.stdout.write(to: statusFile, atomically: true, encoding: .utf8)
        let statusValid = try RosterProcess.validate(statusFile, schema: "status.schema.json")
        #expect(statusValid.status == 0, "\(statusValid.stdout)\(statusValid.stderr)")
        #expect(status.stdout.contains("\"kz-mvd/astana-1\":6"))

        // Every export format, atomically written to a file.
        for format in ["ops", "json", "csv", "hosts", "rpz"] {
            #expect(try kz.run(["export", "--format", format, "-o", folder.path("kz.\(format)").path]).status == 0)
        }
        let jsonValid = try RosterProcess.validate(folder.path("kz.json"), schema: "export.schema.json")
        #expect(jsonValid.status == 0, "\(jsonValid.stdout)\(jsonValid.stderr)")
        let opsValid = try RosterProcess.validate(folder.path("kz.ops"), schema: "operation.schema.json", lines: true)
        #expect(opsValid.status == 0, "\(opsValid.stdout)\(opsValid.stderr)")
        let rpz = try String(contentsOf: folder.path("kz.rpz"), encoding: .utf8)
        #expect(rpz.contains("xn--e1afmkfd.kz CNAME .\n") && rpz.contains("*.shop.example CNAME .\n"))
        #expect(!rpz.contains("203.0.113"), "revoked entries leave the zone")
        // BIND itself must load the zone.
        let checked = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                                ["named-checkzone", "rpz.roster", folder.path("kz.rpz").path])
        #expect(checked.status == 0, "named-checkzone: \(checked.stdout)\(checked.stderr)")
        let hosts = try String(contentsOf: folder.path("kz.hosts"), encoding: .utf8)
        #expect(hosts.contains("0.0.0.0 shop.example\n"))

        // A second agency accepts kz-mvd's operations once it holds its descriptor.
        let uz = RosterProcess(data: folder.path("uz"))
        #expect(try uz.run(["init", "--agency", "uz-iib", "--replica", "tashkent-1"]).status == 0)
        let unknown = try uz.run(["import", folder.path("kz.ops").path, "--format", "ops"])
        #expect(unknown.status == 2 && unknown.stderr.contains("line 1") && unknown.stderr.contains("peers add"))
        try kz.run(["peers", "descriptor"]).stdout.write(to: folder.path("kz-mvd.json"), atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(folder.path("kz-mvd.json"), schema: "peer.schema.json").status == 0)
        #expect(try uz.addPeers(folder.path("kz-mvd.json").path).status == 0)
        let imported = try uz.run(["import", folder.path("kz.ops").path, "--format", "ops", "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("\"applied\":6"), "the entries' operations; the descriptor brought kz-mvd's key events")
        #expect(try uz.run(["import", folder.path("kz.ops").path, "--format", "ops", "--json"]).stdout.contains("\"duplicates\":8"))
        #expect(try uz.run(["check", "a.shop.example"]).status == 0)
        let uzRevoke = try uz.run(["revoke", "kz-mvd/astana-1:1", "--reason", "not ours"])
        #expect(uzRevoke.status == 2 && uzRevoke.stderr.contains("belongs to kz-mvd"))
        #expect(digest(kz) == digest(uz), "both nodes hold the same roster")

        // The CSV export re-imports into a third node as new adds of that agency.
        let ru = RosterProcess(data: folder.path("ru"))
        #expect(try ru.run(["init", "--agency", "ru-mvd"]).status == 0)
        let csvImport = try ru.run(["import", folder.path("kz.csv").path, "--format", "csv", "--json"])
        #expect(csvImport.status == 0, "\(csvImport.stderr)")
        #expect(csvImport.stdout.contains("\"added\":3"))
        // The same rows, each under the id the node that holds it gave it (the last column).
        let withoutIDs = { (csv: String) in csv.replacing(/,[a-z0-9\/:-]+\r\n/, with: "\r\n") }
        let kzCSV = try String(contentsOf: folder.path("kz.csv"), encoding: .utf8)
        let ruCSV = try ru.run(["export", "--format", "csv"]).stdout
        #expect(withoutIDs(ruCSV) == withoutIDs(kzCSV) && kzCSV.contains(",kz-mvd/astana-1:") && ruCSV.contains(",ru-mvd/main:"), "\(ruCSV)")
        #expect(try ru.run(["import", folder.path("kz.hosts").path, "--format", "hosts", "--category", "drugs"] + Self.basis).stdout
            .contains("added 0, skipped 2"))

        for node in [kz, uz, ru] {
            let audit = try node.run(["audit"])
            #expect(audit.status == 0, "\(audit.stdout)")
            #expect(audit.stdout.contains("no findings"))
        }
    }

    func digest(_ node: RosterProcess) -> String? {
        guard let text = try? node.run(["status", "--json"]).stdout,
            let range = text.range(of: #""digest":"[0-9a-f]{64}""#, options: .regularExpression)
        else { return nil }
        return String(text[range])
    }

    @Test("Signatures of an ops export verify with OpenSSL and with an independent RFC 8785 + Ed25519 implementation")
    func independentVerification() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        try node.run(["add", "domain", "münchen-shop.example", "--category", "drugs", "--note", "«ünïcode» \"quoted\" \\ note"] + Self.basis)
        try node.run(["add", "ip", "2001:DB8::1", "--category", "nps", "--jurisdiction", "kz", "--expires", "2027-01-01"] + Self.basis)
        try node.run(["amend", "kz-mvd/main:1", "--clear", "note", "--category", "other"])
        try node.run(["revoke", "kz-mvd/main:2", "--reason", "lifted"])
        try node.run(["export", "--format", "ops", "-o", folder.path("node.ops").path])
        try node.run(["keys", "show", "--pem"]).stdout.write(to: folder.path("key.pem"), atomically: true, encoding: .utf8)
        let publicKey = try node.run(["keys", "show", "--base64"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // Python's rfc8785 and cryptography packages: nothing of ours.
        let script = """
            import base64, hashlib, json, sys, rfc8785
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            def public(text): return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
            previous, enrolled, number = {}, None, 0
            for line in open(sys.argv[1], 'rb').read().splitlines():
                operation = json.loads(line)
                assert rfc8785.dumps(operation) == line, f'{line} is not canonical'
                origin = operation['origin']
                assert operation.get('prev') == previous.get(origin), f'{origin}:{operation["seq"]} does not chain'
                previous[origin] = hashlib.sha256(line).hexdigest()
                if 'sigs' in operation:
                    # A key event of the agency origin, signed by agency keys: the first names the root.
                    # Its hash, which the next event's prev names, leaves the signatures out.
                    sigs = operation.pop('sigs')
                    message = rfc8785.dumps(operation)
                    previous[origin] = hashlib.sha256(message).hexdigest()
                    for sig in sigs: public(sig['key']).verify(base64.b64decode(sig['sig']), message)
                    if operation['type'] == 'enrol': enrolled = operation['key']
                    print(f"{operation['type']} {operation['seq']}")
                    continue
                number += 1
                assert enrolled == sys.argv[2], 'the replica signs with the key its agency enrolled'
                signature = base64.b64decode(operation.pop('sig'))
                message = rfc8785.dumps(operation)
                public(enrolled).verify(signature, message)
                open(f'{sys.argv[3]}/{number}.msg', 'wb').write(message)
                open(f'{sys.argv[3]}/{number}.sig', 'wb').write(signature)
                print(number)
            """
        let python = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                               ["python3", "-c", script, folder.path("node.ops").path, publicKey, folder.url.path])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.lines == ["rotate 1", "enrol 2", "1", "2", "3", "4"])

        for number in 1...4 {
            let openssl = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
                "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", folder.path("key.pem").path, "-rawin",
                "-in", folder.path("\(number).msg").path, "-sigfile", folder.path("\(number).sig").path,
            ])
            #expect(openssl.status == 0, "openssl: \(openssl.stdout)\(openssl.stderr)")
        }
        // And OpenSSL refuses a message that was changed.
        var tampered = try Data(contentsOf: folder.path("1.msg"))
        tampered[tampered.count / 2] ^= 1
        try tampered.write(to: folder.path("1.msg"))
        let refused = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", folder.path("key.pem").path, "-rawin",
            "-in", folder.path("1.msg").path, "-sigfile", folder.path("1.sig").path,
        ])
        #expect(refused.status != 0)
    }

    @Test("audit finds and names a row edited directly in SQLite; audit --rebuild repairs it")
    func auditFindsEdit() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        for name in ["a.example", "b.example", "c.example"] {
            try node.run(["add", "domain", name, "--category", "drugs"] + Self.basis)
        }
        #expect(try node.run(["audit"]).status == 0)
        let database = try DatabaseQueue(path: folder.path("node/roster.sqlite").path)
        try database.write { try $0.execute(sql: "UPDATE entry SET value = 'innocent.example' WHERE seq = 2") }
        try database.close()
        let audit = try node.run(["audit"])
        #expect(audit.status == 1)
        #expect(audit.stdout.contains("kz-mvd/main:2"), "\(audit.stdout)")
        #expect(try node.run(["check", "b.example"]).status == 1, "the edit did take effect before the repair")
        #expect(try node.run(["audit", "--rebuild"]).status == 0)
        #expect(try node.run(["check", "b.example"]).status == 0)
    }

    @Test("The state digest is recomputed by an independent implementation from the listed entries, across chunks and origins")
    func independentDigest() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        // 1,100 adds of one origin: two chunks of 1,024 seqs.
        try ("value\n" + (0..<1_100).map { "shop-\($0).example\n" }.joined()).write(to: folder.path("list.csv"), atomically: true, encoding: .utf8)
        #expect(try node.run(["import", folder.path("list.csv").path, "--format", "csv", "--category", "drugs"] + Self.basis).status == 0)
        try node.run(["amend", "kz-mvd/main:1030", "--note", "«mirror»"] + Self.basis)
        try node.run(["revoke", "kz-mvd/main:7", "--reason", "lifted"])
        // A second origin, from another agency's export.
        let other = RosterProcess(data: folder.path("other"))
        try other.run(["init", "--agency", "uz-iib"])
        try other.run(["add", "domain", "uz.example", "--category", "nps"] + Self.basis)
        try other.run(["export", "--format", "ops", "-o", folder.path("uz.ops").path])
        try other.run(["peers", "descriptor"]).stdout.write(to: folder.path("uz.json"), atomically: true, encoding: .utf8)
        try node.addPeers(folder.path("uz.json").path)
        try node.run(["import", folder.path("uz.ops").path, "--format", "ops"])
        try node.run(["list", "--include-revoked", "--json"]).stdout.write(to: folder.path("entries.ndjson"), atomically: true, encoding: .utf8)

        // docs/model.md's definition, written again in Python with its rfc8785 package.
        let script = """
            import hashlib, json, sys, rfc8785
            origins = {}
            for line in open(sys.argv[1], 'rb').read().splitlines():
                entry = json.loads(line)
                assert rfc8785.dumps(entry) == line, 'an entry is not canonical'
                origin, seq = entry['id'].rsplit(':', 1)
                origins.setdefault(origin, {}).setdefault((int(seq) - 1) // 1024, []).append((int(seq), line))
            roster = hashlib.sha256()
            for origin in sorted(origins, key=lambda name: name.encode()):
                chunks = b''.join(hashlib.sha256(b''.join(line + b'\\n' for _, line in sorted(origins[origin][index]))).digest()
                                  for index in sorted(origins[origin]))
                roster.update(f'{origin} {hashlib.sha256(chunks).hexdigest()}\\n'.encode())
            print(roster.hexdigest(), sum(len(c) for o in origins.values() for c in o.values()), sum(len(o) for o in origins.values()))
            """
        let python = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, folder.path("entries.ndjson").path])
        #expect(python.status == 0, "\(python.stderr)")
        let words = python.lines.first?.split(separator: " ").map(String.init) ?? []
        #expect(words.count == 3 && words[1] == "1101" && words[2] == "3", "1,101 entries in 3 chunks: \(python.stdout)")
        #expect(digest(node) == "\"digest\":\"\(words.first ?? "")\"", "python: \(python.stdout), node: \(digest(node) ?? "-")")
    }

    @Test("A public suffix or a network wider than /16 is refused without --broad; with it the signed add carries the flag")
    func broadEntries() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        let fields = ["--category", "drugs"] + Self.basis
        for attempt in [["cidr", "0.0.0.0/0"], ["cidr", "::/0"], ["domain", "co.uk", "--scope", "subdomains"], ["domain", "github.io"]] {
            let refused = try node.run(["add"] + attempt + fields)
            #expect(refused.status == 2 && refused.stderr.contains("--broad"), "\(attempt): \(refused.stderr)")
        }
        try ("value\nshop-1.example\nBLOGSPOT.com\n").write(to: folder.path("list.csv"), atomically: true, encoding: .utf8)
        let file = try node.run(["import", folder.path("list.csv").path, "--format", "csv"] + fields)
        #expect(file.status == 2 && file.stderr.contains("line 3: blogspot.com is a public suffix"), "\(file.stderr)")
        #expect(try node.run(["list"]).stdout.isEmpty, "nothing was added")

        #expect(try node.run(["add", "cidr", "10.0.0.0/8", "--broad"] + fields).status == 0)
        #expect(try node.run(["import", folder.path("list.csv").path, "--format", "csv", "--broad"] + fields).status == 0)
        try node.run(["export", "--format", "ops", "-o", folder.path("node.ops").path])
        let operations = try String(contentsOf: folder.path("node.ops"), encoding: .utf8).split(separator: "\n")
        #expect(operations.count == 5, "the agency's root and enrol, then the three adds")
        #expect(operations.filter { $0.contains("\"broad\":true") }.count == 2, "the wide network and the suffix, not shop-1.example")
        #expect(try RosterProcess.validate(folder.path("node.ops"), schema: "operation.schema.json", lines: true).status == 0)
        try node.run(["list", "--json"]).stdout.write(to: folder.path("entries.ndjson"), atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(folder.path("entries.ndjson"), schema: "entry.schema.json", lines: true).status == 0)
        #expect(try node.run(["audit"]).status == 0)
    }

    @Test("Another agency's broad entry is enforced as signed by default, not with --broad-entries own, and stays in the digest")
    func broadPolicy() throws {
        let folder = try TemporaryFolder()
        let kz = RosterProcess(data: folder.path("kz")), uz = RosterProcess(data: folder.path("uz"))
        try kz.run(["init", "--agency", "kz-mvd"])
        try uz.run(["init", "--agency", "uz-iib"])
        let fields = ["--category", "drugs"] + Self.basis
        #expect(try kz.run(["add", "cidr", "10.0.0.0/8", "--broad"] + fields).status == 0)
        #expect(try kz.run(["add", "ip", "192.0.2.9"] + fields).status == 0)
        try kz.run(["export", "--format", "ops", "-o", folder.path("kz.ops").path])
        try kz.run(["peers", "descriptor"]).stdout.write(to: folder.path("kz.json"), atomically: true, encoding: .utf8)
        try uz.addPeers(folder.path("kz.json").path)
        try uz.run(["import", folder.path("kz.ops").path, "--format", "ops"])

        #expect(try uz.run(["check", "10.1.2.3"]).status == 0, "enforced as signed")
        #expect(try uz.run(["check", "10.1.2.3", "--broad-entries", "own"]).status == 1, "another agency's broad entry")
        #expect(try uz.run(["check", "192.0.2.9", "--broad-entries", "own"]).status == 0, "its other entries stay")
        #expect(try kz.run(["check", "10.1.2.3", "--broad-entries", "own"]).status == 0, "its own broad entry")
        let zone = try uz.run(["export", "--format", "rpz", "--broad-entries", "own"]).stdout
        #expect(!zone.contains("8.0.0.0.10.rpz-ip") && zone.contains("32.9.2.0.192.rpz-ip"), "\(zone)")
        #expect(try uz.run(["export", "--format", "rpz"]).stdout.contains("8.0.0.0.10.rpz-ip"))
        #expect(digest(uz) == digest(kz), "both hold the same signed roster")
        #expect(try uz.run(["check", "10.1.2.3", "--broad-entries", "some"]).status == 2)
    }

    @Test("A known peer's descriptor with another endpoint or TLS pin is refused, showing both, unless --replace")
    func peerReplaced() throws {
        let folder = try TemporaryFolder()
        let kz = RosterProcess(data: folder.path("kz")), uz = RosterProcess(data: folder.path("uz"))
        try kz.run(["init", "--agency", "kz-mvd"])
        try uz.run(["init", "--agency", "uz-iib"])
        let original = try kz.run(["peers", "descriptor", "--endpoint", "https://127.0.0.1:8443"]).stdout
        try original.write(to: folder.path("kz.json"), atomically: true, encoding: .utf8)
        #expect(try uz.addPeers(folder.path("kz.json").path).status == 0)
        #expect(try uz.addPeers(folder.path("kz.json").path).status == 0, "the same descriptor again is no change")

        // A pin edited into the file breaks the agency's signature.
        let pin = try #require(original.range(of: #""tls_spki_sha256":"[0-9a-f]{64}""#, options: .regularExpression))
        let otherPin = original.replacingCharacters(in: pin, with: "\"tls_spki_sha256\":\"\(String(repeating: "ab", count: 32))\"")
        try otherPin.write(to: folder.path("kz-forged.json"), atomically: true, encoding: .utf8)
        let forged = try uz.addPeers(folder.path("kz-forged.json").path)
        #expect(forged.status == 2 && forged.stderr.contains("not signed by one of the agency's current keys"), "\(forged.stderr)")
        #expect(!(try uz.run(["peers", "list"]).stdout.contains(String(repeating: "ab", count: 32))), "the pin stayed")
        // A new TLS key, in a descriptor the agency signed: still refused without --replace, showing both pins.
        let oldPin = String(original[pin].suffix(65).prefix(64))
        for file in ["tls.key", "tls.crt"] { try FileManager.default.removeItem(at: folder.path("kz").appendingPathComponent(file)) }
        let renewed = try kz.run(["peers", "descriptor", "--endpoint", "https://127.0.0.1:8443"]).stdout
        try renewed.write(to: folder.path("kz-pin.json"), atomically: true, encoding: .utf8)
        let refused = try uz.addPeers(folder.path("kz-pin.json").path)
        #expect(refused.status == 2 && refused.stderr.contains("--replace") && refused.stderr.contains(oldPin), "\(refused.stderr)")
        #expect(try uz.run(["peers", "list"]).stdout.contains(oldPin), "the pin stayed")

        try uz.addPeers(folder.path("kz-pin.json").path, "--replace")
        try kz.run(["peers", "descriptor", "--endpoint", "https://127.0.0.1:9443"]).stdout
            .write(to: folder.path("kz-moved.json"), atomically: true, encoding: .utf8)
        #expect(try uz.addPeers(folder.path("kz-moved.json").path).status == 2)
        #expect(try uz.addPeers(folder.path("kz-moved.json").path, "--replace").status == 0)
        #expect(try uz.run(["peers", "list"]).stdout.contains("https://127.0.0.1:9443"))
    }

    @Test("A bad CSV line stops the import with its line number and changes nothing")
    func badLine() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        let before = try node.run(["status", "--json"]).stdout
        let csv = "kind,value,category\ndomain,good.example,drugs\ndomain,also-good.example,drugs\nip,300.1.1.1,drugs\n"
        try csv.write(to: folder.path("bad.csv"), atomically: true, encoding: .utf8)
        let result = try node.run(["import", folder.path("bad.csv").path, "--format", "csv"] + Self.basis)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("roster: line 4:") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try node.run(["status", "--json"]).stdout == before)
        #expect(try node.run(["list"]).stdout.isEmpty)

        let missing = try RosterProcess(data: folder.path("nothing")).run(["status"])
        #expect(missing.status == 3 && missing.stderr.contains("roster init"))
    }

    @Test("An import killed with SIGKILL halfway leaves a database that audits clean, and a re-run completes")
    func killedImport() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "kz-mvd"])
        try node.run(["add", "domain", "before.example", "--category", "drugs"] + Self.basis)
        let count = 20_000
        var csv = "value\n"
        for index in 0..<count { csv += "shop-\(index).example\n" }
        try csv.write(to: folder.path("big.csv"), atomically: true, encoding: .utf8)
        let arguments = ["import", folder.path("big.csv").path, "--format", "csv", "--category", "drugs"] + Self.basis

        let process = try node.start(arguments)
        // Kill once the import is writing: its write-ahead log has grown.
        let wal = folder.path("node/roster.sqlite-wal").path
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            if size > 1 << 20 { break }
            usleep(20_000)
        }
        #expect(process.isRunning, "the import finished before it could be killed: make the file bigger")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let audit = try node.run(["audit"])
        #expect(audit.status == 0, "\(audit.stdout)")
        #expect(try node.run(["list"]).lines.count == 1, "nothing of the killed import landed")
        let rerun = try node.run(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("added \(count)"))
        #expect(try node.run(["audit"]).status == 0)
        #expect(try node.run(["check", "shop-19999.example"]).status == 0)
    }

    @Test("A data folder of format 1, from before agency keys, is refused with what to do instead, and left as it was")
    func oldFormatRefused() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("old"))
        #expect(try node.run(["init", "--agency", "kz-mvd"]).status == 0)
        let identity = folder.path("old/node.json")
        let old = #"{"agency":"kz-mvd","replica":"main","v":1}"# + "\n"
        try old.write(to: identity, atomically: true, encoding: .utf8)
        for command in [["status"], ["list"], ["serve", "--listen", "127.0.0.1:0"]] {
            let refused = try node.run(command)
            #expect(refused.status == 3 && refused.stderr.contains("format 1") && refused.stderr.contains("roster export csv"),
                    "\(command): \(refused.stderr)")
        }
        #expect(try String(contentsOf: identity, encoding: .utf8) == old)
    }

    @Test("init --dev is idempotent, as the README's first command needs")
    func devNode() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("dev"))
        #expect(try node.run(["init", "--dev"]).status == 0)
        #expect(try node.run(["init", "--dev"]).status == 0)
        let status = try node.run(["status"])
        #expect(status.status == 0 && status.stdout.contains("dev/local"))
        let key = folder.path("dev/replica.key").path
        #expect((try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!status.stdout.contains("PRIVATE"))
    }

    @Test("serve --proxy takes addresses and networks, and refuses anything else with one line before it listens")
    func proxyOption() throws {
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        #expect(try node.run(["init", "--agency", "kz-mvd"]).status == 0)
        for bad in ["nginx", "10.0.0.1/8", "10.0.0.0/33", "::1/129"] {
            let refused = try node.run(["serve", "--listen", "127.0.0.1:0", "--proxy", bad])
            #expect(refused.status == 2 && refused.stderr.contains("--proxy") && refused.stderr.split(separator: "\n").count == 1,
                    "\(bad): \(refused.stderr)")
        }
    }

    @Test("Peers/demo holds descriptors that follow the schema and that a node accepts, each as a peer")
    func demoDescriptors() throws {
        let demo = RosterProcess.repository.appendingPathComponent("Peers/demo")
        let files = try FileManager.default.contentsOfDirectory(atPath: demo.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == ["kg-mvd.json", "kz-mvd.json", "uz-iib.json"])
        for file in files {
            let valid = try RosterProcess.validate(demo.appendingPathComponent(file), schema: "peer.schema.json")
            #expect(valid.status == 0, "\(file): \(valid.stdout)")
        }
        let folder = try TemporaryFolder()
        let node = RosterProcess(data: folder.path("node"))
        try node.run(["init", "--agency", "tj-mvd"])
        let added = try node.addPeers(demo.path)
        #expect(added.status == 0, "\(added.stderr)")
        let peers = try node.run(["peers", "list"]).lines.filter { $0.hasPrefix("peer ") }.map { $0.split(separator: "\t")[0] }
        #expect(peers == ["peer kg-mvd/main", "peer kz-mvd/main", "peer uz-iib/main"])
    }
}
