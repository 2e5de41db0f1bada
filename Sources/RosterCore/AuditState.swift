/// What an auditor remembers between two audits of remote nodes: the root key it
/// pinned for each agency, and the last checkpoint it verified of each log. *Why:*
/// a log is append-only only to someone who kept what it said before; a node that
/// rewrites its history shows a checkpoint this state cannot be extended to.
public struct AuditState: Sendable, Equatable {
    public static let formatVersion: Int64 = 1

    /// Agency id to the lower-case hex SHA-256 of the root key pinned for it.
    public var roots: [String: String] = [:]
    /// Log origin to the last checkpoint verified of it, as the signed note served.
    public var checkpoints: [String: SignedNote] = [:]

    public init() {}

    public init(parsing bytes: [UInt8]) throws {
        let json: JSON
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw RosterError(.badInput, "the audit state file is not JSON: \(error); restore it from a copy, or start afresh with a new file and --trust")
        }
        guard let members = json.object, members["v"]?.integer == Self.formatVersion,
            let roots = members["roots"]?.object, let logs = members["logs"]?.object
        else {
            throw RosterError(.badInput, "the audit state file is not a version \(Self.formatVersion) state (v, roots, logs)")
        }
        for (agency, root) in roots {
            guard let fingerprint = root.string, Hex.isSHA256(fingerprint) else {
                throw RosterError(.badInput, "the audit state's root of \(agency) is not a SHA-256 in lower-case hex")
            }
            self.roots[agency] = fingerprint
        }
        for (origin, log) in logs {
            guard let text = log.object?["checkpoint"]?.string, let note = try? SignedNote(parsing: text),
                let checkpoint = try? Checkpoint(text: note.text), checkpoint.origin == origin
            else {
                throw RosterError(.badInput, "the audit state's checkpoint of \(origin) is not a signed checkpoint of that log")
            }
            checkpoints[origin] = note
        }
    }

    /// The state as a JSON file: canonical, so that two equal states are equal bytes.
    public var serialized: [UInt8] {
        let logs = checkpoints.mapValues { JSON.object(["checkpoint": .string($0.serialized)]) }
        return CanonicalJSON.encode(.object(["v": .integer(Self.formatVersion), "roots": .object(roots.mapValues(JSON.string)),
                                             "logs": .object(logs)])) + [0x0A]
    }
}
