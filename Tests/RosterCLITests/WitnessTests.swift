import Foundation
import RosterCore
import Testing

@Suite("Witnesses: peers cosign each other's checkpoints (C2SP tlog-witness); gossip catches a node that shows two histories", .serialized)
struct WitnessTests {
    /// Three agencies, each the peer of the other two, serving with `options`.
    func federation(_ folder: TemporaryFolder, options: [String] = []) throws -> (kz: FederatedNode, uz: FederatedNode, kg: FederatedNode) {
        let nodes = try ["kz-mvd", "uz-iib", "kg-mvd"].map { try FederatedNode(folder: folder, agency: $0) }
        for node in nodes { try node.descriptor(to: folder.path("\(node.name).json")) }
        for node in nodes {
            for other in nodes where other !== node {
                let added = try node.roster.addPeers(folder.path("\(other.name).json").path)
                #expect(added.status == 0, "\(node.name) adds \(other.name): \(added.stderr)")
            }
        }
        for node in nodes { try node.start(options: options) }
        return (nodes[0], nodes[1], nodes[2])
    }

    /// POSTs an add-checkpoint request to `node`'s witness route: status and body.
    static func addCheckpoint(_ note: String, old: Int = 0, to node: FederatedNode, folder: TemporaryFolder) throws -> (status: Int, body: String) {
        let body = folder.path("add-checkpoint-\(UUID().uuidString)")
        try ("old \(old)\n\n" + note).write(to: body, atomically: true, encoding: .utf8)
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "curl", "-sk", "-w", "\n%{http_code}", "--data-binary", "@\(body.path)", "\(node.endpoint)/log/witness/add-checkpoint",
        ])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test("A serving node's checkpoints are cosigned by its peers; the cosignatures verify with an independent Ed25519; audit --remote --witnesses counts them")
    func cosigned() throws {
        let folder = try TemporaryFolder()
        let (kz, uz, kg) = try federation(folder)
        for number in 1...2 {
            #expect(try kz.roster.run(["add", "domain", "shop-\(number).example", "--category", "drugs"] + CLITests.basis).status == 0)
        }
        // kz signs every second and asks uz and kg to cosign each checkpoint.
        kz.stop()
        try kz.start(options: ["--checkpoint-interval", "1"])
        var note = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            note = try kz.curl("/log/checkpoint", on: kz, withCertificate: false).body
            if note.contains("— roster-witness/uz-iib/main ") && note.contains("— roster-witness/kg-mvd/main ") { break }
            usleep(200_000)
        }
        #expect(note.contains("— roster-witness/uz-iib/main ") && note.contains("— roster-witness/kg-mvd/main "), "\(note)")

        // Python's cryptography checks each cosignature as C2SP tlog-cosignature defines it.
        let noteFile = folder.path("note.txt")
        try note.write(to: noteFile, atomically: true, encoding: .utf8)
        let keys = try [uz, kg].map { node in
            try "roster-witness/\(node.agency)/main=" + node.roster.run(["keys", "show", "--base64"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let checked = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import base64, hashlib, struct, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            text, signatures = open(sys.argv[1]).read().split("\\n\\n", 1)
            text += "\\n"
            keys = dict(arg.split("=", 1) for arg in sys.argv[2:])
            verified = 0
            for line in signatures.splitlines():
                _, name, blob = line.split(" ")
                if name not in keys:
                    continue
                raw = base64.b64decode(keys[name])
                blob = base64.b64decode(blob)
                assert blob[:4] == hashlib.sha256(name.encode() + b"\\n\\x04" + raw).digest()[:4], "key id"
                (time,) = struct.unpack(">Q", blob[4:12])
                Ed25519PublicKey.from_public_bytes(raw).verify(blob[12:], f"cosignature/v1\\ntime {time}\\n".encode() + text.encode())
                verified += 1
            print(f"{verified} cosignatures verify")
            sys.exit(0 if verified == len(keys) else 1)
            """, noteFile.path] + keys)
        #expect(checked.status == 0 && checked.stdout.contains("2 cosignatures verify"), "\(checked.stdout)\(checked.stderr)")

        // The auditor counts the other agencies whose nodes cosigned, with keys from the log.
        let descriptor = folder.path("kz-mvd.json")
        let root = try RemoteAuditTests.root(of: descriptor)
        // Only agencies whose roots the auditor confirmed count: the log alone could introduce any.
        let unpinned = try RemoteAuditTests.audit(kz.endpoint, descriptor: descriptor, state: folder.path("s.json"), ["--trust", root, "--witnesses", "2"])
        #expect(unpinned.status == 1 && unpinned.stdout.contains("kg-mvd, uz-iib cosigned too, but only the log vouches for their keys"),
                "\(unpinned.stdout)\(unpinned.stderr)")
        let witnesses = try ["uz-iib", "kg-mvd"].flatMap { agency in try ["--witness", "\(agency)=" + RemoteAuditTests.root(of: folder.path("\(agency).json"))] }
        let two = try RemoteAuditTests.audit(kz.endpoint, descriptor: descriptor, state: folder.path("s.json"), ["--trust", root, "--witnesses", "2"] + witnesses)
        #expect(two.status == 0 && two.stdout.contains("cosigned by the nodes of: kg-mvd, uz-iib"), "\(two.stdout)\(two.stderr)")
        // The state file keeps the witnesses' roots: later audits need no --witness.
        let three = try RemoteAuditTests.audit(kz.endpoint, descriptor: descriptor, state: folder.path("s.json"), ["--witnesses", "3"])
        #expect(three.status == 1 && three.stdout.contains("2 other agencies you pinned (kg-mvd, uz-iib), fewer than --witnesses 3"), "\(three.stdout)")
    }

    @Test("A node that shows two peers two histories gets no cosignature from the second; the proof reaches both peers' audit, and sync with it stops until resumed, and again when it forks again")
    func twoHistories() throws {
        let folder = try TemporaryFolder()
        // No node signs on its own here: each checkpoint is shown to a witness by hand.
        let (kz, uz, kg) = try federation(folder, options: ["--checkpoint-interval", "0"])
        #expect(try kz.roster.run(["add", "domain", "shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        // The node's folder copied, and the two grown apart to one size: two histories, one key.
        kz.stop()
        let fork = RosterProcess(data: folder.path("kz-mvd-fork"))
        try FileManager.default.copyItem(at: kz.roster.data, to: fork.data)
        #expect(try kz.roster.run(["add", "domain", "first.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try fork.run(["add", "domain", "second.example", "--category", "drugs"] + CLITests.basis).status == 0)
        let shownToUz = try kz.roster.run(["checkpoint"]).stdout
        let shownToKg = try fork.run(["checkpoint"]).stdout
        #expect(try Checkpoint(text: SignedNote(parsing: shownToUz).text).size == Checkpoint(text: SignedNote(parsing: shownToKg).text).size)

        let first = try Self.addCheckpoint(shownToUz, to: uz, folder: folder)
        #expect(first.status == 200 && first.body.hasPrefix("— roster-witness/uz-iib/main "), "\(first)")
        // uz gossips what it has seen to kg; kg is then shown the other history.
        #expect(try uz.roster.run(["sync", "--peer", "kg-mvd/main"]).status == 0)
        let second = try Self.addCheckpoint(shownToKg, to: kg, folder: folder)
        #expect(second.status == 409 && second.body.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "no cosignature from the second witness: \(second)")
        let kgAudit = try kg.roster.run(["audit"])
        #expect(kgAudit.status == 1 && kgAudit.stdout.contains("roster/kz-mvd/main showed two histories"), "\(kgAudit.stdout)")
        // What kg gossips: its own checkpoint, the one it saw of kz, and the proof.
        let empty = folder.path("gossip.json")
        try #"{"checkpoints":[],"conflicts":[]}"#.write(to: empty, atomically: true, encoding: .utf8)
        let gossip = try uz.curl("/v1/sync/checkpoints", on: kg, data: empty)
        #expect(gossip.status == 200, "\(gossip)")
        let answer = folder.path("gossip-answer.json")
        try gossip.body.write(to: answer, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(answer, schema: "sync-checkpoints.schema.json").status == 0)
        let conflicts = try JSONParser.parse(Array(gossip.body.utf8))["conflicts"]?.array ?? []
        #expect(conflicts.count == 1)
        // Of what it was shown, only the log's own signature is kept and passed on.
        #expect(conflicts.flatMap { $0.array ?? [] }.allSatisfy { $0.string?.components(separatedBy: "\n— ").count == 2 }, "\(conflicts)")
        #expect(try kz.curl("/v1/sync/checkpoints", on: kg, withCertificate: false, data: empty).status != 200, "gossip is for pinned peers")
        // The proof travels back to uz with the next sync.
        #expect(try uz.roster.run(["sync", "--peer", "kg-mvd/main"]).status == 0)
        let uzAudit = try uz.roster.run(["audit"])
        #expect(uzAudit.status == 1 && uzAudit.stdout.contains("roster/kz-mvd/main showed two histories"), "\(uzAudit.stdout)")
        #expect(try uz.roster.run(["status"]).stdout.contains("not syncing with it (roster peers resume)"))
        let status = folder.path("status.json")
        try uz.roster.run(["status", "--json"]).stdout.write(to: status, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(status, schema: "status.schema.json").status == 0)

        // uz stops syncing with the node until its operator acts; the proof stays.
        try kz.start(options: ["--checkpoint-interval", "0"])
        let refused = try uz.roster.run(["sync", "--peer", "kz-mvd/main"])
        #expect(refused.status == 3 && refused.stderr.contains("showed two histories") && refused.stderr.contains("roster peers resume kz-mvd/main"),
                "\(refused.stderr)")
        #expect(try Self.addCheckpoint(shownToUz, to: uz, folder: folder).status == 403, "nothing more of that log is cosigned")
        #expect(try uz.roster.run(["peers", "resume", "kz-mvd/main"]).status == 0)
        #expect(try uz.roster.run(["sync", "--peer", "kz-mvd/main"]).status == 0)
        #expect(try uz.roster.run(["audit"]).stdout.contains("showed two histories"), "the proof stays")

        // The node forks again after the operator resumed: caught again, and sync stops again.
        kz.stop()
        #expect(try kz.roster.run(["add", "domain", "again-1.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try fork.run(["add", "domain", "again-2.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try kz.roster.run(["checkpoint"]).status == 0)
        let forkedAgain = try fork.run(["checkpoint"]).stdout
        try kz.start(options: ["--checkpoint-interval", "0"])
        #expect(try uz.roster.run(["sync", "--peer", "kz-mvd/main"]).status == 0, "uz sees kz's newest checkpoint in its gossip")
        let again = try Self.addCheckpoint(forkedAgain, to: uz, folder: folder)
        #expect(again.status == 409, "\(again)")
        let stopped = try uz.roster.run(["sync", "--peer", "kz-mvd/main"])
        #expect(stopped.status == 3 && stopped.stderr.contains("roster peers resume kz-mvd/main"), "\(stopped.stderr)")
    }
}
