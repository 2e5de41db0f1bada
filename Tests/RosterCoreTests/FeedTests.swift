import RosterCore
import Testing

@Suite("Feeds: each resource once, in every blocker format")
struct FeedTests {
    static let basis = try! LegalBasis(authority: "MVD KZ", reference: "No. 1", decided: CalendarDate("2026-03-02"))

    static func entry(_ origin: String, _ seq: UInt64, _ kind: Resource.Kind, _ value: String, _ scope: Resource.Scope? = nil,
                      expires: String? = nil) throws -> Entry {
        var fields = EntryFields(category: .drugs, basis: basis)
        fields.expires = try expires.map { try CalendarDate($0) }
        return Entry(id: Dot(origin: origin, seq: seq), resource: try Resource(kind: kind, value: value, scope: scope), fields: fields)
    }

    /// Writes the entries, in value order as the store hands them to blocker formats.
    static func write(_ format: ExportFormat, _ entries: [Entry]) -> String {
        var feed = Feed(format: format, origin: "kz-mvd/main", agency: "kz-mvd", policy: .all, now: try! Timestamp("2026-06-01T00:00:00Z"))
        var text = ""
        for entry in entries.sorted(by: { ($0.resource.value, $0.id.origin) < ($1.resource.value, $1.id.origin) }) { text += feed.add(entry) }
        return text + feed.finish()
    }

    @Test("A quote with a combining mark after it is still a quote: CSV doubles it and STIX escapes it, so no field ends early")
    func quotesWithMarks() throws {
        var entry = try Self.entry("kz-mvd/main", 1, .domain, "mark.example")
        entry.fields.note = "x\"\u{0301}\r\ndomain,com,subdomains,drugs,Injected,No.666,2026-01-01,,,,,\"\u{0301}"
        let row = CSVExport.row(entry)
        let records = Array(CSVReader(Array((CSVExport.header + row).utf8)))
        #expect(records.count == 2 && records.last?.fields.count == CSVExport.columns.count, "one record, its note whole: \(records.map(\.fields))")
        #expect(records.last?.fields.contains(entry.fields.note ?? "") == true)

        let account = try Resource(kind: .account, value: "telegram:a'\u{0301}b")
        let pattern = Stix.pattern(account)
        #expect(Array(pattern.unicodeScalars).firstRange(of: Array("\\'\u{0301}".unicodeScalars)) != nil, "\(pattern.debugDescription)")
    }

    @Test("Two agencies listing one name give one record; a subdomains listing among them covers the names below")
    func merged() throws {
        let entries = [
            try Self.entry("kz-mvd/main", 1, .domain, "shop.example"),
            try Self.entry("uz-mvd/main", 1, .domain, "shop.example", .subdomains),
            try Self.entry("kz-mvd/main", 2, .domain, "exact.example"),
            try Self.entry("uz-mvd/main", 2, .domain, "exact.example"),
            try Self.entry("kz-mvd/main", 3, .domain, "old.example", expires: "2026-05-31"),
        ]
        #expect(Self.write(.rpz, entries) == "exact.example CNAME .\nshop.example CNAME .\n*.shop.example CNAME .\n")
        #expect(Self.write(.hosts, entries) == "0.0.0.0 exact.example\n0.0.0.0 shop.example\n")
        #expect(Self.write(.dnsmasq, entries) == "host-record=exact.example,0.0.0.0,::\naddress=/shop.example/\n")
        #expect(Self.write(.unbound, entries)
            == "local-data: \"exact.example. A 0.0.0.0\"\nlocal-data: \"exact.example. AAAA ::\"\nlocal-zone: \"shop.example.\" always_nxdomain\n")
        #expect(Self.write(.mastodon, entries).hasPrefix("exact.example,suspend,true,true,Listed by kz-mvd under MVD KZ No. 1 of 2026-03-02,false\r\n"))
        #expect(Self.write(.csv, entries).split(separator: "\r\n").count == 5, "entry formats keep every live entry, expired ones too, with their dates")
    }

    @Test("The SOA serial grows with operations and with days, and the tag changes with the clock, the day and the format")
    func serialAndTag() throws {
        let day = try CalendarDate("2026-06-01")
        let clock = VectorClock(["kz-mvd/main": 5])
        #expect(RPZExport.serial(of: clock, today: day) < RPZExport.serial(of: VectorClock(["kz-mvd/main": 6]), today: day))
        #expect(RPZExport.serial(of: clock, today: day) < RPZExport.serial(of: clock, today: CalendarDate(daysSinceEpoch: day.daysSinceEpoch + 1)))
        let now = try Timestamp("2026-06-01T10:00:00Z"), tomorrow = try Timestamp("2026-06-02T00:00:00Z")
        func tag(_ format: ExportFormat, _ clock: VectorClock, _ now: Timestamp) -> String {
            Feed(format: format, origin: "kz-mvd/main", agency: "kz-mvd", policy: .all, now: now).tag(clock: clock)
        }
        #expect(tag(.rpz, clock, now) == tag(.rpz, clock, try Timestamp("2026-06-01T23:59:59Z")))
        #expect(Set([tag(.rpz, clock, now), tag(.hosts, clock, now), tag(.rpz, VectorClock(["kz-mvd/main": 6]), now), tag(.rpz, clock, tomorrow)]).count == 4)
    }
}
