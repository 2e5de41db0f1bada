import Foundation
import RosterCore
import Testing

/// The public page of a serving node, read in a real browser (headless Chromium,
/// JavaScript off, through selenium) and attacked with markup in entries.
@Suite("Public page: search, counts, revocations and entries in headless Chromium", .serialized)
struct PublicPageTests {
    /// The base64 SHA-256 of the node's public key (SubjectPublicKeyInfo), which
    /// Chromium is told to trust, and nothing else.
    static func spki(_ node: FederatedNode) throws -> String {
        let certificate = node.roster.data.appendingPathComponent("tls.crt").path
        let result = try RosterProcess.execute(URL(fileURLWithPath: "/bin/sh"), ["-c",
            "openssl x509 -in '\(certificate)' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("A reader searches a name below a listed shop, opens the entry, and sees its legal basis, signed history and agency key")
    func browse() throws {
        let folder = try TemporaryFolder()
        let node = try ConsumerTests.listingNode(folder)
        // ROSTER_SCREENSHOTS=docs/screenshots keeps the pictures the README shows.
        let shots = ProcessInfo.processInfo.environment["ROSTER_SCREENSHOTS"].map { URL(fileURLWithPath: $0) } ?? folder.path("shots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let script = RosterProcess.repository.appendingPathComponent("Tests/RosterCLITests/browse_page.py").path
        let browsed = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", script, "https://localhost:\(node.port)", try Self.spki(node), "www.shop.example", shots.path,
        ])
        #expect(browsed.status == 0, "\(browsed.stderr.suffix(3000))")
        let seen = try JSONParser.parse(Array(browsed.stdout.utf8))
        func text(_ key: String) -> String { seen[key]?.string ?? "" }
        #expect(text("agencies").contains("kz-mvd 5 1"), "counts per agency: \(text("agencies"))")
        #expect(text("categories").contains("drugs 5 1"), "\(text("categories"))")
        #expect(text("revocations").contains("gone.example") && text("revocations").contains("overturned"), "\(text("revocations"))")
        #expect(text("verdict") == "www.shop.example is listed by shop.example (kz-mvd).")
        #expect(text("results").contains("shop.example and below"))
        #expect(text("entry_url").hasSuffix("/entries/kz-mvd/main/1"))
        #expect(text("resource") == "shop.example" && text("status") == "Listed, with every name below it.")
        #expect(text("basis").contains("MVD KZ") && text("basis").contains("No. 118") && text("basis").contains("2026-03-02"))
        let root = try node.roster.run(["agency", "show", "--json"]).stdout.firstMatch(of: /"root_sha256":"([0-9a-f]{64})"/).map { String($0.1) } ?? "?"
        #expect(text("agency").contains(root), "the agency's root key, as roster agency show prints it")
        #expect(text("history").contains("kz-mvd/main:1 add") && text("history").contains("key sha256"))
        for name in ["page-home.png", "page-search.png", "page-entry.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: shots.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name) was saved")
        }
    }

    @Test("Markup in an entry is shown as text, scripts may not run, a missing entry is a 404 page, a long search is refused politely")
    func hostile() throws {
        let folder = try TemporaryFolder()
        let node = try FederatedNode(folder: folder, agency: "kz-mvd")
        #expect(try node.roster.run(["add", "domain", "xss.example", "--category", "drugs", "--authority", "MVD <b>bold</b>",
                                     "--reference", "\"><script>alert(1)</script>", "--decided", "2026-03-02", "--note", "</pre><img src=x>"]).status == 0)
        try node.start()
        let page = try ConsumerTests.fetch("/entries/kz-mvd/main/1", from: node)
        #expect(page.status == 200 && page.headers.lowercased().contains("content-security-policy: default-src 'none'"))
        #expect(page.body.contains("MVD &lt;b&gt;bold&lt;/b&gt;") && !page.body.contains("<b>bold"))
        #expect(!page.body.contains("<script>") && !page.body.contains("<img src=x>"))
        let home = try ConsumerTests.fetch("/?q=%3Cscript%3E", from: node)
        #expect(home.status == 200 && home.body.contains("value=\"&lt;script&gt;\"") && !home.body.contains("<script>"))
        let missing = try ConsumerTests.fetch("/entries/kz-mvd/main/99", from: node)
        #expect(missing.status == 404 && missing.body.contains("This node holds no entry kz-mvd/main:99."))
        #expect(try ConsumerTests.fetch("/entries/..%2F..%2Fetc/passwd/1", from: node).status == 404)
        // A bracket or quote sharing its Character with a mark before or after it (U+0600, U+0301)
        // is still a bracket or a quote to the browser: escaped all the same. Compared as bytes,
        // for String.contains compares Characters too.
        func holds(_ body: String, _ text: String) -> Bool { Array(body.utf8).firstRange(of: Array(text.utf8)) != nil }
        let marked = try FederatedNode(folder: folder, agency: "uz-iib")
        #expect(try marked.roster.run(["add", "domain", "marked.example", "--category", "drugs",
                                       "--authority", "\u{0600}<a id=evil href=https://evil.example/\u{0600}>Appeal\u{0600}</a\u{0600}>",
                                       "--reference", "x\"\u{0301} style=color:red", "--decided", "2026-03-02",
                                       "--note", "\u{0600}<meta http-equiv=refresh content=0;url=/healthz\u{0600}>"]).status == 0)
        try marked.start()
        for path in ["/entries/uz-iib/main/1", "/?q=marked", "/?q=%22%CC%81%20style%3Dbackground%3Ared%20x%3D", "/?q=%D8%80%3Cmeta%20http-equiv%3Drefresh%3E"] {
            let body = try ConsumerTests.fetch(path, from: marked).body
            for raw in ["<a id=evil", "</a\u{0600}", "<meta http-equiv", "\"\u{0301} style", "\u{0600}>"] {
                #expect(!holds(body, raw), "\(path) carries \(raw.debugDescription) unescaped")
            }
            #expect(holds(body, "&lt;") || holds(body, "&quot;"), "\(path)")
        }

        let long = try ConsumerTests.fetch("/?q=" + String(repeating: "a", count: 3000), from: node)
        #expect(long.status == 200 && long.body.contains("A search is at most 2048 characters."))
    }
}
