import RosterCore
import Testing

@Suite("STIX: the patterns Roster writes and reads, and which version of an object counts")
struct StixTests {
    static func bundle(_ objects: String...) throws -> StixListings {
        try StixListings(bundle: JSONParser.parse("{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[\(objects.joined(separator: ","))]}"))
    }

    static func indicator(_ id: String, _ pattern: String, modified: String = "2026-01-01T00:00:00Z", revoked: Bool = false) -> String {
        let escaped = pattern.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"type\":\"indicator\",\"id\":\"\(id)\",\"modified\":\"\(modified)\",\"revoked\":\(revoked),\"pattern\":\"\(escaped)\",\"pattern_type\":\"stix\"}"
    }

    @Test("Every pattern Roster writes reads back as the same resource")
    func roundTrip() throws {
        let resources = [
            try Resource(kind: .domain, value: "shop.example", scope: .subdomains), try Resource(kind: .domain, value: "exact.example"),
            try Resource(kind: .url, value: "https://x.example/it's\\here"), try Resource(kind: .ip, value: "192.0.2.7"),
            try Resource(kind: .cidr, value: "2001:db8::/32"),
            try Resource(kind: .wallet, value: "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
            try Resource(kind: .wallet, value: "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            try Resource(kind: .wallet, value: "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ]
        let found = try Self.bundle(resources.enumerated().map { Self.indicator("indicator--\($0.offset)", Stix.pattern($0.element)) }.joined(separator: ","))
        #expect(found.ignored == 0)
        for (resource, listing) in zip(resources, found.listings) {
            #expect(listing.values["kind"] == resource.kind.rawValue && listing.values["value"] == resource.value)
            #expect((listing.values["scope"] == "subdomains") == (resource.scope == .subdomains))
        }
    }

    @Test("The newest version counts, by time not by text; a revoked newest version lists nothing; compound patterns are ignored")
    func versions() throws {
        let found = try Self.bundle(
            Self.indicator("indicator--a", "[domain-name:value = 'a.example']", modified: "2026-01-01T00:00:00Z"),
            Self.indicator("indicator--a", "[domain-name:value = 'a.example']", modified: "2026-01-01T00:00:00.5Z", revoked: true),
            Self.indicator("indicator--b", "[domain-name:value = 'b.example']", modified: "2026-01-01T00:00:00.5Z", revoked: true),
            Self.indicator("indicator--b", "[domain-name:value = 'b.example']", modified: "2026-01-01T00:00:01Z"),
            Self.indicator("indicator--c", "[domain-name:value = 'c.example' AND url:value = 'https://c.example/']"),
            Self.indicator("indicator--d", "[domain-name:value = 'd.example' OR domain-name:value LIKE '%.other.example']"))
        #expect(found.listings.map(\.object) == ["indicator--b"])
        #expect(found.ignored == 3)
        #expect(throws: RosterError.self) { try StixListings(bundle: JSONParser.parse("{\"type\":\"report\"}")) }
    }

    @Test("valid_until comes back as the entry's last day, and the jurisdiction and statute from the decision's description")
    func expiry() throws {
        let basis = try LegalBasis(authority: "MVD KZ", reference: "No. 1", decided: CalendarDate("2026-01-01"), statute: "Art. 296")
        let entry = Entry(id: Dot(origin: "kz-mvd/main", seq: 1), resource: try Resource(kind: .domain, value: "old.example"),
                          fields: EntryFields(category: .drugs, basis: basis, jurisdiction: "KZ", expires: try CalendarDate("2026-06-30")))
        let time = try Timestamp("2026-01-02T10:00:00Z")
        let indicator = Stix.indicator(entry, history: Stix.History(created: time, modified: time))
        let found = try StixListings(bundle: JSON.object(["type": "bundle", "objects": [indicator]]))
        let values = try #require(found.listings.first?.values)
        #expect(values["expires"] == "2026-06-30" && values["jurisdiction"] == "KZ" && values["statute"] == "Art. 296" && values["decided"] == "2026-01-01")
    }
}
