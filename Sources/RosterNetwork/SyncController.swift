import Hummingbird
import Logging
import NIOCore
import RosterCore
import RosterStore

/// The sync routes, for pinned peers only (docs/sync.md): a pull answers what the
/// caller lacks, a push applies what it sends, proofs hands over equivocations.
struct SyncController {
    let store: Store
    let live: LiveRoster
    let peers: PeerAuthentication
    let logger: Logger

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.post("/v1/sync/pull") { request, context in try await pull(request, context) }
        router.get("/v1/sync/proofs") { request, context in try await proofs(request, context) }
        router.post("/v1/sync/push") { request, context in try await push(request, context) }
    }

    func pull(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        let body = try await request.body.collect(upTo: SyncLimits.maximumBody)
        let document: JSON
        do {
            document = try JSONParser.parse(Array(buffer: body))
        } catch let error as RosterError {
            throw RosterError(error.code, "pull request: \(error.reason)")
        }
        guard let clockJSON = document["clock"], let clock = try? VectorClock(json: clockJSON) else {
            throw HTTPError(.badRequest, message: "pull request needs a clock: {\"clock\": {origin: seq}}")
        }
        let members = document.object.map { Array($0.keys) } ?? []
        if let unknown = Set(members).subtracting(["clock", "limit", "agencies"]).sorted().first {
            throw HTTPError(.badRequest, message: "pull request has an unknown member \"\(unknown)\": it takes clock, limit and agencies")
        }
        if let given = document["limit"], given.integer == nil {
            throw HTTPError(.badRequest, message: "limit must be an integer from 1 to \(SyncLimits.maximumPage)")
        }
        let limit = min(Int(clamping: document["limit"]?.integer ?? Int64(SyncLimits.maximumPage)), SyncLimits.maximumPage)
        guard limit > 0 else { throw HTTPError(.badRequest, message: "limit must be positive") }
        var agencies: Set<String>?
        if let trusted = document["agencies"] {
            let names = trusted.array?.compactMap(\.string).filter(Origin.isValidAgency) ?? []
            guard names.count == trusted.array?.count, names.count <= SyncLimits.maximumOrigins else {
                throw HTTPError(.badRequest, message: "agencies must be a list of at most \(SyncLimits.maximumOrigins) agency ids like kz-mvd")
            }
            agencies = Set(names)
        }
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

    func proofs(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        var agencies: Set<String>?
        if let list = request.uri.queryParameters.get("agencies") {
            let names = list.split(separator: ",").map(String.init)
            guard names.count <= SyncLimits.maximumOrigins, names.allSatisfy(Origin.isValidAgency) else {
                throw HTTPError(.badRequest, message: "agencies must be a comma-separated list of agency ids like kz-mvd")
            }
            agencies = Set(names)
        }
        let bodies = try await store.proofs(agencies: agencies, limit: SyncLimits.maximumPage / 3)
        logger.info("proofs by \(peer): \(bodies.count) operations")
        return .lines(bodies)
    }

    func push(_ request: Request, _ context: PeerRequestContext) async throws -> Response {
        let peer = try await peers.authenticate(context)
        let body = try await request.body.collect(upTo: SyncLimits.maximumBody)
        let operations = try await CPUWork.run { try Self.parseOperations(Array(buffer: body)) }
        let receipt = try await store.receive(operations, from: peer)
        try? await live.catchUp()
        logger.info("push by \(peer): \(operations.count) operations")
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
