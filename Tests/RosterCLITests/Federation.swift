import Foundation

/// A node of a test federation: its folder, its port, and its `roster serve` process.
final class FederatedNode {
    let roster: RosterProcess
    let agency: String
    /// The agency for its main replica, `agency-replica` for another: its folder's name.
    let name: String
    let port: Int
    private var server: Process?

    init(folder: TemporaryFolder, agency: String, replica: String = "main") throws {
        self.agency = agency
        name = replica == "main" ? agency : "\(agency)-\(replica)"
        roster = RosterProcess(data: folder.path(name))
        port = FederatedNode.freePort()
        try roster.run(["init", "--agency", agency, "--replica", replica])
    }

    var endpoint: String { "https://127.0.0.1:\(port)" }

    /// Writes this node's descriptor, with or without its endpoint.
    func descriptor(to url: URL, reachable: Bool = true) throws {
        let arguments = reachable ? ["peers", "descriptor", "--endpoint", endpoint] : ["peers", "descriptor"]
        var text = try roster.run(arguments).stdout
        if !reachable {
            // A descriptor without endpoint: keys only, for a node that relays but does not sync with it.
            text = text.replacingOccurrences(of: #","tls_spki_sha256":"[0-9a-f]{64}""#, with: "", options: .regularExpression)
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func start(interval: Int = 0) throws {
        let process = Process()
        process.executableURL = RosterProcess.binary
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--interval", String(interval), "--data", roster.data.path]
        let log = roster.data.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        server = process
        // Ready when the port accepts connections and the server is still ours.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && process.isRunning {
            if FederatedNode.canConnect(port) {
                usleep(200_000)
                if process.isRunning { return }
            }
            usleep(50_000)
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "roster serve did not start on \(port): \(output)"])
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

    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
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
