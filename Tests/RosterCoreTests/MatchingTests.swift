import RosterCore
import Testing

@Suite("check: what a listed resource matches")
struct MatchingTests {
    static let listed: [(Resource.Kind, String, Resource.Scope?)] = [
        (.domain, "shop.example", .subdomains), (.domain, "exact.example", .exact), (.domain, "a.b.example", .subdomains),
        (.url, "https://market.example/buy", nil), (.ip, "192.0.2.1", nil), (.cidr, "198.51.100.0/24", nil),
        (.cidr, "10.0.0.0/8", nil), (.cidr, "2001:db8::/32", nil), (.ip, "2001:db8:1::1", nil),
        (.onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", nil), (.account, "telegram:shop", nil),
    ]

    static let questions: [(String, [Int])] = [
        ("shop.example", [0]), ("x.y.shop.example", [0]), ("hop.example", []), ("exact.example", [1]),
        ("www.exact.example", []), ("b.example", []), ("z.a.b.example", [2]), ("https://market.example/buy", [3]),
        ("https://market.example/other", []), ("http://cdn.shop.example/x", [0]), ("192.0.2.1", [4]), ("192.0.2.2", []),
        ("198.51.100.77", [5]), ("198.51.100.0/25", [5]), ("10.200.3.4", [6]), ("http://10.1.1.1/x", [6]),
        ("2001:db8:1::1", [8, 7]), ("2001:db9::1", []), ("http://192.0.2.1/x", [4]), ("http://[2001:db8:1::1]:8080/x", [8, 7]),
        ("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", [9]), ("telegram:@Shop", [10]),
    ]

    @Test("The in-memory index and the candidates the SQL query reads give the same answers")
    func indexAgreesWithProbes() throws {
        var index = RosterIndex()
        var resources: [(Dot, Resource)] = []
        for (number, (kind, value, scope)) in Self.listed.enumerated() {
            let resource = try Resource(kind: kind, value: value, scope: scope)
            let id = Dot(origin: "kz-mvd/a", seq: UInt64(number + 1))
            index.insert(resource, id: id)
            resources.append((id, resource))
        }
        for (question, expected) in Self.questions {
            let resource = try Resource(inferring: question)
            let fromIndex = Set(index.check(resource))
            // What the database path does: read the candidates by value, let an index of them decide.
            let candidates = Set(resource.candidateValues)
            var narrowed = RosterIndex()
            for (id, listed) in resources where candidates.contains(listed.value) { narrowed.insert(listed, id: id) }
            let fromProbes = Set(narrowed.check(resource))
            let wanted = Set(expected.map { Dot(origin: "kz-mvd/a", seq: UInt64($0 + 1)) })
            #expect(fromIndex == wanted, "index: \(question)")
            #expect(fromProbes == wanted, "probes: \(question)")
        }
        index.remove(try Resource(kind: .cidr, value: "10.0.0.0/8"), id: Dot(origin: "kz-mvd/a", seq: 7))
        #expect(index.check(try Resource(inferring: "10.200.3.4")).isEmpty)
        #expect(index.count == Self.listed.count - 1)
    }

    @Test("RPZ owner names follow the rpz-ip convention")
    func rpzOwners() throws {
        let basis = try LegalBasis(authority: "A", reference: "B", decided: CalendarDate("2026-01-01"))
        func records(_ kind: Resource.Kind, _ value: String, _ scope: Resource.Scope? = nil) throws -> String {
            RPZExport.records(Entry(id: Dot(origin: "kz-mvd/a", seq: 1), resource: try Resource(kind: kind, value: value, scope: scope),
                                    fields: EntryFields(category: .drugs, basis: basis)))
        }
        #expect(try records(.domain, "shop.example", .subdomains) == "shop.example CNAME .\n*.shop.example CNAME .\n")
        #expect(try records(.ip, "192.0.2.1") == "32.1.2.0.192.rpz-ip CNAME .\n")
        #expect(try records(.cidr, "198.51.100.0/24") == "24.0.100.51.198.rpz-ip CNAME .\n")
        #expect(try records(.ip, "2001:db8::1") == "128.1.zz.db8.2001.rpz-ip CNAME .\n")
        #expect(try records(.cidr, "2001:db8::/32") == "32.zz.db8.2001.rpz-ip CNAME .\n")
        #expect(try records(.url, "https://x.example/") == "")
    }
}
