/// The public suffixes under which anyone may register a name (`co.uk`, `github.io`),
/// from the Public Suffix List (publicsuffix.org; Debian's `publicsuffix` package).
/// An entry for one would block every registrant beneath it, so `add` and `import`
/// refuse it unless the operator says `--broad`. Single-label names (TLDs) never
/// reach here: a domain entry needs two labels.
public struct PublicSuffixList: Sendable {
    private var rules: Set<String> = []
    private var wildcards: Set<String> = []
    private var exceptions: Set<String> = []

    /// Rules as the list writes them, one per line: `co.uk`, `*.ck`, `!www.ck`,
    /// comments after `//`. A rule that is not a valid name is skipped.
    public init(text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            guard let token = line.split(whereSeparator: \.isWhitespace).first, !token.hasPrefix("//") else { continue }
            var rule = Substring(token)
            var target = \PublicSuffixList.rules
            if rule.hasPrefix("!") {
                rule = rule.dropFirst()
                target = \.exceptions
            } else if rule.hasPrefix("*.") {
                rule = rule.dropFirst(2)
                target = \.wildcards
            }
            guard let name = DomainName.asciiForm(String(rule)) else { continue }
            self[keyPath: target].insert(name)
        }
    }

    public var isEmpty: Bool { rules.isEmpty && wildcards.isEmpty }

    /// Whether `name`, a normalised domain, is itself a public suffix: a rule names
    /// it, or a wildcard rule names its parent, and no exception rule names it.
    public func isPublicSuffix(_ name: String) -> Bool {
        if exceptions.contains(name) { return false }
        if rules.contains(name) { return true }
        guard let dot = name.firstIndex(of: ".") else { return true }
        return wildcards.contains(String(name[name.index(after: dot)...]))
    }
}
