import Foundation
import RosterCore
import Testing

/// `Schemas/openapi.json` against the node it describes: a valid OpenAPI 3.1
/// document (`openapi-spec-validator`), and `schemathesis` sends a running node
/// what the document allows and what it does not, as a stranger and as a peer.
@Suite("API description: Schemas/openapi.json, validated and checked by schemathesis against a running node", .serialized)
struct ApiDescriptionTests {
    static let tests = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests")
    static let schemas = RosterProcess.repository.appendingPathComponent("Schemas")

    /// The document with the schemas it names placed inside it (`openapi_bundle.py`).
    static func bundle(in folder: TemporaryFolder) throws -> URL {
        let bundled = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                                ["python3", tests.appendingPathComponent("openapi_bundle.py").path, schemas.path])
        #expect(bundled.status == 0, "\(bundled.stderr)")
        let file = folder.path("openapi.bundle.json")
        try bundled.stdout.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("openapi.json is valid OpenAPI 3.1, as written and bundled, and documents every route docs/sync.md lists")
    func valid() throws {
        let folder = try TemporaryFolder()
        let script = """
            import sys
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            for path in sys.argv[1:]:
                document, base = read_from_filename(path)
                validate(document, base_uri=base)
                assert document['openapi'].startswith('3.1'), document['openapi']
            """
        let checked = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c", script, Self.schemas.appendingPathComponent("openapi.json").path, try Self.bundle(in: folder).path,
        ])
        #expect(checked.status == 0, "\(checked.stderr)")

        let document = try String(contentsOf: Self.schemas.appendingPathComponent("openapi.json"), encoding: .utf8)
        // The committed document is what its generator writes: a route's change goes through the generator.
        let generated = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                                  ["python3", Self.tests.appendingPathComponent("openapi_generate.py").path])
        #expect(generated.status == 0 && generated.stdout == document, "run python3 Tests/RosterCLITests/openapi_generate.py Schemas/openapi.json")
        let routes = try String(contentsOf: RosterProcess.repository.appendingPathComponent("docs/sync.md"), encoding: .utf8)
            .matches(of: /\| `(?:GET|POST) (\/[a-z0-9\/]+)/).map { String($0.1) }
        #expect(routes.count >= 10)
        for route in routes {
            #expect(document.contains("\"\(route)"), "\(route) is in docs/sync.md but not in openapi.json")
        }
    }

    @Test("schemathesis: every documented route answers as documented, bad input gets 4xx and never 5xx, other methods 405")
    func schemathesis() throws {
        let folder = try TemporaryFolder()
        let nodes = try FederationTests().federation(folder)
        let (kz, uz) = (nodes[0], nodes[1])
        #expect(try uz.roster.run(["add", "domain", "shop.example", "--category", "drugs"] + CLITests.basis).status == 0)
        #expect(try uz.roster.run(["revoke", "uz-iib/main:1", "--reason", "overturned"]).status == 0)
        // kz's certificate: uz pins it, so the sync routes are reached, not only refused.
        let run = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "PYTHONPATH=\(Self.tests.path)", "schemathesis", "--config-file", Self.tests.appendingPathComponent("schemathesis.toml").path,
            "run", try Self.bundle(in: folder).path, "--url", "https://localhost:\(uz.port)",
            "--tls-verify", uz.roster.data.appendingPathComponent("tls.crt").path,
            "--request-cert", kz.roster.data.appendingPathComponent("tls.crt").path,
            "--request-cert-key", kz.roster.data.appendingPathComponent("tls.key").path,
            "--max-examples", "40", "--seed", "18", "--no-color",
        ])
        #expect(run.status == 0, "\(run.stdout.suffix(6000))\(run.stderr.suffix(2000))")
        let documented = try JSONParser.parse(Array(Data(contentsOf: Self.schemas.appendingPathComponent("openapi.json"))))["paths"]?.object?
            .values.reduce(0) { $0 + ($1.object?.count ?? 0) } ?? 0
        #expect(documented >= 21 && run.stdout.contains("Tested: \(documented)"), "\(run.stdout.suffix(3000))")
        #expect(uz.serverStatus == -1, "the node still serves")
        #expect(try uz.roster.run(["audit"]).status == 0, "and its roster holds")
    }
}
