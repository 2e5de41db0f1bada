/// dnsmasq (`conf-file=`): `address=/name/` answers NXDOMAIN for a name and every name
/// below it, so only `subdomains` entries take it; dnsmasq has no NXDOMAIN for one
/// name alone, so an exact entry answers its name with unroutable addresses, as the
/// hosts export does, and leaves the names below it alone.
public enum DnsmasqExport {
    public static func header(node: String, clock: VectorClock) -> String {
        "# Roster blocklist from \(node), clock \(clock)\n"
    }

    public static func line(_ blocked: BlockedResource) -> String {
        blocked.subdomains ? "address=/\(blocked.value)/\n" : "host-record=\(blocked.value),0.0.0.0,::\n"
    }
}

/// Unbound (`include:` in its `server:` clause): a `subdomains` entry is an
/// `always_nxdomain` local zone; an exact entry is local data for its name alone
/// (Unbound makes a transparent zone for it, so the names below still resolve).
public enum UnboundExport {
    public static func header(node: String, clock: VectorClock) -> String {
        "# Roster blocklist from \(node), clock \(clock)\n"
    }

    public static func lines(_ blocked: BlockedResource) -> String {
        if blocked.subdomains { return "local-zone: \"\(blocked.value).\" always_nxdomain\n" }
        return "local-data: \"\(blocked.value). A 0.0.0.0\"\nlocal-data: \"\(blocked.value). AAAA ::\"\n"
    }
}

/// Mastodon's domain-block CSV, as an instance's admin imports it (Moderation,
/// Federation, Import). Mastodon blocks a domain with every name below it, whatever
/// the entry's scope; the public comment names the decision.
public enum MastodonExport {
    public static let header = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n"

    public static func row(_ blocked: BlockedResource) -> String {
        let basis = blocked.entry.fields.basis
        let comment = "Listed by \(blocked.entry.agency) under \(basis.authority) \(basis.reference) of \(basis.decided)"
        return "\(blocked.value),suspend,true,true,\(CSVExport.quote(comment)),false\r\n"
    }
}
