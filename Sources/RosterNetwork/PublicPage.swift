import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RosterCore
import RosterStore

/// The roster for people, at `/` of a serving node: search, counts, revocations,
/// and each entry with its legal basis, signed history and agency key. Read-only,
/// server-rendered, no JavaScript (`PageTemplates`). Public.
struct PublicPage {
    let node: Node
    let live: LiveRoster
    let policy: BroadPolicy
    let clock: WallClock
    /// Counted again when the roster changed and a minute has passed: a syncing node changes all the time.
    let summaries: KeptAnswer<RosterSummary>

    /// A search shows at most this many entries.
    static let results = 50
    static let maximumQuery = 2048

    init(node: Node, live: LiveRoster, policy: BroadPolicy, clock: WallClock) {
        (self.node, self.live, self.policy, self.clock) = (node, live, policy, clock)
        summaries = KeptAnswer(maximumAge: .seconds(60)) { [store = node.store] in try await store.summary() }
    }

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/") { request, _ in try await home(request) }
        router.get("/entries/:agency/:replica/:seq") { _, context in
            try await entry(agency: context.parameters.get("agency") ?? "", replica: context.parameters.get("replica") ?? "",
                            seq: context.parameters.get("seq") ?? "")
        }
    }

    func home(_ request: Request) async throws -> Response {
        let summary = try await summaries.value(version: node.store.clock())
        var page: [String: Any] = [
            "title": "Search", "origin": node.identity.origin,
            "live": summary.agencies.reduce(0) { $0 + $1.live }, "revoked": summary.agencies.reduce(0) { $0 + $1.revoked },
            "agencies": summary.agencies.map(Self.tally), "categories": summary.categories.map(Self.tally),
            "authorities": summary.authorities.map(Self.tally),
            "revocations": summary.revocations.map(Self.row), "hasRevocations": !summary.revocations.isEmpty,
        ]
        if let query = request.uri.queryParameters.get("q")?.trimmingCharacters(in: .whitespacesAndNewlines), !query.isEmpty {
            page["searched"] = true
            page["query"] = String(query.prefix(Self.maximumQuery))
            page["title"] = "Search: \(query.prefix(80))"
            var prefix = query.lowercased()
            var listing: [Entry] = []
            if query.count > Self.maximumQuery {
                page["problem"] = "A search is at most \(Self.maximumQuery) characters."
                prefix = ""
            } else if let resource = try? Resource(inferring: query) {
                prefix = resource.value
                listing = try await live.check(resource, today: CalendarDate(clock.now())).filter { policy.enforces($0, agency: node.identity.agency) }
                page["listed"] = !listing.isEmpty
                page["verdict"] = listing.isEmpty ? "\(resource.value) is not listed."
                    : "\(resource.value) is listed by \(listing.map { "\($0.resource.value) (\($0.agency))" }.joined(separator: ", "))."
            }
            // The entries that list it (a parent domain's, a network's), then those that begin with it.
            let listed = Set(listing.map(\.id))
            let results = try await listing + node.store.entries(beginningWith: prefix, limit: Self.results).filter { !listed.contains($0.id) }
            page["results"] = results.map(Self.row)
            page["hasResults"] = !results.isEmpty
        }
        return Self.html(PageTemplates.library.render(page, withTemplate: "home"))
    }

    func entry(agency: String, replica: String, seq: String) async throws -> Response {
        guard let dot = try? Dot("\(agency)/\(replica):\(seq)"), let (entry, history) = try await node.store.entry(dot) else {
            return Self.html(PageTemplates.library.render([
                "title": "Not found", "origin": node.identity.origin,
                "message": "This node holds no entry \(agency.prefix(64))/\(replica.prefix(64)):\(seq.prefix(20)).",
            ], withTemplate: "missing"), status: .notFound)
        }
        let keys = try await node.store.keys()
        let trust = try await node.store.trust()
        var details = Self.row(entry)
        details["statute"] = entry.fields.basis.statute
        details["jurisdiction"] = entry.fields.jurisdiction
        details["expires"] = entry.fields.expires.map { "\($0)" }
        details["evidence"] = entry.fields.evidence
        details["note"] = entry.fields.note
        details["id"] = entry.id.description
        details["revokedBy"] = entry.revocation?.dot.description
        if let original = entry.mirrorOf {
            details["original"] = ["id": original.description, "link": "/entries/\(original.origin)/\(original.seq)"]
        }
        // An original's copies, the first hundred: a shop may come back many times.
        let copies = entry.mirrorOf == nil ? try await node.store.mirrors(of: dot, limit: 100) : nil
        let operations: [[String: Any]] = history.map { signed in
            let operation = signed.operation
            var members = operation.json.object ?? [:]
            members["sig"] = .string(Base64.encode(signed.signature))
            return [
                "dot": operation.dot.description, "type": operation.type, "time": operation.time.text, "signer": operation.origin,
                "key": keys[operation.origin]?.fingerprint ?? "unknown", "hash": signed.hashHex,
                "json": CanonicalJSON.string(.object(members)),
            ]
        }
        return Self.html(PageTemplates.library.render([
            "title": entry.resource.value, "origin": node.identity.origin, "entry": details, "agency": entry.agency,
            "root": trust.agencies[entry.agency]?.root ?? "not known to this node", "distrusted": trust.agencies[entry.agency]?.distrusted ?? false,
            "history": operations, "mirrors": (copies?.mirrors ?? []).map(Self.row), "hasMirrors": (copies?.count ?? 0) > 0,
            "mirrorCount": copies?.count ?? 0, "moreMirrors": (copies?.count ?? 0) > (copies?.mirrors.count ?? 0),
        ], withTemplate: "entry"))
    }

    static func row(_ entry: Entry) -> [String: Any] {
        [
            "value": entry.resource.kind == .wallet ? WalletAddress.display(entry.resource.value) : entry.resource.value,
            "kind": entry.resource.kind.rawValue, "subdomains": entry.resource.scope == .subdomains,
            "category": entry.fields.category.rawValue, "agency": entry.agency, "authority": entry.fields.basis.authority,
            "reference": entry.fields.basis.reference, "decided": "\(entry.fields.basis.decided)",
            "link": "/entries/\(entry.id.origin)/\(entry.id.seq)", "revoked": entry.revocation != nil,
            "reason": entry.revocation?.reason ?? "", "revokedTime": entry.revocation?.time.text ?? "",
        ]
    }

    static func tally(_ tally: RosterSummary.Tally) -> [String: Any] {
        ["name": tally.name, "live": tally.live, "revoked": tally.revoked]
    }

    /// No script may run and no other site may frame the page: entries are other agencies' text.
    static func html(_ text: String?, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: text == nil ? .internalServerError : status, headers: [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "no-referrer", .cacheControl: "no-cache",
        ], body: .init(byteBuffer: ByteBuffer(string: text ?? "the page's template did not render")))
    }
}
