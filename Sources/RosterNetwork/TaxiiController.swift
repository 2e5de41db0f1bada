import HTTPTypes
import Hummingbird
import NIOCore
import RosterCore
import RosterStore

/// A TAXII 2.1 read-only server (OASIS) over the node's STIX (`Stix`), for intel
/// platforms that poll a feed: discovery at `/taxii2/`, one API root, one collection
/// of the roster's indicators. Objects come in the order this node added them to its
/// log, each entry as it stands now; `added_after` and `next` page through them. Public.
struct TaxiiController {
    let node: Node
    let policy: BroadPolicy

    static let mediaType = "application/taxii+json;version=2.1"
    static let root = "/taxii2/roster/"
    /// The collection's id: the same on every node.
    static let collection = String(Stix.id("collection", "roster").dropFirst("collection--".count))
    static let defaultLimit = 100
    static let maximumLimit = 1000

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/taxii2") { request, _ in discovery(request) }
        router.get(RouterPath(Self.root)) { _, _ in
            Self.answer(["title": .string("Roster of \(node.identity.origin)"), "versions": [.string(Self.mediaType)], "max_content_length": 0])
        }
        router.get(RouterPath(Self.root + "collections")) { _, _ in Self.answer(["collections": [collection]]) }
        router.get(RouterPath(Self.root + "collections/:id")) { _, context in
            try Self.check(context)
            return Self.answer(collection)
        }
        router.get(RouterPath(Self.root + "collections/:id/objects")) { request, context in
            try Self.check(context)
            return try await objects(request)
        }
    }

    func discovery(_ request: Request) -> Response {
        let host = request.head.authority ?? "localhost"
        return Self.answer([
            "title": .string("Roster node \(node.identity.origin)"),
            "description": "The roster of internet resources that national agencies registered as illegal, as STIX 2.1 indicators.",
            "default": .string("https://\(host)\(Self.root)"), "api_roots": [.string("https://\(host)\(Self.root)")],
        ])
    }

    var collection: JSON {
        [
            "id": .string(Self.collection), "title": "Roster",
            "description": .string("Every entry this node holds, live and revoked, with its legal basis, from \(node.identity.origin)."),
            "can_read": true, "can_write": false, "media_types": ["application/stix+json;version=2.1"],
        ]
    }

    static func check(_ context: PeerRequestContext) throws {
        guard context.parameters.get("id") == collection else {
            throw HTTPError(.notFound, message: "no such collection: this node has one, \(collection)")
        }
    }

    func objects(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var after: Int64?
        if let text = query.get("added_after") {
            guard let time = try? Timestamp(text) else {
                throw HTTPError(.badRequest, message: "added_after takes an RFC 3339 time like 2026-12-01T00:00:00.000Z")
            }
            after = time.seconds &* 1000 &+ Int64(time.nanoseconds / 1_000_000)
        }
        var limit = Self.defaultLimit
        if let text = query.get("limit") {
            guard let number = Int(text), (1...Self.maximumLimit).contains(number) else {
                throw HTTPError(.badRequest, message: "limit takes a number from 1 to \(Self.maximumLimit)")
            }
            limit = number
        }
        var next: Int64?
        var skip = 0
        if let text = query.get("next") {
            // LEAF, or LEAF.PART where a page ended among the entries one leaf touched.
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            func digits(_ part: Substring, _ most: Int) -> Bool { (1...most).contains(part.utf8.count) && part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
            guard parts.count <= 2, digits(parts[0], 18), parts.count == 1 || digits(parts[1], 9),
                let number = Int64(parts[0]), let part = parts.count == 2 ? Int(parts[1]) : 0
            else { throw HTTPError(.badRequest, message: "next takes the value a page gave") }
            next = number
            skip = part
        }
        let page = try await node.store.added(after: after, from: next, skipping: skip, limit: limit, policy: policy, agency: node.identity.agency)
        // Each agency's identity comes before its first indicator in a page, within the limit.
        var objects: [JSON] = []
        var agencies: Set<String> = []
        var included: [AddedPage.Item] = []
        var resume = page.next.map { $0.part == 0 ? String($0.leaf) : "\($0.leaf).\($0.part)" }
        for item in page.items {
            let identity = !agencies.contains(item.entry.agency)
            // A mirror's indicator comes with its relationship to the original.
            let relationship = Stix.relationship(of: item.entry, history: item.history)
            let needed = relationship == nil ? 1 : 2
            if objects.count + needed > limit && !objects.isEmpty {
                resume = item.part == 0 ? String(item.leaf) : "\(item.leaf).\(item.part)"
                break
            }
            if identity && objects.count + needed + 1 <= limit {
                agencies.insert(item.entry.agency)
                objects.append(Stix.identity(of: item.entry.agency))
            }
            objects.append(Stix.indicator(item.entry, history: item.history))
            // Only a limit of 1 leaves no room for it: the indicator names its original too.
            if let relationship, objects.count < limit { objects.append(relationship) }
            included.append(item)
        }
        var envelope: [String: JSON] = ["more": .bool(resume != nil)]
        if !objects.isEmpty { envelope["objects"] = .array(objects) }
        if let resume { envelope["next"] = .string(resume) }
        var response = Self.answer(.object(envelope))
        let added = included.map(\.added)
        if let first = added.min(), let last = added.max() {
            response.headers[Self.addedFirst] = Stix.time(milliseconds: first)
            response.headers[Self.addedLast] = Stix.time(milliseconds: last)
        }
        return response
    }

    // Valid field names, checked once.
    static let addedFirst = HTTPField.Name("X-TAXII-Date-Added-First")!
    static let addedLast = HTTPField.Name("X-TAXII-Date-Added-Last")!

    static func answer(_ value: JSON) -> Response {
        var response = Response.json(value)
        response.headers[.contentType] = mediaType
        return response
    }
}
