import Foundation

/// Debian's BIND `named` as a hidden primary: it loads the zone file a node keeps
/// (`serve --rpz-zone-file`), reloads it when `rndc` says so, and sends NOTIFY to
/// `secondary`, which transfers it. Run in the foreground and killed with SIGKILL (a
/// child of the test runner keeps the runner's blocked SIGTERM; a daemon keeps the
/// descriptor Foundation watches its launcher's exit by, which then never ends).
final class Named {
    let process = Process()
    let port: Int
    let folder: URL
    /// What `serve --rpz-notify` runs.
    let reload: String

    init(folder: URL, zoneFile: URL, notifying secondary: Int) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
        port = try CachingProxy.freePort()
        let control = try CachingProxy.freePort()
        let path = folder.path
        let key = try RosterProcess.execute(URL(fileURLWithPath: "/usr/sbin/tsig-keygen"), ["-a", "hmac-sha256", "rndc-key"])
        try key.stdout.write(to: folder.appendingPathComponent("rndc.key"), atomically: true, encoding: .utf8)
        try """
            include "\(path)/rndc.key";
            options {
              directory "\(path)";
              pid-file "\(path)/named.pid";
              listen-on port \(port) { 127.0.0.1; };
              listen-on-v6 { none; };
              recursion no;
              dnssec-validation no;
              notify explicit;
              also-notify { 127.0.0.1 port \(secondary); };
              allow-transfer { 127.0.0.1; };
            };
            controls { inet 127.0.0.1 port \(control) allow { 127.0.0.1; } keys { "rndc-key"; }; };
            zone "rpz.roster" { type primary; file "\(zoneFile.path)"; };
            """.write(to: folder.appendingPathComponent("named.conf"), atomically: true, encoding: .utf8)
        try """
            include "\(path)/rndc.key";
            options { default-key "rndc-key"; default-server 127.0.0.1; default-port \(control); };
            """.write(to: folder.appendingPathComponent("rndc.conf"), atomically: true, encoding: .utf8)
        reload = "rndc -c \(path)/rndc.conf reload rpz.roster"
    }

    func start() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/named")
        process.arguments = ["-f", "-c", folder.appendingPathComponent("named.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning, (try? serial()) == nil { usleep(100_000) }
    }

    /// The zone's SOA serial as named serves it, or nil.
    func serial() throws -> Int? {
        let answer = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/dig"),
                                               ["+short", "+tries=1", "+time=2", "-p", String(port), "@127.0.0.1", "rpz.roster", "SOA"])
        return answer.stdout.split(separator: " ").dropFirst(2).first.flatMap { Int($0) }
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
