import ArgumentParser
import Foundation
import RosterCore
import RosterStore

/// Key ceremonies: the operations an agency key signs. They are made on a node that
/// holds the agency's key events up to date (sync it first), with the agency key
/// brought for the purpose (`--agency-key`).
struct AgencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agency", abstract: "The agency's keys and replicas: show, enrol, retire, rotate.",
        discussion: "Examples:\n  roster agency show\n  roster agency enrol kz-mvd/almaty-1 --key BASE64KEY",
        subcommands: [ShowAgency.self, History.self, Enrol.self, Retire.self, Rotate.self])

    struct ShowAgency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the agencies this node trusts, their keys and replicas.",
        discussion: "Example:\n  roster agency show --root")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print only the SHA-256 of this node's own agency's root key: what other agencies pin with --trust.") var root = false

        func run() async throws {
            let opened = try await node.openNode()
            let trust = try await opened.store.trust()
            if root {
                Terminal.print(trust.agencies[opened.identity.agency]?.root ?? "")
                return
            }
            for (name, agency) in trust.agencies.sorted(by: { $0.key < $1.key }) {
                let keys = agency.keys.map { "\($0.threshold) of \($0.keys.map(\.fingerprint).joined(separator: ", "))" } ?? "none yet"
                let replicas = trust.replicas.filter { Origin.agency(of: $0.key) == name }.sorted { $0.key < $1.key }
                if node.json {
                    Terminal.printJSON([
                        "agency": .string(name), "root_sha256": .string(agency.root), "distrusted": .bool(agency.distrusted),
                        "keys": .array((agency.keys?.keys ?? []).map { .string($0.fingerprint) }),
                        "public_keys": .array((agency.keys?.keys ?? []).map { key in
                            var members: [String: JSON] = ["sha256": .string(key.fingerprint), "alg": .string(key.suite.rawValue), "pem": .string(key.pem)]
                            if let names = agency.keys?.certifications().first(where: { $0.key == key }) {
                                members["subject"] = .string(names.subject)
                                members["issuer"] = .string(names.issuer)
                            }
                            return .object(members)
                        }),
                        "threshold": agency.keys.map { .integer(Int64($0.threshold)) } ?? .null,
                        "replicas": .array(replicas.map { origin, enrolment in
                            ["origin": .string(origin), "alg": .string(enrolment.key.suite.rawValue), "key": .string(enrolment.key.base64),
                             "pem": .string(enrolment.key.pem),
                             "log_key": enrolment.logKey == enrolment.key ? .null : .string(enrolment.logKey.base64),
                             "enrolled_at": .integer(Int64(enrolment.enrolledAt)),
                             "retired_after": enrolment.retiredAfter.map { .integer(Int64($0)) } ?? .null]
                        }),
                    ])
                    continue
                }
                Terminal.print("agency \(name)\(agency.distrusted ? " (distrusted)" : "")\troot sha256 \(agency.root)\tkeys \(keys)")
                let certified = agency.keys?.certifications() ?? []
                for key in agency.keys?.keys ?? [] {
                    Terminal.print("  key sha256 \(key.fingerprint) (\(key.suite.rawValue))")
                    if let names = certified.first(where: { $0.key == key }) {
                        Terminal.print("    certified: subject \(names.subject); issuer \(names.issuer)")
                    }
                    Terminal.print(Self.indented(key.pem))
                }
                for (origin, enrolment) in replicas {
                    let retired = enrolment.retiredAfter.map { "\tretired after seq \($0)" } ?? ""
                    Terminal.print("  \(origin) (\(enrolment.key.suite.rawValue))\t\(enrolment.key.base64)\tenrolled at \(Origin.agencyOrigin(of: name)):\(enrolment.enrolledAt)\(retired)")
                    if enrolment.logKey != enrolment.key { Terminal.print("    log key (ed25519): \(enrolment.logKey.base64)") }
                    Terminal.print(Self.indented(enrolment.key.pem))
                }
            }
        }

        static func indented(_ pem: String) -> String {
            pem.trimmingCharacters(in: .newlines).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What this node's operators changed in what it trusts: pins, replaced pins, distrusts, in order.",
        discussion: "Example:\n  roster agency history --json")
        @OptionGroup var node: NodeOptions

        func run() async throws {
            for event in try await node.openNode().store.trustHistory() {
                if node.json {
                    Terminal.printJSON(["time": .string(event.time), "agency": .string(event.agency), "event": .string(event.event),
                                        "detail": .string(event.detail)])
                } else {
                    Terminal.print("\(event.time)\t\(event.agency)\t\(event.event)\t\(event.detail)")
                }
            }
        }
    }

    struct Enrol: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Endorse a replica of this agency and the key its operations verify with.",
        discussion: "Example:\n  roster agency enrol kz-mvd/almaty-1 --key BASE64KEY --agency-key /media/token/agency.key")
        @OptionGroup var node: NodeOptions
        @OptionGroup var keys: AgencyKeyOptions
        @Argument(help: "The replica's origin, like kz-mvd/almaty-1.") var replica: String
        @Option(help: ArgumentHelp("The replica's public key: base64 as roster keys show prints it, base64 of a SubjectPublicKeyInfo (DER), or a file holding its SPKI PEM.",
                                   valueName: "key|file"))
        var key: String
        @Option(help: ArgumentHelp("For a replica key of another suite than Ed25519: the Ed25519 key that signs its checkpoints, as roster init or roster keys show prints it.",
                                   valueName: "key"))
        var logKey: String?

        func run() async throws {
            let opened = try await node.openNode()
            let replicaKey = try PublicKey(named: key)
            let log = try logKey.map { try PublicKey(named: $0) }
            if replicaKey.suite != .ed25519, log == nil {
                throw ValidationError("the \(replicaKey.suite.rawValue) replica key signs no checkpoints: give its Ed25519 --log-key too (roster init printed it)")
            }
            if replicaKey.suite == .ed25519, log != nil {
                throw ValidationError("an Ed25519 replica key signs its own checkpoints: give no --log-key")
            }
            if let log, log.suite != .ed25519 { throw ValidationError("the --log-key is a \(log.suite.rawValue) key: a log key is Ed25519") }
            let operation = try await opened.store.keyEvent(.enrol(replica: replica, key: replicaKey, logKey: log), agency: opened.identity.agency,
                                                      signedBy: keys.load(folder: opened.folder))
            Terminal.print("enrolled \(replica) as \(operation.dot): sync the agency's nodes so that peers learn it")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Void a replica's operations after seq N (decommission or compromise), on every node that learns it.",
        discussion: "Example:\n  roster agency retire kz-mvd/almaty-1 --after 120 --reason \"laptop stolen on 2026-11-30\"")
        @OptionGroup var node: NodeOptions
        @OptionGroup var keys: AgencyKeyOptions
        @Argument(help: "The replica's origin.") var replica: String
        @Option(help: "The replica's last valid seq: its operations after it are void (0 voids them all).") var after: UInt64
        @Option(help: "Why, for auditors (decommissioned, key compromised, …).") var reason: String

        func run() async throws {
            guard after <= UInt64(Int64.max) else { throw ValidationError("--after must be at most \(Int64.max)") }
            let opened = try await node.openNode()
            let operation = try await opened.store.keyEvent(.retire(replica: replica, after: after, reason: try Text.required(reason, field: "reason")),
                                                      agency: opened.identity.agency, signedBy: keys.load(folder: opened.folder))
            Terminal.print("retired \(replica) after seq \(after) as \(operation.dot): its later operations are void")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the agency to new keys, signed by enough of the current keys and by the new ones.",
        discussion: "Example:\n  roster agency rotate --new-key new-1.key --new-key new-2.key --threshold 2")
        @OptionGroup var node: NodeOptions
        @OptionGroup var keys: AgencyKeyOptions
        @Option(help: ArgumentHelp("A new agency key: a key file of any suite, made (mode 0600) with a new key of --alg if it does not exist, or a PKCS #11 URI. Repeat for several.",
                                   valueName: "file|pkcs11:uri"))
        var newKey: [String]
        @Option(help: "How many of the new keys must sign the next key event.") var threshold = 1
        @Option(help: ArgumentHelp("The suite of new keys made here: \(Suite.names) (default: the current keys' suite).", valueName: "suite"))
        var alg: String?
        @Option(help: ArgumentHelp("A new key's certificate chain from its national CA (PEM, its certificate first); repeat in the order of --new-key.",
                                   valueName: "file"))
        var certificate: [String] = []

        func run() async throws {
            let opened = try await node.openNode()
            guard !newKey.isEmpty else { throw ValidationError("give at least one --new-key FILE") }
            let current = try await opened.store.trust().agencies[opened.identity.agency]?.keys?.suite ?? .ed25519
            let suite = try alg.map(Suite.init(parsing:)) ?? current
            let signers = try keys.load(folder: opened.folder)
            guard certificate.isEmpty || certificate.count == newKey.count else {
                throw ValidationError("give one --certificate per --new-key, in the same order, or none")
            }
            // Key files this command makes are removed if the rotation is not made.
            var made: [URL] = []
            let operation: SignedOperation
            let set: AgencyKeys
            do {
                let fresh = try newKey.map { argument -> AgencyKey in
                    let existed = KeySource.exists(argument)
                    let key = try KeySource(argument, orNew: suite, expecting: alg == nil ? nil : suite).key
                    if !existed { made.append(URL(fileURLWithPath: argument)) }
                    return key
                }
                var chains: [PublicKey: [[UInt8]]] = [:]
                for (key, file) in zip(fresh, certificate) {
                    chains[key.publicKey] = try AgencyKeys.chain(pem: InputFile.read(file, limit: 1 << 20), for: key.publicKey)
                }
                set = try AgencyKeys(fresh.map(\.publicKey), threshold: threshold, chains: chains)
                operation = try await opened.store.keyEvent(.rotate(keys: set), agency: opened.identity.agency, signedBy: signers + fresh)
            } catch {
                for file in made { try? FileManager.default.removeItem(at: file) }
                throw error
            }
            Terminal.print("rotated the agency keys as \(operation.dot): now \(threshold) of \(set.keys.map(\.fingerprint).joined(separator: ", "))")
        }
    }
}

/// The agency keys a ceremony is signed with.
struct AgencyKeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An agency key: a key file of any suite (default: agency.key in the data folder), or a PKCS #11 URI of a key in a token. Repeat for a threshold above 1.",
                               valueName: "file|pkcs11:uri"))
    var agencyKey: [String] = []

    func load(folder: URL) throws -> [AgencyKey] {
        let files = agencyKey.isEmpty ? [folder.appendingPathComponent(Node.agencyKeyFile).path] : agencyKey
        return try files.map { path in
            guard KeySource.exists(path) else {
                throw RosterError(.badKey, "no agency key at \(Text.printable(path, limit: 200)): bring it with --agency-key FILE or a pkcs11: URI")
            }
            return try KeySource(path).key
        }
    }
}
