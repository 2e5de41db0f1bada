import Foundation
@testable import RosterStore
import GRDB
import RosterCore
import RosterTestSupport
import Testing

@Suite("Mirrors in the store: one change of the original reaches every copy, in the table, the digest, the check index and imports")
struct MirrorStoreTests {
    let fields = EntryFields(category: .drugs, basis: Simulation.basis, expires: try! CalendarDate("2027-06-01"))

    func makeNode(_ folder: TemporaryFolder) async throws -> Node {
        try await Node.create(at: folder.path("node"), identity: NodeIdentity(agency: "kz-mvd", replica: "astana-1"),
                              agency: .found(key: AgencyKey.random()), key: .random())
    }

    func mirror(_ value: String, of original: Dot, note: String? = nil) throws -> RosterCore.Operation.Payload {
        .mirror(resource: try Resource(kind: .domain, value: value), fields: MirrorFields(original: original, note: note))
    }

    @Test("Amending and revoking the original rewrites its mirrors; the kept digest, the check index and audit follow")
    func originalChangesReachMirrors() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let replica = node.replica
        let shop = try await node.store.add(.add(resource: Resource(kind: .domain, value: "shop.example"), fields: fields), by: replica).dot
        let copies = try await (1...3).asyncMap { try await node.store.add(try mirror("shop\($0).example", of: shop, note: "copy \($0)"), by: replica).dot }
        let live = LiveRoster(store: node.store)
        try await live.load()
        let today = try CalendarDate("2026-06-01")
        _ = try await node.store.digest()   // kept, so that what follows is rehashed from it

        let copy = try #require(try await node.store.entry(copies[0])).entry
        #expect(copy.mirrorOf == shop && copy.fields.basis == Simulation.basis && copy.fields.note == "copy 1")
        #expect(copy.fields.expires == fields.expires && copy.fields.category == .drugs)

        // The decision is amended once, for every copy.
        let basis = try LegalBasis(authority: "Court", reference: "R-2", decided: CalendarDate("2026-02-01"))
        _ = try await node.store.amend(shop, by: replica) { _ in FieldChanges(basis: basis) }
        for id in copies { #expect(try await node.store.entry(id)?.entry.fields.basis == basis) }
        #expect(try await node.store.digest().digest == (try node.store.blockingRead { try $0.computedDigest() }))

        // An amend of a mirror's decision, signed by a replica that did not ask the CLI, changes nothing of it.
        _ = try await node.store.write { try $0.append(.amend(target: copies[1], changes: FieldChanges(category: .nps, note: .some("own"))), by: replica) }
        let amended = try #require(try await node.store.entry(copies[1])).entry
        #expect(amended.fields.category == .drugs && amended.fields.note == "own")

        // One revoke of the original lifts all of them, in the check index too.
        try await live.catchUp()
        #expect(try await live.check(Resource(kind: .domain, value: "shop2.example"), today: today).map(\.id) == [copies[1]])
        let revoke = try await node.store.revoke(shop, reason: "court lifted the decision", by: replica)
        for id in copies { #expect(try await node.store.entry(id)?.entry.revocation?.dot == revoke.dot) }
        try await live.catchUp()
        for value in ["shop.example", "shop1.example", "shop2.example", "shop3.example"] {
            #expect(try await live.check(Resource(kind: .domain, value: value), today: today, freshness: .seconds(3600)).isEmpty, "\(value)")
            #expect(try await node.store.check(Resource(kind: .domain, value: value), today: today).isEmpty, "\(value)")
        }
        #expect(try await node.store.digest().digest == (try node.store.blockingRead { try $0.computedDigest() }))
        let report = try await Auditor.audit(node.store)
        #expect(report.findings.isEmpty, "\(report.findings)")

        // Nothing more may copy it, nor a copy.
        await #expect(throws: RosterError(.revokedEntry, "")) { try await node.store.add(try mirror("shop9.example", of: shop), by: replica) }
        let fresh = try await node.store.add(.add(resource: Resource(kind: .domain, value: "other.example"), fields: fields), by: replica).dot
        let copyOfFresh = try await node.store.add(try mirror("other2.example", of: fresh), by: replica).dot
        await #expect(throws: RosterError(.invalidField, "")) { try await node.store.add(try mirror("other3.example", of: copyOfFresh), by: replica) }
        await #expect(throws: RosterError(.unknownEntry, "")) { try await node.store.add(try mirror("other4.example", of: revoke.dot), by: replica) }
    }

    @Test("TAXII's pages of what was added: a revoke of an original with many mirrors is handed out a page at a time, each copy once, never more than the limit read")
    func addedPages() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let shop = try await node.store.add(.add(resource: Resource(kind: .domain, value: "shop.example"), fields: fields), by: node.replica).dot
        let copies = try await (1...50).asyncMap { try await node.store.add(try mirror("shop\($0).example", of: shop), by: node.replica).dot }
        let size = try await node.store.logHead().size
        _ = try await node.store.revoke(shop, reason: "lifted", by: node.replica)
        var seen: [Dot] = []
        var next: (leaf: Int64, part: Int)? = (size, 0)
        var pages = 0
        while let cursor = next, pages < 40 {
            let page = try await node.store.added(after: nil, from: cursor.leaf, skipping: cursor.part, limit: 7, policy: .all, agency: "kz-mvd")
            #expect(page.items.count <= 7)
            #expect(page.items.allSatisfy { $0.entry.revocation != nil })
            seen += page.items.map(\.entry.id)
            next = page.next
            pages += 1
        }
        #expect(seen == [shop] + copies, "each once, in order")
        #expect(pages == 8)
    }

    @Test("A CSV import lists mirrors by a mirror_of column, under their originals' decisions; a bad one adds nothing")
    func importMirrors() async throws {
        let folder = try TemporaryFolder()
        let node = try await makeNode(folder)
        let shop = try await node.store.add(.add(resource: Resource(kind: .domain, value: "shop.example"), fields: fields), by: node.replica).dot
        let defaults = ImportDefaults(["category": "nps", "authority": "MVD", "reference": "No. 5", "decided": "2026-05-01"])
        // A mirror's row may state its original's decision, as a CSV export does.
        let csv = "value,mirror_of,note,reference\nnew.example,,,\nshop2.example,\(shop),same logo,\nshop3.example,\(shop),,R-1\n"
        let summary = try await Importer.add(try Importer.csvRows(Array(csv.utf8), defaults: defaults), to: node)
        #expect(summary.added == 3)
        var mirrors = try await node.store.mirrors(of: shop).mirrors
        #expect(mirrors.map(\.resource.value) == ["shop2.example", "shop3.example"])
        // The command line's decision is for the other rows; the mirrors take the original's.
        #expect(mirrors.allSatisfy { $0.fields.basis == Simulation.basis && $0.fields.category == .drugs })
        #expect(mirrors.first?.fields.note == "same logo")

        // A decision in a mirror's row, a mirror of a mirror or of an unknown id: refused with the line, nothing added.
        let before = try await node.store.clock()
        for (row, line) in [("x1.example,\(shop),nps", "line 2: category \"nps\" is not the decision of"), ("ok.example,,drugs\nx2.example,\(mirrors[0].id),", "line 3"),
                            ("x3.example,kz-mvd/astana-1:99,", "line 2")] {
            let bad = "value,mirror_of,category\n\(row)\n"
            await #expect {
                try await Importer.add(try Importer.csvRows(Array(bad.utf8), defaults: defaults), to: node)
            } throws: { error in
                (error as? RosterError)?.reason.hasPrefix(line) == true
            }
        }
        #expect(try await node.store.clock() == before)
        mirrors = try await node.store.mirrors(of: shop).mirrors
        #expect(mirrors.count == 2)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
