import Foundation
import Testing

/// A shop that comes back under other names, listed under the decision that
/// covered it, and lifted with it everywhere.
@Suite("Mirrors: listed under the original's decision, lifted with it on every node", .serialized)
struct MirrorCLITests {
    static let basis = ["--category", "drugs", "--authority", "MVD KZ", "--reference", "No. 118", "--decided", "2026-03-02"]
    static let copies = [["domain", "shop-mirror.example"], ["onion", "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"],
                         ["account", "telegram:@shop_bot"]]

    /// kz-mvd lists a shop and three copies of it; uz-iib syncs with kz-mvd.
    func twoNodes(_ folder: TemporaryFolder) throws -> (kz: FederatedNode, uz: FederatedNode, copies: [String]) {
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        let uz = try FederatedNode(folder: folder, agency: "uz-iib")
        #expect(try kz.roster.run(["add", "domain", "shop.example"] + Self.basis).stdout == "kz-mvd/main:1\n")
        var ids: [String] = []
        for copy in Self.copies {
            let added = try kz.roster.run(["add"] + copy + ["--mirror-of", "kz-mvd/main:1", "--note", "same shop, new name"])
            #expect(added.status == 0, "\(copy): \(added.stderr)")
            ids.append(added.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try kz.descriptor(to: folder.path("kz.json"))
        try uz.descriptor(to: folder.path("uz.json"))
        #expect(try kz.roster.addPeers(folder.path("uz.json").path).status == 0)
        #expect(try uz.roster.addPeers(folder.path("kz.json").path).status == 0)
        return (kz, uz, ids)
    }

    @Test("A lists a shop and three mirrors; B syncs; A revokes the original; after one round B answers not listed for all four")
    func liftedEverywhere() throws {
        let folder = try TemporaryFolder()
        let (kz, uz, copies) = try twoNodes(folder)
        let values = ["shop.example"] + Self.copies.map { $0[1] }
        #expect(try uz.roster.run(["sync"]).status == 0)
        for value in values {
            let checked = try uz.roster.run(["check", value])
            #expect(checked.status == 0 && checked.stdout.contains("No. 118"), "\(value) on uz: \(checked.stdout)\(checked.stderr)")
        }
        // Each copy names its original, and stands on its decision.
        let shown = try uz.roster.run(["show", copies[0]]).stdout
        #expect(shown.contains("mirror of:    kz-mvd/main:1") && shown.contains("reference:    No. 118") && shown.contains("note:         same shop, new name"), "\(shown)")
        let listed = try uz.roster.run(["mirrors", "kz-mvd/main:1"]).stdout
        #expect(copies.allSatisfy(listed.contains), "\(listed)")

        // The decision is amended once, on kz, for every copy; then the original is revoked.
        #expect(try kz.roster.run(["amend", "kz-mvd/main:1", "--reference", "No. 118/2"]).status == 0)
        #expect(try kz.roster.run(["revoke", "kz-mvd/main:1", "--reason", "decision No. 118 overturned on appeal"]).status == 0)
        #expect(try uz.roster.run(["sync"]).status == 0)
        for value in values {
            let checked = try uz.roster.run(["check", value])
            #expect(checked.status == 1 && checked.stdout.contains("not listed"), "\(value) on uz after one round: \(checked.stdout)")
        }
        let lifted = try uz.roster.run(["show", copies[1]]).stdout
        #expect(lifted.contains("reference:    No. 118/2") && lifted.contains("lifted:       with its original kz-mvd/main:1"), "\(lifted)")
        #expect(try uz.status().digest == (try kz.status().digest))
        for node in [kz, uz] {
            let audit = try node.roster.run(["audit"])
            #expect(audit.status == 0 && audit.stdout.contains("no findings"), "\(node.name): \(audit.stdout)")
        }
    }

    @Test("Exports name the original: JSON and CSV by mirror_of, STIX by a derived-from relationship (valid), TAXII and the public page too")
    func exported() throws {
        let folder = try TemporaryFolder()
        let (kz, _, copies) = try twoNodes(folder)
        try kz.start()
        let json = folder.path("entries.json")
        try ConsumerTests.fetch("/v1/export/json", from: kz).body.write(to: json, atomically: true, encoding: .utf8)
        let validated = try RosterProcess.validate(json, schema: "export.schema.json")
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        #expect(try String(contentsOf: json, encoding: .utf8).components(separatedBy: "\"mirror_of\":\"kz-mvd/main:1\"").count == 4)
        let csv = try ConsumerTests.fetch("/v1/export/csv", from: kz).body
        #expect(csv.hasPrefix("kind,value,scope,category,authority,reference,decided,statute,jurisdiction,expires,evidence,note,mirror_of,id\r\n"))
        #expect(csv.contains("domain,shop-mirror.example,exact,drugs,MVD KZ,No. 118,2026-03-02,,,,,\"same shop, new name\",kz-mvd/main:1,kz-mvd/main:2\r\n"), "\(csv)")
        // Another node reads the export back with its copies: mirror_of names the export's row, not an id of its own.
        let export = folder.path("entries.csv")
        try csv.write(to: export, atomically: true, encoding: .utf8)
        let other = try FederatedNode(folder: folder, agency: "tj-akn")
        let imported = try other.roster.run(["import", export.path, "--format", "csv"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let copiesThere = try other.roster.run(["mirrors", "tj-akn/main:1"]).stdout
        #expect(copiesThere.contains("shop.example") && copiesThere.components(separatedBy: "mirror of tj-akn/main:1").count == 4, "\(copiesThere)")

        let stix = try ConsumerTests.fetch("/v1/export/stix", from: kz).body
        let bundle = folder.path("bundle.json")
        try stix.write(to: bundle, atomically: true, encoding: .utf8)
        let checked = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["stix2_validator", bundle.path])
        #expect(checked.status == 0 && checked.stdout.contains("STIX JSON: Valid"), "\(checked.stdout)\(checked.stderr)")
        let relationships = try Self.relationships(in: bundle)
        #expect(relationships.count == 3 && relationships.allSatisfy { $0.type == "derived-from" && $0.target == relationships[0].target })
        #expect(relationships.allSatisfy { $0.source != $0.target })

        // TAXII hands the copies out again with the revoke of the original, so that a consumer drops them too.
        let collection = try #require(ConsumerTests.fetch("/taxii2/roster/collections/", from: kz).body.firstMatch(of: /"id":"([0-9a-f-]{36})"/)).1
        let objects = "/taxii2/roster/collections/\(collection)/objects/"
        let first = try ConsumerTests.fetch(objects, from: kz, headers: ["Accept: application/taxii+json;version=2.1"])
        let last = try #require(first.headers.firstMatch(of: /(?i)x-taxii-date-added-last: ([^\r\n]+)/)).1
        #expect(try kz.roster.run(["revoke", "kz-mvd/main:1", "--reason", "overturned"]).status == 0)
        var next: String? = nil
        var revoked = 0
        var pages = 0
        repeat {
            // Two objects a page: the revoked original and its copies come over several pages, each once.
            let query = next.map { "?limit=2&next=\($0)" } ?? "?limit=2&added_after=\(last)"
            let page = try ConsumerTests.fetch(objects + query, from: kz, headers: ["Accept: application/taxii+json;version=2.1"])
            #expect(page.status == 200, "\(page.body)")
            revoked += page.body.components(separatedBy: "\"type\":\"indicator\"").count - 1
            #expect(!page.body.contains("\"revoked\":false"), "\(page.body)")
            next = page.body.firstMatch(of: /"next":"([0-9.]+)"/).map { String($0.1) }
            pages += 1
        } while next != nil && pages < 20
        #expect(revoked == 4 && pages >= 3, "\(revoked) revoked indicators in \(pages) pages")

        // The public page names the original, and the original lists its copies.
        let page = try ConsumerTests.fetch("/entries/kz-mvd/main/2", from: kz).body
        #expect(page.contains("A mirror of entry <a href=\"/entries/kz-mvd/main/1\"><code>kz-mvd/main:1</code></a>"), "\(page)")
        let original = try ConsumerTests.fetch("/entries/kz-mvd/main/1", from: kz).body
        #expect(original.contains("3 copies of this resource") && original.contains("shop-mirror.example"), "\(original)")
        _ = copies
    }

    @Test("A mirror of another agency's entry, of a mirror, of a revoked or unknown entry, or with a decision of its own: one line, nothing written")
    func refused() throws {
        let folder = try TemporaryFolder()
        let (kz, uz, copies) = try twoNodes(folder)
        #expect(try uz.roster.run(["sync"]).status == 0)
        #expect(try kz.roster.run(["add", "domain", "gone.example"] + Self.basis).stdout == "kz-mvd/main:5\n")
        #expect(try kz.roster.run(["revoke", "kz-mvd/main:5", "--reason", "lifted"]).status == 0)
        let cases: [(FederatedNode, [String], String)] = [
            (uz, ["--mirror-of", "kz-mvd/main:1"], "belongs to kz-mvd: a mirror copies an entry of this agency's (uz-iib)"),
            (kz, ["--mirror-of", copies[0]], "is itself a mirror of kz-mvd/main:1: name the original, --mirror-of kz-mvd/main:1"),
            (kz, ["--mirror-of", "kz-mvd/main:5"], "is revoked, so a mirror of it would be lifted at once"),
            (kz, ["--mirror-of", "kz-mvd/main:99"], "no entry kz-mvd/main:99 to mirror"),
            (kz, ["--mirror-of", "shop.example"], "is not an entry id like kz-mvd/astana-1:42"),
            (kz, ["--mirror-of", "kz-mvd/main:1", "--reference", "No. 7"], "a mirror is listed under its original's decision: leave out --reference"),
        ]
        for (node, options, reason) in cases {
            let before = try node.status()
            let added = try node.roster.run(["add", "domain", "copy.example"] + options)
            #expect(added.status == 2 && added.stderr.contains(reason) && added.stderr.split(separator: "\n").count == 1, "\(options): \(added.stderr)")
            #expect(try node.status() == before, "nothing written for \(options)")
        }
        let itself = try kz.roster.run(["add", "domain", "shop.example", "--mirror-of", "kz-mvd/main:1"])
        #expect(itself.status == 2 && itself.stderr.contains("is what entry kz-mvd/main:1 itself lists"), "\(itself.stderr)")
        let amended = try kz.roster.run(["amend", copies[0], "--category", "nps"])
        #expect(amended.status == 2 && amended.stderr.contains("amend category there (roster amend kz-mvd/main:1)"), "\(amended.stderr)")
        #expect(try kz.roster.run(["amend", copies[0], "--note", "now with a new logo"]).status == 0, "a mirror's own note may change")
        let notOriginal = try kz.roster.run(["mirrors", copies[0]])
        #expect(notOriginal.status == 2 && notOriginal.stderr.contains("roster mirrors kz-mvd/main:1 lists its copies"), "\(notOriginal.stderr)")
    }

    @Test("A CSV export read back elsewhere keeps each mirror on its own original, however the ids fall; a mirror_of the file does not hold is refused")
    func csvRoundTrip() throws {
        let folder = try TemporaryFolder()
        let kz = try FederatedNode(folder: folder, agency: "kz-mvd")
        for value in ["p.example", "q.example", "r.example", "s.example"] {
            #expect(try kz.roster.run(["add", "domain", value] + Self.basis).status == 0)
        }
        #expect(try kz.roster.run(["add", "domain", "copy-of-r.example", "--mirror-of", "kz-mvd/main:3"]).status == 0)
        #expect(try kz.roster.run(["revoke", "kz-mvd/main:1", "--reason", "lifted"]).status == 0)
        let export = folder.path("kz.csv")
        #expect(try kz.roster.run(["export", "--format", "csv", "-o", export.path]).status == 0)
        // On another node the ids shift (p is not exported): the copy follows r, not what sits at :3 there.
        let other = try FederatedNode(folder: folder, agency: "tj-akn")
        #expect(try other.roster.run(["import", export.path, "--format", "csv"]).status == 0)
        let shown = try other.roster.run(["list"]).stdout
        let r = try #require(shown.split(separator: "\n").first { $0.contains("\tdomain r.example\t") }?.split(separator: "\t").first)
        #expect(shown.contains("domain copy-of-r.example") && shown.contains("mirror of \(r)"), "\(shown)")
        // A row naming an id no row of the file has is refused, with its line; nothing is written.
        let csv = try String(contentsOf: export, encoding: .utf8).replacingOccurrences(of: ",kz-mvd/main:3,", with: ",kz-mvd/main:9,")
        try csv.write(to: export, atomically: true, encoding: .utf8)
        let third = try FederatedNode(folder: folder, agency: "uz-iib")
        let before = try third.status()
        let refused = try third.roster.run(["import", export.path, "--format", "csv"])
        #expect(refused.status == 2 && refused.stderr.contains("line 5: mirror_of kz-mvd/main:9 names no earlier row of this file"), "\(refused.stderr)")
        #expect(try third.status() == before)
    }

    /// The `derived-from` relationships of a STIX bundle, as Python's json reads them.
    static func relationships(in bundle: URL) throws -> [(type: String, source: String, target: String)] {
        let script = """
            import json, sys
            for o in json.load(open(sys.argv[1]))["objects"]:
                if o["type"] == "relationship":
                    print(o["relationship_type"], o["source_ref"], o["target_ref"])
            """
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, bundle.path])
        return result.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " ").map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "", parts.count > 2 ? parts[2] : "")
        }
    }
}
