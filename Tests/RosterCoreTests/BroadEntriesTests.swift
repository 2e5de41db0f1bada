import Foundation
import RosterCore
import Testing

@Suite("Broad entries: public suffixes and wide networks need --broad, and the add carries it")
struct BroadEntriesTests {
    static let list = PublicSuffixList(text: """
        // ===BEGIN ICANN DOMAINS===
        com
        co.uk
        *.ck
        !www.ck
        公司.cn   trailing words are ignored
        // ===BEGIN PRIVATE DOMAINS===
        github.io
        """)

    @Test("The list's rules, wildcards, exceptions and Unicode rules", arguments: [
        ("co.uk", true), ("shop.co.uk", false), ("github.io", true), ("me.github.io", false),
        ("anything.ck", true), ("www.ck", false), ("a.anything.ck", false), ("xn--55qx5d.cn", true), ("example.com", false),
    ])
    func suffixes(name: String, isSuffix: Bool) {
        #expect(Self.list.isPublicSuffix(name) == isSuffix)
    }

    @Test("Debian's list, as the CLI loads it, knows the suffixes that matter")
    func systemList() throws {
        let text = try String(contentsOfFile: "/usr/share/publicsuffix/public_suffix_list.dat", encoding: .utf8)
        let list = PublicSuffixList(text: text)
        for name in ["co.uk", "com.kz", "github.io", "blogspot.com", "xn--p1ai"] { #expect(list.isPublicSuffix(name), "\(name)") }
        for name in ["shop.co.uk", "example.com.kz", "mvd.gov.kz"] { #expect(!list.isPublicSuffix(name), "\(name)") }
    }

    @Test("Networks wider than /16 (IPv4) or /32 (IPv6) are broad, narrower ones are not", arguments: [
        ("0.0.0.0/0", true), ("10.0.0.0/8", true), ("172.16.0.0/15", true), ("10.1.0.0/16", false), ("203.0.113.0/24", false),
        ("::/0", true), ("2001:db8::/31", true), ("2001:db8::/32", false), ("2001:db8:1::/48", false),
    ])
    func networks(network: String, isBroad: Bool) throws {
        let rules = BroadEntries(suffixes: Self.list, allowed: false)
        #expect((rules.reason(try Resource(kind: .cidr, value: network)) != nil) == isBroad)
    }

    @Test("Refused without --broad with the reason; with it the fields carry the flag, and only for broad resources")
    func flag() throws {
        let fields = EntryFields(category: .drugs, basis: try LegalBasis(authority: "A", reference: "R", decided: CalendarDate("2026-01-01")))
        let wide = try Resource(kind: .domain, value: "co.uk", scope: .subdomains)
        #expect(throws: RosterError(.broadEntry, "")) { try BroadEntries(suffixes: Self.list, allowed: false).fields(fields, for: wide) }
        #expect(try BroadEntries(suffixes: Self.list, allowed: true).fields(fields, for: wide).broad)
        #expect(try !BroadEntries(suffixes: Self.list, allowed: true).fields(fields, for: Resource(kind: .domain, value: "shop.co.uk")).broad)
    }

    @Test("The flag is signed: true when present, on adds only")
    func signedFlag() throws {
        let key = try ReplicaKey(rawRepresentation: [UInt8](repeating: 4, count: 32))
        let basis = try LegalBasis(authority: "A", reference: "R", decided: CalendarDate("2026-01-01"))
        let add = try SignedOperation.sign(Operation(
            origin: "kz-mvd/a", seq: 1, prev: nil, clock: VectorClock(), time: try Timestamp("2026-11-01T10:00:00Z"),
            payload: .add(resource: try Resource(kind: .cidr, value: "10.0.0.0/8"), fields: EntryFields(category: .drugs, basis: basis, broad: true))),
            with: key)
        #expect(add.text.contains("\"basis\":{\"authority\":\"A\",\"decided\":\"2026-01-01\",\"reference\":\"R\"},\"broad\":true,\"category\""))
        let parsed = try SignedOperation(parsing: add.bytes)
        try parsed.verify(with: key.publicKey)
        guard case .add(_, let fields) = parsed.operation.payload else { Issue.record("not an add"); return }
        #expect(fields.broad)
        #expect(throws: RosterError(.malformedOperation, "")) {
            try SignedOperation(parsing: Array(add.text.replacingOccurrences("\"broad\":true", "\"broad\":false").utf8))
        }
        let amend = try SignedOperation.sign(Operation(
            origin: "kz-mvd/a", seq: 2, prev: add.hash, clock: VectorClock(["kz-mvd/a": 1]), time: try Timestamp("2026-11-01T10:00:01Z"),
            payload: .amend(target: add.dot, changes: FieldChanges(note: .some("n")))), with: key)
        let flagged = amend.text.replacingOccurrences("\"clock\"", "\"broad\":true,\"clock\"")
        #expect(throws: RosterError(.malformedOperation, "")) { try SignedOperation(parsing: Array(flagged.utf8)) }
    }
}

@Suite("Other people's text on a terminal")
struct PrintableTextTests {
    @Test("Escape sequences and newlines are written out, not obeyed; text is cut")
    func printable() {
        #expect(Text.printable("x\nuz-iib: all synced OK\u{1B}[8m") == "x\\u{a}uz-iib: all synced OK\\u{1b}[8m")
        #expect(Text.printable("Суд «A»") == "Суд «A»")
        #expect(Text.printable(String(repeating: "a", count: 900)).count == 500)
    }
}
