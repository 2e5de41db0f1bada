import Foundation

/// A node of a test federation: its folder, its port, and its `roster serve` process.
/// The server binds port 0 and the port is read back from its log, so no two
/// tests can race for a port; a restarted server takes the same port again.
final class FederatedNode {
    let roster: RosterProcess
    let agency: String
    /// The agency for its main replica, `agency-replica` for another: its folder's name.
    let name: String
    /// 0 until the node first serves (or a stand-in server took a port for it).
    private(set) var port = 0
    private var server: Process?
    private var interval = 0
    /// The agency key that signs this node's descriptors: in its folder, or in the
    /// folder of the node that founded the agency.
    let agencyKey: URL

    /// A node of a new agency, or, `joining` a node of its agency, a second replica
    /// that pins the agency's root and is enrolled with the key that node holds.
    /// `options` go to `roster init` (`--alg`, `--replica-key`, `--agency-key`).
    init(folder: TemporaryFolder, agency: String, replica: String = "main", joining founder: FederatedNode? = nil,
         options: [String] = []) throws {
        self.agency = agency
        name = replica == "main" ? agency : "\(agency)-\(replica)"
        roster = RosterProcess(data: folder.path(name))
        guard let founder else {
            let created = try roster.run(["init", "--agency", agency, "--replica", replica] + options)
            guard created.status == 0 else {
                throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "init failed: \(created.stderr)"])
            }
            let named = options.firstIndex(of: "--agency-key").flatMap { options.indices.contains($0 + 1) ? options[$0 + 1] : nil }
            agencyKey = named.map { URL(fileURLWithPath: $0) } ?? roster.data.appendingPathComponent("agency.key")
            return
        }
        agencyKey = founder.agencyKey
        let root = try founder.roster.run(["agency", "show", "--json"]).stdout
            .firstMatch(of: /"root_sha256":"([0-9a-f]{64})"/).map { String($0.1) } ?? ""
        let created = try roster.run(["init", "--agency", agency, "--replica", replica, "--trust", root, "--json"] + options)
        let key = created.stdout.firstMatch(of: /"public_key":"([^"]+)"/).map { String($0.1) } ?? ""
        let logKey = created.stdout.firstMatch(of: /"log_key":"([^"]+)"/).map { ["--log-key", String($0.1)] } ?? []
        let enrolled = try founder.roster.run(["agency", "enrol", "\(agency)/\(replica)", "--key", key] + logKey)
        guard enrolled.status == 0 else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "enrol failed: \(created.stderr)\(enrolled.stderr)"])
        }
    }

    var endpoint: String { "https://127.0.0.1:\(port)" }

    /// A port taken by another server that answers for this node (a hostile stand-in).
    func adopt(port: Int) { self.port = port }

    /// Writes this node's descriptor, with its endpoint, or only its agency's keys
    /// (for a node that relays the agency but does not sync with this node); an
    /// endpoint needs a port, so a node that has none yet starts serving first.
    func descriptor(to url: URL, reachable: Bool = true) throws {
        if reachable && port == 0 { try start() }
        let arguments = (reachable ? ["peers", "descriptor", "--endpoint", endpoint] : ["peers", "descriptor", "--keys-only"])
            + ["--agency-key", agencyKey.path]
        let result = try roster.run(arguments)
        guard result.status == 0 else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "peers descriptor failed: \(result.stderr)"])
        }
        try result.stdout.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Serves with anti-entropy every `interval` seconds (0: never); a server already
    /// running with another interval is restarted on the same port. `environment`
    /// is added to the test's own.
    func start(interval: Int = 0, options: [String] = [], environment: [String: String] = [:]) throws {
        if let server, server.isRunning {
            if interval == self.interval { return }
            stop()
        }
        let process = Process()
        process.executableURL = RosterProcess.binary
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--interval", String(interval), "--data", roster.data.path] + options
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = roster.data.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        server = process
        self.interval = interval
        // Ready when the server logs the port it bound, and answers on it.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && process.isRunning {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let match = text.firstMatch(of: /listening on https:\/\/127\.0\.0\.1:(\d+)/), let bound = Int(match.1),
                FederatedNode.canConnect(bound) {
                port = bound
                return
            }
            usleep(50_000)
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "roster serve did not start: \(output)"])
    }

    func stop() {
        guard let server, server.isRunning else { return }
        server.terminate()
        server.waitUntilExit()
    }

    var serverStatus: Int32? { server.map { $0.isRunning ? -1 : $0.terminationStatus } }

    deinit { stop() }

    func status() throws -> (clock: String, digest: String) {
        let text = try roster.run(["status", "--json"]).stdout
        func field(_ pattern: String) -> String {
            text.range(of: pattern, options: .regularExpression).map { String(text[$0]) } ?? ""
        }
        return (field(#""clock":\{[^}]*\}"#), field(#""digest":"[0-9a-f]{64}""#))
    }

    /// `curl` with this node's client certificate (or none), for requests no CLI command makes.
    func curl(_ path: String, on other: FederatedNode, withCertificate: Bool = true, data: URL? = nil) throws -> (status: Int, body: String) {
        var arguments = ["curl", "-sk", "-o", "-", "-w", "\n%{http_code}", "\(other.endpoint)\(path)"]
        if withCertificate {
            arguments += ["--cert", roster.data.appendingPathComponent("tls.crt").path,
                          "--key", roster.data.appendingPathComponent("tls.key").path]
        }
        if let data { arguments += ["-X", "POST", "--data-binary", "@\(data.path)"] }
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), arguments)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// An HTTP/1.1 GET through `openssl s_client`, with this node's client certificate or none.
    func openssl(get path: String, on other: FederatedNode, withCertificate: Bool = true) throws -> String {
        var arguments = ["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:\(other.port)"]
        if withCertificate {
            arguments += ["-cert", roster.data.appendingPathComponent("tls.crt").path,
                          "-key", roster.data.appendingPathComponent("tls.key").path]
        }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        return try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), arguments, input: request).stdout
    }

    static func canConnect(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
