import Foundation
import RosterCore
import RosterStore
import RosterTestSupport
import Testing

/// The rows of the trust issue's table, replayed as attacks against real processes:
/// each was accepted before agency keys, and must now be refused or contained with
/// a message that says why.
@Suite("Trust: rogue keys, retired and equivocating replicas, rotations, distrust", .serialized)
struct TrustAttackTests {
    static let basis = ["--category", "drugs", "--authority", "Court", "--reference", "R-1", "--decided", "2026-01-01"]

    /// `a` and `b` each add the other's descriptor, trusting its agency.
    static func connect(_ a: FederatedNode, _ b: FederatedNode, _ folder: TemporaryFolder) throws {
        for (node, other) in [(a, b), (b, a)] {
            try other.descriptor(to: folder.path("\(other.name).json"))
            let added = try node.roster.addPeers(folder.path("\(other.name).json").path)
            #expect(added.status == 0, "\(node.name) adds \(other.name): \(added.stderr)")
        }
    }

    /// `node` trusts `other`'s agency from a descriptor without endpoint: it accepts
    /// the agency's operations relayed by others, and does not sync with `other`.
    static func trustOnly(_ node: FederatedNode, _ other: FederatedNode, _ folder: TemporaryFolder) throws {
        try other.descriptor(to: folder.path("\(other.name)-keys.json"), reachable: false)
        #expect(try node.roster.addPeers(folder.path("\(other.name)-keys.json").path).status == 0)
    }

    /// kz and uz sync, uz and ru sync, and ru trusts kz without syncing with it:
    /// kz-mvd's operations reach ru only relayed by uz.
    static func relay(_ folder: TemporaryFolder) throws -> (kz: FederatedNode, uz: FederatedNode, ru: FederatedNode) {
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        let ru = try FederatedNode(folder: folder, agency: "ru-mvd")
        try connect(kz, uz, folder)
        try connect(uz, ru, folder)
        try trustOnly(ru, kz, folder)
        return (kz, uz, ru)
    }

    static func operations(of node: RosterProcess) throws -> [SignedOperation] {
        try node.run(["export", "--format", "ops"]).stdout.split(separator: "\n").map { try SignedOperation(parsing: Array($0.utf8)) }
    }

    /// Pushes operations to `target` over `from`'s client certificate, as a peer would.
    static func push(_ operations: [SignedOperation], from: FederatedNode, to target: FederatedNode, _ folder: TemporaryFolder) throws -> String {
        let file = folder.path("push-\(UUID().uuidString).ndjson")
        try operations.map(\.text).joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
        let answer = try from.curl("/v1/sync/push", on: target, data: file)
        #expect(answer.status == 200, "\(answer.body)")
        return answer.body
    }

    static func listed(_ node: FederatedNode, _ resource: String) throws -> Bool {
        try node.roster.run(["check", resource]).status == 0
    }

    static func agencyDigest(_ node: FederatedNode, _ agency: String) throws -> String? {
        let text = try node.roster.run(["status", "--json"]).stdout
        return try JSONParser.parse(Array(text.utf8))["agencies"]?[agency]?.string
    }

    @Test("A descriptor naming a rogue root for a trusted agency, or the old replicas list, enrols nothing, even for the node's own agency")
    func rogueDescriptor() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        try Self.connect(kz, uz, folder)
        // Anyone can make an agency called kz-mvd, with a root of its own.
        let rogue = try FederatedNode(folder: folder, agency: "kz-mvd", replica: "rogue")
        try rogue.descriptor(to: folder.path("rogue.json"), reachable: false)
        for node in [uz, kz] {
            let refused = try node.roster.run(["peers", "add", folder.path("rogue.json").path])
            #expect(refused.status == 2 && refused.stderr.contains("has not pinned for kz-mvd"), "\(node.name): \(refused.stderr)")
            let insisted = try node.roster.addPeers(folder.path("rogue.json").path)
            #expect(insisted.status == 2, "--trust does not replace a pinned root: \(insisted.stderr)")
            let replicas = try node.roster.run(["agency", "show"]).stdout
            #expect(!replicas.contains("kz-mvd/rogue"), "\(replicas)")
        }
        // A new agency is trusted only with the fingerprint of its root.
        let stranger = try FederatedNode(folder: folder, agency: "by-mvd")
        try stranger.descriptor(to: folder.path("by.json"), reachable: false)
        let unconfirmed = try uz.roster.run(["peers", "add", folder.path("by.json").path])
        #expect(unconfirmed.status == 2 && unconfirmed.stderr.contains("--trust"), "\(unconfirmed.stderr)")
        // The descriptor of the table: an agency and a replica with anyone's key.
        let old = #"{"agency":"kz-mvd","replicas":[{"origin":"kz-mvd/rogue","key":"kqU9BUjgxFPalH4rL2g5NmfWCg5loDSbx4O+G9A364A="}],"v":1}"#
        try old.write(to: folder.path("old.json"), atomically: true, encoding: .utf8)
        let format = try kz.roster.run(["peers", "add", folder.path("old.json").path])
        #expect(format.status == 2 && format.stderr.contains("signed by the agency key"), "\(format.stderr)")
        #expect(!(try kz.roster.run(["peers", "descriptor"]).stdout.contains("rogue")))
    }

    @Test("A revoke signed by a replica no enrol endorses, and an enrol signed by the wrong key, change nothing")
    func rogueReplicaAndForgedEnrol() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        try Self.connect(kz, uz, folder)
        try kz.roster.run(["add", "domain", "a.example"] + Self.basis)
        try kz.start()
        #expect(try uz.roster.run(["sync"]).status == 0)
        #expect(try Self.listed(uz, "a.example"))
        let before = try uz.status()

        let held = try Self.operations(of: kz.roster)
        let enrolled = try #require(held.last { $0.operation.origin == "kz-mvd/agency" })
        let time = Timestamp(Date())
        // A rogue replica of kz-mvd, never enrolled, revokes kz-mvd/main:1.
        let rogue = Replica(origin: "kz-mvd/rogue", key: ReplicaKey.random())
        let revoke = try rogue.make(.revoke(target: try Dot("kz-mvd/main:1"), reason: "rogue"), after: nil,
                                clock: VectorClock(["kz-mvd/main": 1, "kz-mvd/agency": enrolled.operation.seq]), time: time)
        let refusedRevoke = try Self.push([revoke], from: kz, to: uz, folder)
        #expect(refusedRevoke.contains("\"outcome\":\"rejected\"") && refusedRevoke.contains("no enrol"), "\(refusedRevoke)")
        // An enrol of the rogue replica, signed by a key that is not kz-mvd's.
        let forged = try SignedOperation.sign(Operation(
            origin: "kz-mvd/agency", seq: enrolled.operation.seq + 1, prev: enrolled.hash,
            clock: VectorClock(["kz-mvd/agency": enrolled.operation.seq]), time: time,
            payload: .enrol(replica: rogue.origin, key: rogue.key.publicKey)), with: [AgencyKey.random()])
        let revokeAfter = try rogue.make(.revoke(target: try Dot("kz-mvd/main:1"), reason: "rogue"), after: nil,
                                     clock: VectorClock(["kz-mvd/main": 1, "kz-mvd/agency": forged.operation.seq]), time: time)
        let refusedEnrol = try Self.push([forged, revokeAfter], from: kz, to: uz, folder)
        #expect(refusedEnrol.contains("which is not one of the agency's keys"), "\(refusedEnrol)")
        #expect(!refusedEnrol.contains("\"outcome\":\"applied\""), "\(refusedEnrol)")
        // The same through an import.
        try ([forged, revokeAfter].map(\.text).joined(separator: "\n") + "\n").write(to: folder.path("rogue.ops"), atomically: true, encoding: .utf8)
        #expect(try uz.roster.run(["import", folder.path("rogue.ops").path, "--format", "ops"]).status == 2)

        #expect(try Self.listed(uz, "a.example"), "kz-mvd's entry is still listed")
        #expect(try uz.status() == before, "nothing changed")
        #expect(!(try uz.roster.run(["agency", "show"]).stdout.contains("kz-mvd/rogue")))
        #expect(try uz.roster.run(["audit"]).status == 0)
        kz.stop()
    }

    @Test("A retired replica's operations after the retire point are void on every node, applied before or arriving after; those before stay")
    func retiredReplica() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        let almaty = try FederatedNode(folder: folder, agency: "kz-mvd", replica: "almaty", joining: kz)
        try Self.connect(kz, uz, folder)
        try Self.connect(almaty, kz, folder)
        for value in ["x1", "x2", "x3"] {
            #expect(try almaty.roster.run(["add", "domain", "\(value).example"] + Self.basis).status == 0)
        }
        for node in [kz, uz, almaty] { try node.start() }
        #expect(try kz.roster.run(["sync"]).status == 0)
        #expect(try uz.roster.run(["sync"]).status == 0)
        #expect(try Self.listed(uz, "x3.example"))
        // Its key is stolen: a copy of its folder keeps signing.
        try FileManager.default.copyItem(at: almaty.roster.data, to: folder.path("stolen"))
        let stolen = RosterProcess(data: folder.path("stolen"))

        let retire = try kz.roster.run(["agency", "retire", "kz-mvd/almaty", "--after", "1", "--reason", "key compromised"])
        #expect(retire.status == 0, "\(retire.stderr)")
        #expect(try kz.roster.run(["sync"]).status == 0)
        for node in [kz, uz, almaty] {
            #expect(try Self.listed(node, "x1.example"), "\(node.name): signed before the retire point")
            #expect(try !Self.listed(node, "x2.example") && !Self.listed(node, "x3.example"), "\(node.name): void")
            let audit = try node.roster.run(["audit"])
            #expect(audit.status == 0 && audit.stdout.contains("kz-mvd/almaty is retired by its agency after seq 1: 2 operations"), "\(node.name): \(audit.stdout)")
        }
        let refused = try almaty.roster.run(["add", "domain", "x4.example"] + Self.basis)
        #expect(refused.status == 2 && refused.stderr.contains("retired"), "\(refused.stderr)")
        // What the stolen key signs now is refused wherever it is pushed.
        #expect(try stolen.run(["add", "domain", "x5.example"] + Self.basis).status == 0)
        let late = try Self.operations(of: stolen).filter { $0.operation.origin == "kz-mvd/almaty" && $0.operation.seq == 4 }
        let answer = try Self.push(late, from: almaty, to: kz, folder)
        #expect(answer.contains("is void: kz-mvd retired kz-mvd/almaty after seq 1"), "\(answer)")
        #expect(try !Self.listed(kz, "x5.example"))
        // A node that learns it all afresh, the retire first, agrees.
        let ru = try FederatedNode(folder: folder, agency: "ru-mvd")
        try Self.trustOnly(ru, kz, folder)
        let kzOnly = try Self.operations(of: kz.roster).filter { $0.operation.agency == "kz-mvd" }
        try (kzOnly.map(\.text).joined(separator: "\n") + "\n").write(to: folder.path("kz.ops"), atomically: true, encoding: .utf8)
        let imported = try ru.roster.run(["import", folder.path("kz.ops").path, "--format", "ops"])
        #expect(imported.status == 0 && imported.stdout.contains("void 2"), "\(imported.stdout)\(imported.stderr)")
        #expect(try Self.agencyDigest(ru, "kz-mvd") == Self.agencyDigest(uz, "kz-mvd"))
        for node in [kz, uz, almaty] { node.stop() }
    }

    @Test("A rotation needs the old key and the new; after it the old key signs nothing, and a new node trusting the root follows it")
    func rotation() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        try Self.connect(kz, uz, folder)
        let root = try #require(kz.roster.run(["agency", "show", "--json"]).stdout.firstMatch(of: /"root_sha256":"([0-9a-f]{64})"/).map { String($0.1) })
        let stranger = ReplicaKey.random().publicKey.base64

        // Without the current key: refused, nothing signed.
        _ = FileManager.default.createFile(atPath: folder.path("fake.key").path, contents: Data((ReplicaKey.random().pem ?? "").utf8), attributes: [.posixPermissions: 0o600])
        let forged = try kz.roster.run(["agency", "rotate", "--agency-key", folder.path("fake.key").path, "--new-key", folder.path("n0.key").path])
        #expect(forged.status == 2, "\(forged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("n0.key").path), "a refused rotation leaves no key it made")
        #expect(try kz.roster.run(["agency", "enrol", "kz-mvd/x", "--key", stranger, "--agency-key", folder.path("fake.key").path]).status == 2)
        // With it, and the new key signing too.
        try kz.roster.run(["peers", "descriptor", "--keys-only"]).stdout.write(to: folder.path("kz-before.json"), atomically: true, encoding: .utf8)
        let rotated = try kz.roster.run(["agency", "rotate", "--new-key", folder.path("new.key").path])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let old = try kz.roster.run(["agency", "enrol", "kz-mvd/x", "--key", stranger])
        #expect(old.status == 2 && old.stderr.contains("which is not one of the agency's keys"), "\(old.stderr)")
        #expect(try kz.roster.run(["agency", "enrol", "kz-mvd/x", "--key", stranger, "--agency-key", folder.path("new.key").path]).status == 0)

        try kz.start()
        #expect(try uz.roster.run(["sync"]).status == 0)
        #expect(try uz.roster.run(["agency", "show"]).stdout.contains("kz-mvd/x"))
        // A descriptor the old key signed before the rotation: its own chain ends there, but this node holds more.
        let stale = try uz.roster.run(["peers", "add", folder.path("kz-before.json").path])
        #expect(stale.status == 2 && stale.stderr.contains("no longer count among its keys"), "\(stale.stderr)")
        // The descriptor is now signed by the new key; a node pinning the root verifies the chain to it.
        try kz.roster.run(["peers", "descriptor", "--keys-only", "--agency-key", folder.path("new.key").path]).stdout
            .write(to: folder.path("kz-rotated.json"), atomically: true, encoding: .utf8)
        let ru = try FederatedNode(folder: folder, agency: "ru-mvd")
        let added = try ru.roster.run(["peers", "add", folder.path("kz-rotated.json").path, "--trust", root])
        #expect(added.status == 0 && added.stdout.contains("kz-mvd/x"), "\(added.stdout)\(added.stderr)")
        kz.stop()
    }

    @Test("With two of three agency keys required, one key alone signs no key event")
    func threshold() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let keys = (1...3).map { folder.path("k\($0).key").path }
        let rotated = try kz.roster.run(["agency", "rotate", "--threshold", "2"] + keys.flatMap { ["--new-key", $0] })
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let stranger = ReplicaKey.random().publicKey.base64
        let alone = try kz.roster.run(["agency", "enrol", "kz-mvd/x", "--key", stranger, "--agency-key", keys[0]])
        #expect(alone.status == 2 && alone.stderr.contains("signatures of 1 of the current agency keys, and needs 2"), "\(alone.stderr)")
        let retire = try kz.roster.run(["agency", "retire", "kz-mvd/main", "--after", "0", "--reason", "x", "--agency-key", keys[2]])
        #expect(retire.status == 2, "\(retire.stderr)")
        let two = try kz.roster.run(["agency", "enrol", "kz-mvd/x", "--key", stranger, "--agency-key", keys[0], "--agency-key", keys[2]])
        #expect(two.status == 0, "\(two.stderr)")
        #expect(try kz.roster.run(["agency", "show", "--json"]).stdout.contains(#""threshold":2"#))
        #expect(try kz.roster.run(["audit"]).status == 0)
    }

    @Test("A distrusted agency's entries leave the view and stay as history; relayed by a third node its operations are not taken; trusted again, they come back")
    func distrust() throws {
        let folder = try TemporaryFolder()
        let (kz, uz, ru) = try Self.relay(folder)
        try kz.roster.run(["add", "domain", "a.example"] + Self.basis)
        for node in [kz, uz] { try node.start() }
        #expect(try uz.roster.run(["sync"]).status == 0)
        #expect(try ru.roster.run(["sync"]).status == 0)
        #expect(try Self.listed(ru, "a.example"), "relayed by uz")

        let distrusted = try ru.roster.run(["peers", "distrust", "kz-mvd"])
        #expect(distrusted.status == 0 && distrusted.stdout.contains("1 entries left the view"), "\(distrusted.stdout)\(distrusted.stderr)")
        #expect(try !Self.listed(ru, "a.example"))
        #expect(!(try ru.roster.run(["export", "--format", "hosts"]).stdout.contains("a.example")))
        let audit = try ru.roster.run(["audit"])
        #expect(audit.status == 0 && audit.stdout.contains("agency kz-mvd is distrusted: its 3 operations are kept as history"), "\(audit.stdout)")

        try kz.roster.run(["add", "domain", "b.example"] + Self.basis)
        #expect(try uz.roster.run(["sync"]).status == 0)
        let relayed = try ru.roster.run(["sync", "--json"])
        #expect(relayed.status == 0 && relayed.stdout.contains(#""rejected":[]"#), "not even sent: \(relayed.stdout)")
        #expect(try !Self.listed(ru, "b.example"))
        let pushed = try Self.push(try Self.operations(of: kz.roster), from: uz, to: ru, folder)
        #expect(pushed.contains("which this node distrusts"), "\(pushed)")

        let root = try #require(try kz.roster.run(["agency", "show", "--json"]).stdout.firstMatch(of: /"root_sha256":"([0-9a-f]{64})"/).map { String($0.1) })
        #expect(try ru.roster.run(["peers", "trust", "kz-mvd", root]).status == 0)
        #expect(try Self.listed(ru, "a.example"), "back in the view")
        let history = try ru.roster.run(["agency", "history"]).stdout
        #expect(history.contains("kz-mvd\tdistrust\t") && history.contains("kz-mvd\ttrust again\t"), "recorded in the node's history: \(history)")
        #expect(try ru.roster.run(["sync"]).status == 0)
        #expect(try Self.listed(ru, "b.example"))
        for node in [kz, uz] { node.stop() }
    }

    @Test("Two nodes that trust different agencies both stay live and agree on the agencies they share; clocks name one agency only")
    func differentTrust() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        let ru = try FederatedNode(folder: folder, agency: "ru-mvd")
        try Self.connect(kz, uz, folder)
        try Self.connect(uz, ru, folder)
        for node in [kz, uz, ru] { try node.roster.run(["add", "domain", "\(node.name).example"] + Self.basis) }
        try uz.start()
        for _ in 0..<2 {
            for node in [kz, ru] {
                let sync = try node.roster.run(["sync", "--json"])
                #expect(sync.status == 0 && sync.stdout.contains(#""rejected":[]"#), "\(node.name): \(sync.stdout)\(sync.stderr)")
            }
        }
        try uz.roster.run(["add", "domain", "later.example"] + Self.basis)
        for node in [kz, ru] { #expect(try node.roster.run(["sync"]).status == 0) }
        #expect(try Self.listed(kz, "later.example") && Self.listed(ru, "later.example"), "both stay live")
        #expect(try !Self.listed(kz, "ru-mvd.example") && !Self.listed(ru, "kz-mvd.example"), "neither takes what it does not trust")
        #expect(try Self.agencyDigest(kz, "uz-iib") == Self.agencyDigest(ru, "uz-iib"))
        #expect(try Self.agencyDigest(kz, "kz-mvd") == Self.agencyDigest(uz, "kz-mvd"))
        #expect(try Self.agencyDigest(ru, "ru-mvd") == Self.agencyDigest(uz, "ru-mvd"))
        for operation in try Self.operations(of: uz.roster) {
            #expect(operation.operation.clock.counters.keys.allSatisfy { Origin.agency(of: $0) == operation.operation.agency },
                    "\(operation.dot) names only its own agency: \(operation.operation.clock)")
        }
        uz.stop()
    }

    @Test("An equivocation proof travels with sync to a third node: both quarantine the replica from the fork and agree")
    func equivocationTravels() throws {
        let folder = try TemporaryFolder()
        let (kz, uz, ru) = try Self.relay(folder)
        try kz.roster.run(["add", "domain", "a.example"] + Self.basis)
        // A copy of the node signs another second operation: kz-mvd/main:2 twice.
        try FileManager.default.copyItem(at: kz.roster.data, to: folder.path("twin"))
        let twin = RosterProcess(data: folder.path("twin"))
        try kz.roster.run(["add", "domain", "b.example"] + Self.basis)
        try twin.run(["add", "domain", "evil.example"] + Self.basis)
        try kz.start()
        try uz.start()
        #expect(try uz.roster.run(["sync"]).status == 0)
        #expect(try ru.roster.run(["sync"]).status == 0)
        #expect(try Self.listed(ru, "b.example"))

        let fork = try Self.operations(of: twin).filter { $0.dot.description == "kz-mvd/main:2" }
        let answer = try Self.push(fork, from: kz, to: uz, folder)
        #expect(answer.contains("equivocating"), "\(answer)")
        #expect(try Self.listed(uz, "a.example") && !Self.listed(uz, "b.example") && !Self.listed(uz, "evil.example"), "quarantined from seq 2")
        #expect(try ru.roster.run(["sync"]).status == 0)
        #expect(try !Self.listed(ru, "b.example"), "the proof reached ru")
        let audit = try ru.roster.run(["audit"])
        #expect(audit.status == 1 && audit.stdout.contains("kz-mvd/main equivocated") && audit.stdout.contains("quarantined from seq 2"), "\(audit.stdout)")
        #expect(try Self.agencyDigest(ru, "kz-mvd") == Self.agencyDigest(uz, "kz-mvd"))
        #expect(try Self.listed(ru, "a.example"), "what came before the fork stays")
        // The proofs a peer hands over are signed operations, as their schema says.
        let request = folder.path("proofs-request.json")
        try #"{"agencies":["kz-mvd"],"after":0}"#.write(to: request, atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(request, schema: "sync-proofs-request.schema.json").status == 0)
        let proofs = try ru.curl("/v1/sync/proofs", on: uz, data: request)
        #expect(proofs.status == 200 && proofs.body.split(separator: "\n").count == 3, "\(proofs.body)")
        try #"{"agencies":["uz-iib"]}"#.write(to: request, atomically: true, encoding: .utf8)
        #expect(try ru.curl("/v1/sync/proofs", on: uz, data: request).body.isEmpty, "no proof of an agency not asked for")
        try proofs.body.write(to: folder.path("proofs.ndjson"), atomically: true, encoding: .utf8)
        #expect(try RosterProcess.validate(folder.path("proofs.ndjson"), schema: "operation.schema.json", lines: true).status == 0)
        for node in [kz, uz] { node.stop() }
    }
}
