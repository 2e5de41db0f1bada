import Foundation

/// Debian's Unbound as an ISP's resolver would run it, on ports of its own, with
/// everything it reads and writes in `folder`. It answers for the test names from
/// an `auth-zone` it consults as if upstream (with no internet, nothing else
/// resolves), so a name the policy zone does not list gets its address, and one it
/// lists gets NXDOMAIN. Killed with SIGKILL: a child of the test runner keeps the
/// runner's blocked SIGTERM.
final class Unbound {
    let process = Process()
    let port: Int
    let configuration: URL
    let log: URL

    /// The names `names` answers with addresses, under `example.`.
    static let names = ["shop.example", "www.shop.example", "exact.example", "www.exact.example", "free.example"]

    /// `policy` is the `rpz:` clause, `server` more lines of the `server:` clause, indented.
    init(folder: URL, port: Int? = nil, server: String = "", policy: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.port = try port ?? CachingProxy.freePort()
        let controlPort = try CachingProxy.freePort()
        let path = folder.path
        var zone = "$ORIGIN example.\n$TTL 300\n@ IN SOA ns.example. hostmaster.example. ( 1 3600 600 86400 300 )\n@ IN NS ns.example.\nns IN A 192.0.2.53\n"
        for (index, name) in Self.names.enumerated() {
            zone += "\(name). IN A 192.0.2.\(index + 1)\n"
        }
        try zone.write(to: folder.appendingPathComponent("example.zone"), atomically: true, encoding: .utf8)
        configuration = folder.appendingPathComponent("unbound.conf")
        log = folder.appendingPathComponent("unbound.log")
        try """
            server:
              interface: 127.0.0.1
              port: \(self.port)
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "\(path)"
              pidfile: "\(path)/unbound.pid"
              use-syslog: no
              logfile: "\(log.path)"
              verbosity: 1
              module-config: "respip iterator"
              do-not-query-localhost: no
              do-ip6: no
            \(server)
            remote-control:
              control-enable: yes
              control-interface: 127.0.0.1
              control-port: \(controlPort)
              control-use-cert: no
            auth-zone:
              name: "example."
              zonefile: "\(path)/example.zone"
              for-downstream: no
              for-upstream: yes
              fallback-enabled: no
            \(policy)
            """.write(to: configuration, atomically: true, encoding: .utf8)
        let checked = try RosterProcess.execute(URL(fileURLWithPath: "/usr/sbin/unbound-checkconf"), [configuration.path])
        guard checked.status == 0 else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "unbound-checkconf: \(checked.stdout)\(checked.stderr)"])
        }
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/unbound")
        process.arguments = ["-d", "-c", configuration.path]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning, (try? control("status"))?.status != 0 { usleep(100_000) }
    }

    /// `dig`'s status for an A query (NOERROR, NXDOMAIN, …), and the addresses answered.
    func resolve(_ name: String) throws -> (status: String, addresses: [String]) {
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/dig"),
                                               ["+tries=1", "+time=3", "-p", String(port), "@127.0.0.1", name, "A"])
        let status = result.stdout.firstMatch(of: /status: ([A-Z]+)/).map { String($0.1) } ?? "no answer"
        let addresses = result.stdout.matches(of: /\sIN\s+A\s+([0-9.]+)/).map { String($0.1) }
        return (status, addresses)
    }

    /// Whether `name` is blocked: NXDOMAIN where it would resolve unlisted.
    func blocks(_ name: String) throws -> Bool { try resolve(name).status == "NXDOMAIN" }

    @discardableResult
    func control(_ arguments: String...) throws -> RosterProcess.Result {
        try RosterProcess.execute(URL(fileURLWithPath: "/usr/sbin/unbound-control"), ["-c", configuration.path] + arguments)
    }

    /// Waits until `condition` holds, asking every 200 ms, for at most `seconds`.
    func await(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(200_000)
        }
        return try condition()
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
