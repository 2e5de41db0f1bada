import Hummingbird
import RosterCore
import RosterStore

/// `GET /healthz`, for load balancers and service managers: 200 while the node
/// reads its database, 503 when it cannot.
struct HealthController {
    let node: Node

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/healthz") { _, _ in try await health() }
    }

    func health() async throws -> Response {
        do {
            let clock = try await node.store.clock()
            return .json(["status": "ok", "origin": .string(node.identity.origin), "operations": .integer(Int64(clamping: clock.counters.values.reduce(0, &+)))])
        } catch {
            return .json(["status": "unavailable", "origin": .string(node.identity.origin)], status: .serviceUnavailable)
        }
    }
}
