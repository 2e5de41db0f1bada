import Foundation
import Testing

/// Agencies that sign with their national suites: keys made by `openssl genpkey`,
/// operations verified by tools that share no code with Roster, federations of
/// mixed suites, and nodes that lack a suite.
@Suite("National keys: every suite signs operations and key events, across a federation", .serialized)
struct NationalKeyTests {
    static let basis = ["--category", "drugs", "--authority", "MVD", "--reference", "No. 118", "--decided", "2026-03-02"]

    /// `openssl genpkey` with the GOST engine loaded where the algorithm needs it; the key file gets mode 0600.
    static func genpkey(_ options: [String], to file: URL) throws {
        let engine = options.contains { $0.hasPrefix("gost") } ? ["-engine", "gost"] : []
        let made = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["openssl", "genpkey"] + engine + options + ["-out", file.path])
        guard made.status == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: made.stderr]) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }

    static let p256 = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    static let rsaPSS = ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:3072"]
    static let gost256 = ["-algorithm", "gost2012_256", "-pkeyopt", "paramset:A"]
    static let gost512 = ["-algorithm", "gost2012_512", "-pkeyopt", "paramset:A"]

    /// Every signature of a node's ops export, verified by openssl (and Python's cryptography for ECDSA and RSA-PSS).
    static func independentlyVerified(_ node: RosterProcess, in folder: TemporaryFolder) throws -> String {
        let ops = folder.path("\(node.data.lastPathComponent).ops")
        try node.run(["export", "--format", "ops"]).stdout.write(to: ops, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(ops, schema: "operation.schema.json", lines: true).status == 0)
        let script = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/verify_operations.py").path
        let verified = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, ops.path])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        return verified.stdout
    }

    @Test("Keys made by openssl genpkey sign as the agency (--agency-key), the replica (--replica-key) and new agency keys (--new-key); openssl and cryptography verify every signature")
    func externalKeys() throws {
        let folder = try TemporaryFolder()
        try Self.genpkey(Self.gost512, to: folder.path("agency-gost512.pem"))
        try Self.genpkey(Self.rsaPSS, to: folder.path("replica-rsa.pem"))
        try Self.genpkey(Self.p256, to: folder.path("new-p256.pem"))
        let node = RosterProcess(data: folder.path("ru"))
        let created = try node.run(["init", "--agency", "ru-mvd", "--agency-key", folder.path("agency-gost512.pem").path,
                                    "--replica-key", folder.path("replica-rsa.pem").path, "--json"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains(#""alg":"rsa-pss-sha256""#) && created.stdout.contains(#""log_key":""#), "\(created.stdout)")
        // The key files the operator brought stay theirs: the node copies the replica's, and names the agency's.
        #expect(FileManager.default.fileExists(atPath: folder.path("agency-gost512.pem").path))
        #expect(!FileManager.default.fileExists(atPath: folder.path("ru/agency.key").path))
        #expect(try node.run(["add", "domain", "shop.example"] + Self.basis).status == 0)
        #expect(try node.run(["amend", "ru-mvd/main:1", "--note", "mirror of a shop blocked in 2025"]).status == 0)
        // A key is one signer's: the replica's key enrolled again for another replica is refused.
        let copy = try node.run(["agency", "enrol", "ru-mvd/copy", "--key", try node.run(["keys", "show"]).stdout,
                                 "--log-key", ReplicaKeyFixture.ed25519Base64, "--agency-key", folder.path("agency-gost512.pem").path])
        #expect(copy.status != 0 && copy.stderr.contains("the key of ru-mvd/main"), "\(copy.stderr)")
        let rotated = try node.run(["agency", "rotate", "--agency-key", folder.path("agency-gost512.pem").path,
                                    "--new-key", folder.path("new-p256.pem").path])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        // A new key made by the node, of the suite asked for.
        let again = try node.run(["agency", "rotate", "--agency-key", folder.path("new-p256.pem").path,
                                  "--new-key", folder.path("made-gost256.pem").path, "--alg", "gost2012-256"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try node.run(["revoke", "ru-mvd/main:1", "--reason", "lifted"]).status == 0)
        let checked = try Self.independentlyVerified(node, in: folder)
        for suite in ["gost2012-512", "rsa-pss-sha256", "ecdsa-p256-sha256", "gost2012-256"] {
            #expect(checked.contains("\"\(suite)\""), "\(suite) in \(checked)")
        }
        // The agency's keys and the replica's, each with its suite and SPKI PEM, as openssl writes it.
        let shown = try node.run(["agency", "show"]).stdout
        #expect(shown.contains("(gost2012-256)") && shown.contains("ru-mvd/main (rsa-pss-sha256)") && shown.contains("log key (ed25519)"), "\(shown)")
        let pem = try node.run(["keys", "show", "--pem"]).stdout
        let openssl = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["openssl", "pkey", "-in", folder.path("replica-rsa.pem").path, "-pubout"])
        #expect(pem == openssl.stdout, "keys show --pem is the key's SPKI PEM as openssl writes it")
        let status = folder.path("status.json")
        try node.run(["status", "--json"]).stdout.write(to: status, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(status, schema: "status.schema.json").status == 0)
        // Checkpoints stay C2SP signed notes with Ed25519: signed by the log key the enrol names.
        let checkpoint = try node.run(["checkpoint"])
        #expect(checkpoint.status == 0 && checkpoint.stdout.hasPrefix("roster/ru-mvd/main\n"), "\(checkpoint.stderr)")
        let audit = try node.run(["audit"])
        #expect(audit.status == 0 && audit.stdout.contains("no findings"), "\(audit.stdout)\(audit.stderr)")
    }

    @Test("Three agencies signing with Ed25519, ECDSA P-256 and GOST 2012-256 converge under random syncs; a fourth node audits them all")
    func mixedFederation() throws {
        let folder = try TemporaryFolder()
        let nodes = [try FederatedNode(folder: folder, agency: "kz-mvd"),
                     try FederatedNode(folder: folder, agency: "uz-iib", options: ["--alg", "ecdsa-p256-sha256"]),
                     try FederatedNode(folder: folder, agency: "ru-mvd", options: ["--alg", "gost2012-256"])]
        let auditor = try FederatedNode(folder: folder, agency: "xx-unodc")
        for node in nodes + [auditor] { try node.descriptor(to: folder.path("\(node.name).json")) }
        for node in nodes + [auditor] {
            for other in nodes + [auditor] where other !== node {
                let added = try node.roster.addPeers(folder.path("\(other.name).json").path)
                #expect(added.status == 0, "\(node.name) adds \(other.name): \(added.stderr)")
            }
            try node.start()
        }
        var rng = SystemRandomNumberGenerator()
        for round in 0..<4 {
            for node in nodes {
                let id = try node.roster.run(["add", "domain", "r\(round).\(node.name).example"] + Self.basis).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if round == 2 { #expect(try node.roster.run(["revoke", id, "--reason", "lifted"]).status == 0) }
            }
            let node = nodes.randomElement(using: &rng)!
            let synced = try node.roster.run(["sync"])
            #expect(synced.status == 0, "\(node.name): \(synced.stderr)")
        }
        for node in nodes + [auditor] {
            let synced = try node.roster.run(["sync"])
            #expect(synced.status == 0, "\(node.name): \(synced.stderr)")
        }
        let states = try (nodes + [auditor]).map { try $0.status() }
        #expect(Set(states.map(\.digest)).count == 1, "\(states)")
        #expect(Set(states.map(\.clock)).count == 1, "\(states)")
        let audit = try auditor.roster.run(["audit"])
        #expect(audit.status == 0 && audit.stdout.contains("no findings"), "\(audit.stdout)\(audit.stderr)")
        // Everything the auditor holds verifies outside Roster too, whichever suite signed it.
        let checked = try Self.independentlyVerified(auditor.roster, in: folder)
        for suite in ["ed25519", "ecdsa-p256-sha256", "gost2012-256"] { #expect(checked.contains("\"\(suite)\""), "\(checked)") }
        // And each node's log, by an auditor with no node, from its descriptor and root alone.
        for node in nodes {
            let descriptor = folder.path("\(node.name).json")
            let remote = try RosterProcess.execute(RosterProcess.binary, ["audit", "--remote", node.endpoint, "--peer", descriptor.path,
                                                                           "--state", folder.path("\(node.name)-state.json").path]
                                                                          + RosterProcess.trustArguments(descriptor.path))
            #expect(remote.status == 0 && remote.stdout.contains("no findings"), "\(node.name): \(remote.stdout)\(remote.stderr)")
        }
        #expect(try auditor.roster.run(["check", "r0.ru-mvd.example"]).stdout.contains("listed"))
    }

    @Test("A node without the GOST engine keeps GOST-signed operations unverified and says what to install; with the engine they apply, nothing lost")
    func missingEngine() throws {
        let folder = try TemporaryFolder()
        let ru = try FederatedNode(folder: folder, agency: "ru-mvd", options: ["--alg", "gost2012-256"])
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        for number in 1...3 { #expect(try ru.roster.run(["add", "domain", "shop-\(number).ru-example.org"] + Self.basis).status == 0) }
        try ru.descriptor(to: folder.path("ru.json"))
        try kz.descriptor(to: folder.path("kz.json"))
        #expect(try ru.roster.addPeers(folder.path("kz.json").path).status == 0)
        // OpenSSL finds no engine where OPENSSL_ENGINES points: this process lacks GOST as a machine without the package does.
        let noEngine = ["OPENSSL_ENGINES": folder.path("no-engines").path]
        let added = try kz.roster.run(["peers", "add", folder.path("ru.json").path] + RosterProcess.trustArguments(folder.path("ru.json").path),
                                      environment: noEngine)
        #expect(added.status != 0 && added.stderr.contains("libengine-gost-openssl"), "\(added.stderr)")
        // The agency's key events are Ed25519-free too: the descriptor waits, nothing is trusted half.
        // With the engine, the descriptor is read; then a sync without it keeps the operations unverified.
        #expect(try kz.roster.addPeers(folder.path("ru.json").path).status == 0)
        kz.stop()
        try kz.start(environment: noEngine)
        let synced = try kz.roster.run(["sync"], environment: noEngine)
        #expect(synced.status == 0, "\(synced.stderr)")
        let status = try kz.roster.run(["status"], environment: noEngine).stdout
        #expect(status.contains("gost2012-256 wait unverified") && status.contains("install libengine-gost-openssl"), "\(status)")
        let pending = try kz.roster.run(["pending"], environment: noEngine).stdout
        #expect(pending.contains("ru-mvd/main: 3 pending") && pending.contains("cannot verify"), "\(pending)")
        #expect(try kz.roster.run(["check", "shop-1.ru-example.org"], environment: noEngine).stdout.contains("not listed"))
        // What waits unverified is checked for all but its signature: a replica never enrolled, an agency not
        // trusted, a signature of another size than the suite's are refused, not kept.
        let script = """
            import json, sys
            ops = [json.loads(line) for line in open(sys.argv[1]) if '"sigs"' not in line]
            forged = []
            for origin in ('ru-mvd/fake', 'zz-mvd/main'):
                op = dict(ops[0]); op['origin'] = origin; op['clock'] = {origin.split('/')[0] + '/agency': 2}; forged.append(op)
            op = dict(ops[0]); op['seq'] = 9; op['prev'] = '0' * 64; op['sig'] = 'AAAA'
            op['clock'] = dict(op['clock'], **{'ru-mvd/main': 8}); forged.append(op)
            for index, op in enumerate(forged):
                open(f'{sys.argv[2]}-{index}.ops', 'w').write(json.dumps(op, sort_keys=True, separators=(',', ':'), ensure_ascii=False) + '\\n')
            """
        try ru.roster.run(["export", "--format", "ops"]).stdout.write(to: folder.path("ru.ops"), atomically: true, encoding: .utf8)
        let crafted = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, folder.path("ru.ops").path, folder.path("forged").path])
        #expect(crafted.status == 0, "\(crafted.stderr)")
        for (index, reason) in ["no enrol", "does not trust", "forged"].enumerated() {
            let refused = try kz.roster.run(["import", "--format", "ops", folder.path("forged-\(index).ops").path], environment: noEngine)
            #expect(refused.status != 0 && refused.stderr.contains(reason), "\(index): \(refused.stderr)")
        }
        #expect(try kz.roster.run(["pending"], environment: noEngine).stdout.contains("ru-mvd/main: 3 pending"))
        let unverifiedAudit = try kz.roster.run(["audit"], environment: noEngine)
        #expect(unverifiedAudit.stdout.contains("no findings") && unverifiedAudit.stdout.contains("not verified here: 2 operations signed with gost2012-256"),
                "\(unverifiedAudit.stdout)\(unverifiedAudit.stderr)")
        // The engine is installed: the next sync applies what waited, and the two nodes agree.
        kz.stop()
        try kz.start()
        #expect(try kz.roster.run(["sync"]).status == 0)
        #expect(try kz.roster.run(["pending"]).stdout.contains("nothing pending"))
        let listed = try kz.roster.run(["check", "shop-1.ru-example.org"])
        #expect(listed.status == 0 && listed.stdout.contains("ru-mvd/main:1"), "\(listed.stdout)")
        #expect(try ru.status().digest == kz.status().digest)
        #expect(try kz.roster.run(["audit"]).stdout.contains("no findings"))
    }
}

/// Agency keys certified by a national CA, and nodes that require it per jurisdiction.
@Suite("Certified agency keys: a node that trusts a jurisdiction's CA takes only key events whose keys it certifies", .serialized)
struct CertifiedAgencyTests {
    /// A test CA made with `openssl req`, and agency certificates it (or another CA)
    /// issues; the expired one is dated with Python's cryptography, as openssl 3.0's
    /// `x509 -req` cannot date a certificate in the past.
    static func certificates(in folder: TemporaryFolder) throws {
        func run(_ arguments: [String]) throws {
            let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), arguments)
            guard result.status == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: result.stderr]) }
        }
        for (name, subject) in [("kz-root", "/C=KZ/O=National CA/CN=KZ Root"), ("other-root", "/C=XX/O=Other CA/CN=Other Root")] {
            try run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", folder.path("\(name).key").path,
                     "-out", folder.path("\(name).pem").path, "-days", "3650", "-subj", subject,
                     "-addext", "keyUsage=critical,keyCertSign", "-addext", "basicConstraints=critical,CA:TRUE"])
        }
        try "keyUsage=critical,digitalSignature\n".write(to: folder.path("signing.ext"), atomically: true, encoding: .utf8)
        for (agency, ca) in [("kz-mvd", "kz-root"), ("kz-stranger", "other-root"), ("kz-lapsed", "kz-root"), ("kz-bare", "kz-root")] {
            try NationalKeyTests.genpkey(NationalKeyTests.p256, to: folder.path("\(agency).pem"))
            try run(["openssl", "req", "-new", "-key", folder.path("\(agency).pem").path, "-subj", "/C=KZ/O=\(agency)/CN=\(agency) root key",
                     "-out", folder.path("\(agency).csr").path])
            try run(["openssl", "x509", "-req", "-in", folder.path("\(agency).csr").path, "-CA", folder.path("\(ca).pem").path,
                     "-CAkey", folder.path("\(ca).key").path, "-CAcreateserial", "-days", "365", "-extfile", folder.path("signing.ext").path,
                     "-out", folder.path("\(agency)-cert.pem").path])
        }
        // kz-lapsed's certificate expired a year ago.
        let script = """
            import datetime, sys
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            ca_key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
            ca = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
            key = serialization.load_pem_private_key(open(sys.argv[3], 'rb').read(), None)
            now = datetime.datetime.now(datetime.timezone.utc)
            certificate = (x509.CertificateBuilder().subject_name(x509.Name.from_rfc4514_string('CN=kz-lapsed root key,O=kz-lapsed,C=KZ'))
                .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=730)).not_valid_after(now - datetime.timedelta(days=365))
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
                .sign(ca_key, hashes.SHA256()))
            open(sys.argv[4], 'wb').write(certificate.public_bytes(serialization.Encoding.PEM))
            """
        try run(["python3", "-c", script, folder.path("kz-root.key").path, folder.path("kz-root.pem").path, folder.path("kz-lapsed.pem").path,
                 folder.path("kz-lapsed-cert.pem").path])
    }

    @Test("A node trusting KZ's CA takes kz-mvd's certified key events and names the key's subject and issuer; a chain to another CA, an expired certificate and none at all are refused in one line each")
    func jurisdiction() throws {
        let folder = try TemporaryFolder()
        try Self.certificates(in: folder)
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        let trusted = try uz.roster.run(["peers", "trust-ca", "--jurisdiction", "KZ", folder.path("kz-root.pem").path])
        #expect(trusted.status == 0 && trusted.stdout.contains("trusted for KZ: CN=KZ Root,O=National CA,C=KZ"), "\(trusted.stdout)\(trusted.stderr)")
        for agency in ["kz-mvd", "kz-stranger", "kz-lapsed", "kz-bare"] {
            let certificate = agency == "kz-bare" ? [] : ["--certificate", folder.path("\(agency)-cert.pem").path]
            let node = try FederatedNode(folder: folder, agency: agency,
                                         options: ["--jurisdiction", "KZ", "--agency-key", folder.path("\(agency).pem").path] + certificate)
            try node.descriptor(to: folder.path("\(agency).json"), reachable: false)
            let added = try uz.roster.addPeers(folder.path("\(agency).json").path)
            switch agency {
            case "kz-mvd":
                #expect(added.status == 0, "\(added.stderr)")
            default:
                let reason = ["kz-stranger": "unable to get local issuer certificate", "kz-lapsed": "certificate has expired",
                              "kz-bare": "no certificate"][agency] ?? "?"
                #expect(added.status != 0 && added.stderr.contains(reason) && added.stderr.split(separator: "\n").count == 1,
                        "\(agency): \(added.stderr)")
                #expect(!(try uz.roster.run(["agency", "show"]).stdout.contains("agency \(agency)")), "\(agency) is not trusted")
            }
        }
        let shown = try uz.roster.run(["agency", "show"]).stdout
        #expect(shown.contains("certified: subject CN=kz-mvd root key,O=kz-mvd,C=KZ; issuer CN=KZ Root,O=National CA,C=KZ"), "\(shown)")
        let audit = try uz.roster.run(["audit"])
        #expect(audit.status == 0 && audit.stdout.contains("certified: agency kz-mvd key sha256"), "\(audit.stdout)")
        // The chain travels in the signed key event, as any verifier reads it.
        let kz = RosterProcess(data: folder.path("kz-mvd"))
        let events = try kz.run(["export", "--format", "ops"]).stdout
        #expect(events.contains(#""chains":[["MII"#), "\(events.prefix(400))")
        try events.write(to: folder.path("kz.ops"), atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(folder.path("kz.ops"), schema: "operation.schema.json", lines: true).status == 0)
    }
}

/// An Ed25519 public key no test holds the secret of, for commands that need one.
enum ReplicaKeyFixture {
    static let ed25519Base64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
}
