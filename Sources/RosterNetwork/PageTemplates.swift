import Mustache

/// The public page's Mustache templates, kept in the binary so that an installed
/// `roster` needs no resource folder. Every value is written with `{{ }}`, escaped
/// by `HTMLText`, which each template names on its first line (a partial starts
/// over with Mustache's own escaping): entries come from other agencies' nodes,
/// and none may write markup.
enum PageTemplates {
    static let library: MustacheLibrary = {
        // Before the templates are parsed: their first line names it.
        MustacheContentTypes.register(HTMLText(), named: "ROSTERHTML")
        var library = MustacheLibrary()
        for (name, text) in [("header", header), ("footer", footer), ("home", home), ("entry", entry), ("missing", missing)] {
            // The templates are constants of this file, parsed once; a test renders each.
            if let template = try? MustacheTemplate(string: text) { library.register(template, named: name) }
        }
        return library
    }()

    static let header = """
        {{% CONTENT_TYPE: ROSTERHTML}}<!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Roster</title>
        <style>
        body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f7f8fa; }
        header, main, footer { max-width: 64rem; margin: 0 auto; padding: 0 1rem; }
        header { padding-top: 1rem; border-bottom: 1px solid #d5d9e0; }
        header a { color: inherit; text-decoration: none; }
        h1 { font-size: 1.5rem; margin: 0.25rem 0; } h2 { font-size: 1.2rem; margin-top: 2rem; }
        nav a { margin-right: 1rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        .verdict { font-size: 1.1rem; padding: 0.75rem 1rem; border-radius: 4px; background: #e7f5ea; }
        .verdict.listed { background: #fdecea; }
        .revoked { color: #8a2c1f; } .live { color: #1e6b35; }
        form { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: end; }
        label { width: 100%; }
        input[type=search] { flex: 1; min-width: 16rem; padding: 0.5rem; font-size: 1rem; }
        button { padding: 0.5rem 1rem; font-size: 1rem; }
        dl { display: grid; grid-template-columns: max-content auto; gap: 0.25rem 1rem; background: #fff; padding: 1rem; }
        dt { font-weight: 600; } dd { margin: 0; }
        pre { white-space: pre-wrap; word-break: break-all; background: #fff; padding: 0.5rem; font-size: 0.85rem; }
        code { overflow-wrap: break-word; }
        .counts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
        footer { margin-top: 3rem; padding: 1rem; border-top: 1px solid #d5d9e0; font-size: 0.9rem; }
        </style>
        </head>
        <body>
        <header>
        <h1><a href="/">Roster</a></h1>
        <p>Internet resources that national agencies have registered as illegal, each with the decision behind it. Served by node <code>{{origin}}</code>.</p>
        <nav><a href="/#search">Search</a><a href="/#counts">Counts</a><a href="/#revocations">Revocations</a></nav>
        </header>
        <main>

        """

    static let footer = """
        {{% CONTENT_TYPE: ROSTERHTML}}
        </main>
        <footer>
        <p>Every entry is an operation signed by the agency that decided it; anyone can verify them (<code>roster audit</code>, the log at <a href="/log/checkpoint">/log/checkpoint</a>).
        Feeds for resolvers and platforms: <a href="/v1/export/rpz">RPZ</a>, <a href="/v1/export/hosts">hosts</a>, <a href="/v1/export/csv">CSV</a>, <a href="/v1/export/json">JSON</a>, <a href="/v1/export/stix">STIX 2.1</a>, <a href="/taxii2/">TAXII 2.1</a>.</p>
        </footer>
        </body>
        </html>

        """

    static let home = """
        {{% CONTENT_TYPE: ROSTERHTML}}
        {{> header}}
        <section id="search">
        <h2>Is it listed?</h2>
        <form method="get" action="/" role="search">
        <label for="q">A domain, URL, IP address, onion address, account or wallet (btc:…, eth:0x…); or the beginning of one</label>
        <input id="q" name="q" type="search" value="{{query}}" maxlength="2048" required>
        <button type="submit">Search</button>
        </form>
        {{#searched}}
        {{#problem}}<p class="verdict" id="verdict">{{problem}}</p>{{/problem}}
        {{#verdict}}<p class="verdict{{#listed}} listed{{/listed}}" id="verdict">{{verdict}}</p>{{/verdict}}
        {{#hasResults}}
        <table id="results">
        <thead><tr><th>Resource</th><th>Category</th><th>Agency</th><th>Decision</th><th>Status</th></tr></thead>
        <tbody>
        {{#results}}
        <tr><td><a href="{{link}}">{{value}}</a>{{#subdomains}} and below{{/subdomains}} <small>{{kind}}</small></td><td>{{category}}</td><td>{{agency}}</td>
        <td>{{authority}}, {{reference}}, {{decided}}</td><td>{{#revoked}}<span class="revoked">revoked</span>{{/revoked}}{{^revoked}}<span class="live">listed</span>{{/revoked}}</td></tr>
        {{/results}}
        </tbody>
        </table>
        {{/hasResults}}
        {{^hasResults}}<p>No entry begins with “{{query}}”.</p>{{/hasResults}}
        {{/searched}}
        </section>
        <section id="counts">
        <h2>Counts</h2>
        <p>{{live}} entries listed, {{revoked}} revoked.</p>
        <div class="counts">
        <table id="agencies"><thead><tr><th>Agency</th><th>Listed</th><th>Revoked</th></tr></thead><tbody>
        {{#agencies}}<tr><td>{{name}}</td><td class="number">{{live}}</td><td class="number">{{revoked}}</td></tr>{{/agencies}}
        </tbody></table>
        <table id="categories"><thead><tr><th>Category</th><th>Listed</th><th>Revoked</th></tr></thead><tbody>
        {{#categories}}<tr><td>{{name}}</td><td class="number">{{live}}</td><td class="number">{{revoked}}</td></tr>{{/categories}}
        </tbody></table>
        <table id="authorities"><thead><tr><th>Authority</th><th>Listed</th><th>Revoked</th></tr></thead><tbody>
        {{#authorities}}<tr><td>{{name}}</td><td class="number">{{live}}</td><td class="number">{{revoked}}</td></tr>{{/authorities}}
        </tbody></table>
        </div>
        </section>
        <section id="revocations">
        <h2>Revocations</h2>
        {{#hasRevocations}}
        <table><thead><tr><th>Resource</th><th>Agency</th><th>Revoked</th><th>Reason</th></tr></thead><tbody>
        {{#revocations}}<tr><td><a href="{{link}}">{{value}}</a></td><td>{{agency}}</td><td>{{revokedTime}}</td><td>{{reason}}</td></tr>{{/revocations}}
        </tbody></table>
        {{/hasRevocations}}
        {{^hasRevocations}}<p>No entry has been revoked.</p>{{/hasRevocations}}
        </section>
        {{> footer}}
        """

    static let entry = """
        {{% CONTENT_TYPE: ROSTERHTML}}
        {{> header}}
        {{#entry}}
        <h2 id="resource">{{value}}</h2>
        {{#revoked}}<p class="verdict" id="status">Revoked on {{revokedTime}} by <code>{{revokedBy}}</code>: {{reason}}</p>{{/revoked}}
        {{^revoked}}<p class="verdict listed" id="status">Listed{{#subdomains}}, with every name below it{{/subdomains}}.</p>{{/revoked}}
        {{#original}}<p id="mirror">A mirror of entry <a href="{{link}}"><code>{{id}}</code></a>: listed under that entry's decision, and lifted with it.</p>{{/original}}
        <h2>Legal basis</h2>
        <dl id="basis">
        <dt>Authority</dt><dd>{{authority}}</dd>
        <dt>Decision</dt><dd>{{reference}}</dd>
        <dt>Decided</dt><dd>{{decided}}</dd>
        {{#statute}}<dt>Statute</dt><dd>{{statute}}</dd>{{/statute}}
        {{#jurisdiction}}<dt>Jurisdiction</dt><dd>{{jurisdiction}}</dd>{{/jurisdiction}}
        <dt>Category</dt><dd>{{category}}</dd>
        <dt>Kind</dt><dd>{{kind}}{{#subdomains}} (and the names below it){{/subdomains}}</dd>
        {{#expires}}<dt>Expires</dt><dd>{{expires}}</dd>{{/expires}}
        {{#evidence}}<dt>Evidence</dt><dd>{{evidence}}</dd>{{/evidence}}
        {{#note}}<dt>Note</dt><dd>{{note}}</dd>{{/note}}
        <dt>Entry</dt><dd><code>{{id}}</code></dd>
        </dl>
        {{/entry}}
        {{#hasMirrors}}
        <h2>Mirrors</h2>
        <p>{{mirrorCount}} copies of this resource are listed under its decision, and are lifted with it.{{#moreMirrors}} The first hundred:{{/moreMirrors}}</p>
        <table id="mirrors"><thead><tr><th>Resource</th><th>Kind</th><th>Status</th></tr></thead><tbody>
        {{#mirrors}}<tr><td><a href="{{link}}">{{value}}</a></td><td>{{kind}}</td><td>{{#revoked}}<span class="revoked">revoked</span>{{/revoked}}{{^revoked}}<span class="live">listed</span>{{/revoked}}</td></tr>{{/mirrors}}
        </tbody></table>
        {{/hasMirrors}}
        <h2>Agency</h2>
        <dl id="agency">
        <dt>Agency</dt><dd>{{agency}}</dd>
        <dt>Root key</dt><dd><code>sha256 {{root}}</code>{{#distrusted}} <strong class="revoked">no longer trusted by this node</strong>{{/distrusted}}</dd>
        </dl>
        <h2>Signed history</h2>
        <p>Each change is an operation its agency signed (Ed25519 over the RFC 8785 canonical JSON); <code>roster audit</code> checks them all.</p>
        <table id="history"><thead><tr><th>Operation</th><th>Change</th><th>Time</th><th>Signed by</th></tr></thead><tbody>
        {{#history}}
        <tr><td><code>{{dot}}</code></td><td>{{type}}</td><td>{{time}}</td><td><code>{{signer}}</code>, key sha256 <code>{{key}}</code></td></tr>
        <tr><td colspan="4"><details><summary>The signed operation (sha256 {{hash}})</summary><pre>{{json}}</pre></details></td></tr>
        {{/history}}
        </tbody></table>
        {{> footer}}
        """

    static let missing = """
        {{% CONTENT_TYPE: ROSTERHTML}}
        {{> header}}
        <h2>Not found</h2>
        <p id="missing">{{message}}</p>
        <p><a href="/">Search the roster</a></p>
        {{> footer}}
        """
}

/// HTML escaping by Unicode scalar. Mustache's own compares `Character`s, and a
/// quote or a bracket that shares its `Character` with a combining mark after it
/// (or a prepended mark before it) went out unescaped: markup in a page.
struct HTMLText: MustacheContentType {
    func escapeText(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
