import Hummingbird
import RosterCore
import RosterStore

/// `GET /v1/check`: public, answered from the in-memory index (`LiveRoster`), which
/// follows the database within half a second.
struct CheckController {
    let live: LiveRoster
    let agency: String
    let policy: BroadPolicy
    let clock: WallClock

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/v1/check") { request, _ in try await check(request) }
    }

    func check(_ request: Request) async throws -> Response {
        guard let text = request.uri.queryParameters.get("resource") else {
            throw HTTPError(.badRequest, message: "give ?resource=NAME")
        }
        let resource = try Resource(inferring: text)
        let today = CalendarDate(clock.now())
        let entries = try await live.check(resource, today: today).filter { policy.enforces($0, agency: agency) }
        return .json(["resource": resource.json, "listed": .bool(!entries.isEmpty), "entries": .array(entries.map(\.json))])
    }
}
