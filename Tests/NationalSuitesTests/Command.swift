import Foundation
import RosterCore

/// A temporary folder, removed when the test is done with it.
final class Folder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("roster-suites-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> URL { url.appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A child process, its output and error together, and its exit status.
enum Command {
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The openssl command, with the GOST engine loaded by a configuration file for
/// the GOST suites, as an operator's openssl.cnf would load it.
enum OpenSSLCommand {
    static let configuration: URL = {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("roster-openssl-gost-\(getpid()).cnf")
        let text = """
            openssl_conf = openssl_init
            [openssl_init]
            engines = engine_section
            [engine_section]
            gost = gost_section
            [gost_section]
            engine_id = gost
            default_algorithms = ALL
            """
        try? text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }()

    static func run(_ suite: Suite, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let gost = suite == .gost256 || suite == .gost512
        return try Command.run("/usr/bin/env", ["openssl"] + arguments, environment: gost ? ["OPENSSL_CONF": configuration.path] : [:])
    }

    static func digest(_ suite: Suite) -> [String] {
        switch suite {
        case .gost256: return ["-md_gost12_256"]
        case .gost512: return ["-md_gost12_512"]
        case .ed25519, .ecdsaP256, .rsaPSS: return ["-sha256"]
        }
    }

    static func verifyOptions(_ suite: Suite) -> [String] {
        suite == .rsaPSS ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256"] : []
    }
}
