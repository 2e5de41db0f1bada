import Foundation
import RosterCore
import Testing

@Suite("The log from the command line and over HTTPS: checkpoint, prove, verify-proof, tiles and proofs")
struct LogCLITests {
    @Test("A checkpoint verifies with the replica key; a proof of an operation verifies offline, and an altered one does not; the node serves both to strangers")
    func checkpointAndProofs() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        let kz = node.roster
        // An auditor's command: no node, no data folder.
        func verifyProof(_ arguments: [String]) throws -> RosterProcess.Result {
            try RosterProcess.execute(RosterProcess.binary, ["verify-proof"] + arguments)
        }
        for number in 1...3 {
            #expect(try kz.run(["add", "domain", "shop-\(number).example", "--category", "drugs"] + CLITests.basis).status == 0)
        }
        let printed = try kz.run(["checkpoint"])
        #expect(printed.status == 0 && printed.stderr.contains("verifier key: roster/kz-mvd/main+"), "\(printed.stderr)")
        let note = try SignedNote(parsing: printed.stdout)
        let checkpoint = try Checkpoint(text: note.text)
        let key = try PublicKey(base64: kz.run(["keys", "show", "--base64"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(checkpoint.origin == "roster/kz-mvd/main" && checkpoint.size == 5, "root, enrol and three adds")
        #expect(note.isSigned(by: checkpoint.origin, key: key))
        #expect(printed.stderr.contains(SignedNote.verifierKey(name: checkpoint.origin, key: key)))

        let proof = try kz.run(["prove", "kz-mvd/main:2"])
        #expect(proof.status == 0, "\(proof.stderr)")
        let file = folder.path("proof.json")
        try proof.stdout.write(to: file, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(file, schema: "inclusion-proof.schema.json").status == 0)
        let verified = try verifyProof([file.path, "--key", key.base64])
        #expect(verified.status == 0 && verified.stdout.contains("proof holds: leaf 3 of roster/kz-mvd/main at size 5"), "\(verified.stdout)\(verified.stderr)")
        // Another entry, another key, another size: each is refused with the reason.
        let altered = folder.path("altered.json")
        try proof.stdout.replacingOccurrences(of: "shop-2.example", with: "shop-9.example").write(to: altered, atomically: true, encoding: .utf8)
        let refused = try verifyProof([altered.path])
        #expect(refused.status == 1 && refused.stdout.contains("does not lead from the entry to the root"), "\(refused.stdout)")
        let stranger = try ReplicaKey(rawRepresentation: [UInt8](repeating: 9, count: 32)).publicKey
        #expect(try verifyProof([file.path, "--key", stranger.base64]).status == 1)
        let earlier = try kz.run(["prove", "kz-mvd/main:2", "--size", "4"])
        try earlier.stdout.write(to: file, atomically: true, encoding: .utf8)
        #expect(try verifyProof([file.path]).stdout.contains("at size 4"))
        #expect(try kz.run(["prove", "kz-mvd/main:3", "--size", "4"]).status == 2, "leaf 4 is not in a log of 4")
        #expect(try kz.run(["prove", "kz-mvd/main:9"]).status == 2)

        try node.start()
        defer { node.stop() }
        // Tiles are bytes, not text: only their status and headers are read here.
        func tile(_ path: String) throws -> (status: Int, headers: String) {
            let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                                   ["curl", "-sk", "-o", "/dev/null", "-D", "-", "-w", "%{http_code}", "\(node.endpoint)\(path)"])
            return (Int(result.stdout.suffix(3)) ?? 0, result.stdout.lowercased())
        }
        let served = try node.curl("/log/checkpoint", on: node, withCertificate: false)
        #expect(served.status == 200)
        // The node's certificate names its loopback addresses: a client that trusts that file verifies it, no -k.
        let trusting = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "curl", "-sf", "-o", "/dev/null", "--cacert", kz.data.appendingPathComponent("tls.crt").path, "\(node.endpoint)/log/checkpoint",
        ])
        #expect(trusting.status == 0, "curl verifies the node's certificate for 127.0.0.1: \(trusting.stderr)")
        let servedNote = try SignedNote(parsing: served.body)
        let servedCheckpoint = try Checkpoint(text: servedNote.text)
        #expect(servedNote.isSigned(by: "roster/kz-mvd/main", key: key) && servedCheckpoint.root == checkpoint.root)
        let inclusion = try node.curl("/v1/log/proof/inclusion?index=3&size=5", on: node, withCertificate: false)
        #expect(inclusion.status == 200, "\(inclusion.body)")
        let answer = try JSONParser.parse(Array(inclusion.body.utf8))
        let path = try (answer["proof"]?.array ?? []).map { try #require(Base64.decode($0.string ?? "")) }
        let entry = try JSONParser.parse(Array(proof.stdout.utf8))["entry"]?.string ?? ""
        #expect(MerkleTree.verifyInclusion(path, index: 3, size: 5, leaf: MerkleTree.leafHash(Array(entry.utf8)), root: checkpoint.root))
        let answers = folder.path("answers.ndjson")
        let consistency = try node.curl("/v1/log/proof/consistency?first=2&second=5", on: node, withCertificate: false)
        try (inclusion.body + "\n" + consistency.body + "\n").write(to: answers, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(answers, schema: "log-proof.schema.json", lines: true).status == 0)
        #expect(try node.curl("/v1/log/proof/inclusion?index=5&size=5", on: node, withCertificate: false).status == 404)
        #expect(try node.curl("/v1/log/proof/consistency?first=1&second=99", on: node, withCertificate: false).status == 404)
        #expect(try tile("/log/tile/0/000").status == 404, "not full yet")
        let partial = try tile("/log/tile/0/000.p/5")
        #expect(partial.status == 200 && partial.headers.contains("cache-control: public, max-age=60"), "\(partial.headers)")
        #expect(try tile("/log/tile/0/000.p/6").status == 404)
        #expect(try tile("/log/tile/entries/000.p/5").status == 200)
        #expect(try tile("/log/tile/0/0.p/5").status == 404, "one spelling per tile")
        #expect(try tile("/log/tile/9/000").status == 404)
        // An index whose tile would end past the largest integer: refused, the server still runs.
        #expect(try tile("/log/tile/0/x036/x028/x797/x018/x963/967").status == 404)
        #expect(try tile("/log/tile/entries/x036/x028/x797/x018/x963/967").status == 404)
        #expect(node.serverStatus == -1, "the server still runs")
    }

    @Test("Go's reference implementation (golang.org/x/mod sumdb/note and tlog) verifies the checkpoint, every tile and entry, and the node's proofs")
    func referenceImplementation() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        // Two full tiles of leaves, a partial one, and a tile of level 1.
        let csv = folder.path("shops.csv")
        try ("value\n" + (0..<600).map { "shop-\($0).example\n" }.joined()).write(to: csv, atomically: true, encoding: .utf8)
        #expect(try node.roster.run(["import", csv.path, "--format", "csv", "--category", "drugs"] + CLITests.basis).status == 0)
        let key = try node.roster.run(["checkpoint"]).stderr
            .split(separator: "\n").first { $0.hasPrefix("verifier key: ") }.map { String($0.dropFirst("verifier key: ".count)) }
        let verifier = try #require(key)
        try node.start()
        defer { node.stop() }
        let program = RosterProcess.repository.appendingPathComponent("Tests/LogCheck/logcheck.go")
        func check(_ verifier: String) throws -> RosterProcess.Result {
            try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
                "GOPATH=/usr/share/gocode", "GO111MODULE=off", "GOCACHE=\(folder.path("go-cache").path)",
                "go", "run", program.path, node.endpoint, verifier,
            ])
        }
        let checked = try check(verifier)
        #expect(checked.status == 0, "go is installed by .ci/run (golang-go, golang-golang-x-mod-dev): \(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("ok 602 entries hash to their leaves") && checked.stdout.contains("ok consistency proofs"), "\(checked.stdout)")
        // Another key under the same name: the checkpoint does not verify.
        let other = try ReplicaKey(rawRepresentation: [UInt8](repeating: 5, count: 32)).publicKey
        let refused = try check(SignedNote.verifierKey(name: "roster/kz-mvd/main", key: other))
        #expect(refused.status == 1 && refused.stdout.contains("FAIL checkpoint does not verify"), "\(refused.stdout)\(refused.stderr)")
    }

    @Test("A serving node signs a checkpoint on its interval even when nothing changed, and serves the latest")
    func checkpointInterval() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        #expect(try node.roster.run(["add", "domain", "shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        try node.start(options: ["--checkpoint-interval", "1"])
        defer { node.stop() }
        func served() throws -> Checkpoint {
            let answer = try node.curl("/log/checkpoint", on: node, withCertificate: false)
            #expect(answer.status == 200)
            return try Checkpoint(text: SignedNote(parsing: answer.body).text)
        }
        let first = try served()
        var later = first
        let deadline = Date().addingTimeInterval(10)
        while later.time == first.time && Date() < deadline {
            usleep(300_000)
            later = try served()
        }
        #expect(later.size == first.size && later.root == first.root, "nothing changed")
        #expect((later.time?.description ?? "") > (first.time?.description ?? ""), "signed again: \(later.extensions)")
        #expect(try node.roster.run(["audit"]).status == 0)
        #expect(try node.roster.run(["serve", "--checkpoint-interval", "0.5"]).status == 2)
    }
}
