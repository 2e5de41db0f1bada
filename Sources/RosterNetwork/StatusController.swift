import Hummingbird
import RosterCore
import RosterStore

/// `GET /v1/status`, for pinned peers: what the node holds, and its digests.
struct StatusController {
    let node: Node
    let peers: PeerAuthentication

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/v1/status") { _, context in try await status(context) }
    }

    func status(_ context: PeerRequestContext) async throws -> Response {
        _ = try await peers.authenticate(context)
        let (clock, digest, agencies) = try await node.store.digests()
        return .json([
            "agency": .string(node.identity.agency), "origin": .string(node.identity.origin),
            "clock": clock.json, "digest": .string(digest), "agencies": .object(agencies.mapValues(JSON.string)),
        ])
    }
}
