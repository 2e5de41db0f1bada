import Hummingbird
import Logging
import NIOCore
import RosterCore
import RosterStore

/// The sync routes, for pinned peers only (docs/sync.md): a pull answers what the
/// caller lacks, a push applies what it sends, proofs hands over equivocations.
struct SyncController {
    let node: Node
    var store: Store { node.store }
    let live: LiveRoster
    let peers: PeerAuthentication
    let logger: Logger

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.post("/v1/sync/pull") { request, context in try await pull(request, context) }
        router.post("/v1/sync/proofs") { request, context in try await proofs(request, context) }
        router.post("/v1/sync/push") { request, context in try await push(request, context) }
        router.post("/v1/sync/checkpoints") { request, context in try await checkpoints(request, context) }
    }

    /// Gossip of logs: takes the caller's checkpoints and proofs of conflict
    /// (`Node.hear`) and answers with this node's.
    func checkpoints(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        let document = try await Self.document(request, "gossip", members: ["checkpoints", "conflicts"])
        let gossip: LogGossip
        do {
            gossip = try LogGossip(json: document)
        } catch let error as RosterError {
            throw HTTPError(.badRequest, message: error.reason)
        }
        for origin in try await node.hear(gossip) {
            logger.warning("\(peer) handed over a proof that \(origin) showed two histories of its log: run roster audit")
        }
        return .json(try await node.gossip().json)
    }

    func pull(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        let document = try await Self.document(request, "pull request", members: ["clock", "limit", "agencies"])
        guard let clockJSON = document["clock"], let clock = try? VectorClock(json: clockJSON) else {
            throw HTTPError(.badRequest, message: "pull request needs a clock: {\"clock\": {origin: seq}}")
        }
        if let given = document["limit"], given.integer == nil {
            throw HTTPError(.badRequest, message: "limit must be an integer from 1 to \(SyncLimits.maximumPage)")
        }
        let limit = Int(clamping: document["limit"]?.integer ?? Int64(SyncLimits.maximumPage))
        guard (1...SyncLimits.maximumPage).contains(limit) else {
            throw HTTPError(.badRequest, message: "limit must be an integer from 1 to \(SyncLimits.maximumPage)")
        }
        let agencies = try Self.agencies(document)
        let delta = try await store.delta(missingFrom: clock, limit: limit, bytes: SyncLimits.maximumPageBytes, agencies: agencies)
        logger.info("pull by \(peer): \(delta.bodies.count) operations\(delta.more ? ", more to come" : "")")
        var headers: HTTPFields = [:]
        headers[.init("Roster-More")!] = delta.more ? "true" : "false"
        // What this node holds, so that the caller can push without asking /v1/status.
        headers[.init("Roster-Clock")!] = CanonicalJSON.string(delta.clock.json)
        // Which proofs of equivocation it holds of the agencies asked for, so that the
        // caller asks for them only when it lacks some.
        headers[.init("Roster-Proofs")!] = try await store.proofsDigest(agencies: agencies)
        return .lines(delta.bodies, headers: headers)
    }

    /// A page of proofs of equivocation, from `after` (the last page's `Roster-After`).
    func proofs(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        let document = try await Self.document(request, "proofs request", members: ["agencies", "after"])
        let after = document["after"].map { $0.integer ?? -1 } ?? 0
        guard after >= 0, after <= 9_007_199_254_740_991 else { throw HTTPError(.badRequest, message: "after must be the Roster-After of the last page, an integer from 0 to 2^53 - 1") }
        let page = try await store.proofs(agencies: Self.agencies(document), after: after, limit: SyncLimits.proofsPerPage,
                                          bytes: SyncLimits.maximumPageBytes)
        logger.info("proofs by \(peer): \(page.bodies.count) operations\(page.next == nil ? "" : ", more to come")")
        var headers: HTTPFields = [:]
        headers[.init("Roster-More")!] = page.next == nil ? "false" : "true"
        if let next = page.next { headers[.init("Roster-After")!] = String(next) }
        return .lines(page.bodies, headers: headers)
    }

    /// A request body: one JSON object of the members named, no other.
    static func document(_ request: Request, _ what: String, members: Set<String>) async throws -> JSON {
        let body = try await request.body.collect(upTo: SyncLimits.maximumBody)
        // Up to 8 MiB of JSON: parsed off the cooperative pool, like a push page.
        let document: JSON
        do {
            document = try await CPUWork.run { try JSONParser.parse(Array(buffer: body)) }
        } catch let error as RosterError {
            throw RosterError(error.code, "\(what): \(error.reason)")
        }
        guard let object = document.object else { throw HTTPError(.badRequest, message: "\(what) must be a JSON object") }
        if let unknown = Set(object.keys).subtracting(members).sorted().first {
            throw HTTPError(.badRequest, message: "\(what) has an unknown member \"\(unknown)\": it takes \(members.sorted().joined(separator: ", "))")
        }
        return integral(document)
    }

    /// A request's `2.0` is the integer JSON Schema says it is (`"type": "integer"`);
    /// signed operations, whose bytes are signed, are never read through here.
    static func integral(_ value: JSON) -> JSON {
        switch value {
        case .double(let number) where number.rounded() == number && abs(number) < 9.0e15: .integer(Int64(number))
        case .array(let elements): .array(elements.map(integral))
        case .object(let members): .object(members.mapValues(integral))
        default: value
        }
    }

    /// The agencies a request names as the ones the caller trusts, if it names them.
    static func agencies(_ document: JSON) throws -> Set<String>? {
        guard let trusted = document["agencies"] else { return nil }
        let names = trusted.array?.compactMap(\.string).filter(Origin.isValidAgency) ?? []
        guard names.count == trusted.array?.count, names.count <= SyncLimits.maximumOrigins else {
            throw HTTPError(.badRequest, message: "agencies must be a list of at most \(SyncLimits.maximumOrigins) agency ids like kz-mvd")
        }
        return Set(names)
    }

    func push(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        let body = try await request.body.collect(upTo: SyncLimits.maximumBody)
        let operations = try await CPUWork.run { try Self.parseOperations(Array(buffer: body)) }
        guard !operations.isEmpty else { throw HTTPError(.badRequest, message: "a push carries at least one operation, one a line (NDJSON)") }
        let receipt = try await store.receive(operations, from: peer)
        NodeMetrics.record(receipt.outcomes)
        try? await live.catchUp()
        logger.info("push by \(peer): \(operations.count) operations", metadata: ["peer": "\(peer)", "operations": "\(operations.count)"])
        return .json(["clock": receipt.clock.json, "results": .array(zip(operations, receipt.outcomes).map { operation, outcome in
            var result: [String: JSON] = ["dot": .string(operation.dot.description)]
            switch outcome {
            case .applied: result["outcome"] = "applied"
            case .duplicate: result["outcome"] = "known"
            case .pending: result["outcome"] = "pending"
            case .rejected(let error):
                result["outcome"] = "rejected"
                result["reason"] = .string(error.reason)
            }
            return .object(result)
        })])
    }

    /// NDJSON of signed operations, parsed on the bulk threads; a line that is too
    /// long or malformed refuses the page, with its number.
    static func parseOperations(_ bytes: [UInt8]) throws -> [SignedOperation] {
        let lines = bytes.split(separator: 0x0A).filter { !$0.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) }
        guard lines.count <= SyncLimits.maximumPage else {
            throw HTTPError(.contentTooLarge, message: "a push carries at most \(SyncLimits.maximumPage) operations, this one \(lines.count): send pages")
        }
        if let index = lines.firstIndex(where: { $0.count > SyncLimits.maximumOperation }) {
            throw HTTPError(.badRequest, message: "line \(index + 1): an operation is larger than \(SyncLimits.maximumOperation) bytes")
        }
        return try Store.parse(lines.map(Array.init))
    }
}
