import Foundation
import RosterCore

/// Runs the built `roster` binary as an operator would, in a data folder of its own.
struct RosterProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The products folder holds the test bundle and the `roster` executable side by side.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["ROSTER_BIN"] { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("roster")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/roster")
    }()

    let data: URL

    @discardableResult
    func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try Self.execute(Self.binary, arguments + ["--data", data.path], input: input, environment: environment)
    }

    /// `peers add` trusting every agency the descriptors at `path` name, as an
    /// operator does who checked their root fingerprints with the agencies.
    @discardableResult
    func addPeers(_ path: String, _ extra: String...) throws -> Result {
        try run(["peers", "add", path] + Self.trustArguments(path) + extra)
    }

    /// `--trust SHA256` for each descriptor in a file or folder.
    static func trustArguments(_ path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        let files = isFolder.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".json") }.map { "\(path)/\($0)" }
            : [path]
        return files.flatMap { file -> [String] in
            guard let data = FileManager.default.contents(atPath: file), let json = try? JSONParser.parse(Array(data)),
                let root = json["root"]?.string, let key = try? PublicKey(base64: root)
            else { return [] }
            return ["--trust", key.fingerprint]
        }
    }

    /// Starts the command without waiting, for tests that kill it.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + ["--data", data.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs any program, capturing both streams through files (no pipe-buffer deadlock);
    /// `environment` is added to the test's own.
    static func execute(_ executable: URL, _ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out"), err = folder.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let input {
            let inputFile = folder.appendingPathComponent("in")
            try input.write(to: inputFile, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        }
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: out, encoding: .utf8), stderr: try String(contentsOf: err, encoding: .utf8))
    }

    /// Validates JSON documents (or NDJSON lines) against a schema in `Schemas/` with Python's jsonschema.
    static func validate(_ file: URL, schema: String, lines: Bool = false) throws -> Result {
        let script = """
            import json, pathlib, sys
            from jsonschema import Draft202012Validator
            from referencing import Registry, Resource
            folder = pathlib.Path(sys.argv[1])
            registry = Registry()
            for path in folder.glob('*.schema.json'):
                schema = json.loads(path.read_text())
                registry = registry.with_resource(schema['$id'], Resource.from_contents(schema))
            validator = Draft202012Validator(json.loads((folder / sys.argv[2]).read_text()), registry=registry)
            text = pathlib.Path(sys.argv[3]).read_text()
            documents = [json.loads(l) for l in text.splitlines() if l.strip()] if sys.argv[4] == 'lines' else [json.loads(text)]
            errors = [f'{i + 1}: {e.message}' for i, d in enumerate(documents) for e in validator.iter_errors(d)]
            print('\\n'.join(errors) if errors else f'{len(documents)} valid')
            sys.exit(1 if errors or not documents else 0)
            """
        return try execute(URL(fileURLWithPath: "/usr/bin/env"),
                           ["python3", "-c", script, repository.appendingPathComponent("Schemas").path, schema, file.path,
                            lines ? "lines" : "document"])
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}

/// A fresh folder under the system temporary directory, removed when dropped.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("roster-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}
