import Foundation
import Testing

/// A peer that lies, floods or stalls, played by `fake_peer.py` with a real node's
/// certificate, so that the node under test takes it for a pinned peer.
@Suite("Hostile peers against real processes", .serialized)
struct HostilePeerTests {
    static let basis = ["--category", "drugs", "--authority", "Court", "--reference", "R-1", "--decided", "2026-01-01"]

    /// The hostile peer: a folder with a node's identity, and its Python server.
    final class FakePeer {
        let node: FederatedNode
        let process = Process()

        init(folder: TemporaryFolder, agency: String, mode: String, page: URL? = nil) throws {
            node = try FederatedNode(folder: folder, agency: agency)
            _ = try node.roster.run(["peers", "descriptor"])   // makes its TLS identity
            let script = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/fake_peer.py")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, mode, node.roster.data.appendingPathComponent("tls.crt").path,
                                 node.roster.data.appendingPathComponent("tls.key").path, "0"] + (page.map { [$0.path] } ?? [])
            let log = folder.path("\(agency).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            // It binds port 0 and prints the port: the node's descriptor then names it.
            let deadline = Date().addingTimeInterval(10)
            while node.port == 0 && Date() < deadline {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let match = text.firstMatch(of: /ready (\d+)/), let port = Int(match.1) { node.adopt(port: port) } else { usleep(50_000) }
            }
        }

        deinit {
            // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// `node` adds `peer`'s descriptor; `peer` adds node's, so its key is known too.
    static func join(_ node: FederatedNode, _ peer: FederatedNode, _ folder: TemporaryFolder) throws {
        try peer.descriptor(to: folder.path("\(peer.name).json"))
        #expect(try node.roster.addPeers(folder.path("\(peer.name).json").path).status == 0)
    }

    @Test("A peer that answers every push 'applied' without its clock moving is not pushed to for ever")
    func lyingPusher() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "uz-iib")
        for name in ["a", "b", "c"] { try node.roster.run(["add", "domain", "\(name).example"] + Self.basis) }
        let liar = try FakePeer(folder: folder, agency: "kz-mvd", mode: "lies")
        try Self.join(node, liar.node, folder)
        let started = Date()
        let sync = try node.roster.run(["sync"])
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(sync.status == 3, "\(sync.stdout)\(sync.stderr)")
        #expect(sync.stderr.contains("clock did not advance"), "\(sync.stderr)")
        let pushes = try String(contentsOf: folder.path("kz-mvd.log"), encoding: .utf8).components(separatedBy: "push").count - 1
        #expect(pushes == 1, "one push, then the lie is seen")
    }

    @Test("A peer that always has 'more' of the same page ends the round when a page moves nothing")
    func endlessMore() throws {
        let folder = try TemporaryFolder()
        let honest = try FederatedNode(folder: folder, agency: "kz-mvd")
        try honest.roster.run(["add", "domain", "a.example"] + Self.basis)
        try honest.roster.run(["export", "--format", "ops", "-o", folder.path("page.ops").path])
        let node = try FederatedNode(folder: folder, agency: "uz-iib")
        // The liar serves kz-mvd's real page, again and again, under its own pin.
        let liar = try FakePeer(folder: folder, agency: "ru-mvd", mode: "more", page: folder.path("page.ops"))
        try Self.join(node, liar.node, folder)
        try honest.descriptor(to: folder.path("kz-keys.json"), reachable: false)
        #expect(try node.roster.addPeers(folder.path("kz-keys.json").path).status == 0)
        let started = Date()
        let sync = try node.roster.run(["sync", "--json"])
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains(#""pulled":1"#), "\(sync.stdout)")
    }

    @Test("A peer that never answers holds up neither the other peers nor shutdown")
    func stallingPeer() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "uz-iib")
        let staller = try FakePeer(folder: folder, agency: "ru-mvd", mode: "hang")
        let honest = try FederatedNode(folder: folder, agency: "kz-mvd")
        try Self.join(node, staller.node, folder)
        try Self.join(node, honest, folder)
        try Self.join(honest, node, folder)
        try honest.start()
        try node.start(interval: 1)
        try honest.roster.run(["add", "domain", "fresh.example"] + Self.basis)
        // The staller's request hangs for its 30 s timeout; the honest peer is synced meanwhile.
        let deadline = Date().addingTimeInterval(15)
        var listed = false
        while !listed && Date() < deadline {
            listed = try node.roster.run(["check", "fresh.example"]).status == 0
            if !listed { usleep(300_000) }
        }
        #expect(listed, "the honest peer's entry arrived while the other peer stalled")
        let stopping = Date()
        node.stop()
        #expect(Date().timeIntervalSince(stopping) < 5, "the first SIGTERM stops the server at once")
        #expect(node.serverStatus == 0)
        honest.stop()
    }

    @Test("A node is not sent, round after round, the operations of an origin it does not accept")
    func unacceptedOrigin() throws {
        let folder = try TemporaryFolder()
        let ru = try FederatedNode(folder: folder, agency: "ru-mvd")
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        for name in ["a", "b", "c"] { try ru.roster.run(["add", "domain", "\(name).example"] + Self.basis) }
        try kz.roster.run(["add", "domain", "kz.example"] + Self.basis)
        try ru.roster.run(["export", "--format", "ops", "-o", folder.path("ru.ops").path])
        try ru.descriptor(to: folder.path("ru-keys.json"), reachable: false)
        #expect(try kz.roster.addPeers(folder.path("ru-keys.json").path).status == 0)
        #expect(try kz.roster.run(["import", folder.path("ru.ops").path, "--format", "ops"]).status == 0)
        try Self.join(uz, kz, folder)
        try Self.join(kz, uz, folder)
        try kz.start()
        for _ in 0..<2 {
            let sync = try uz.roster.run(["sync", "--json"])
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(sync.stdout.contains(#""rejected":[]"#), "uz does not accept ru-mvd, and is not sent its operations: \(sync.stdout)")
        }
        #expect(try uz.roster.run(["check", "kz.example"]).status == 0)
        kz.stop()
    }
}
