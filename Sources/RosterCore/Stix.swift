import Crypto
import Foundation

/// STIX 2.1 (OASIS), as threat-intel platforms (MISP, OpenCTI) exchange indicators.
/// Each entry is an `indicator` whose pattern names the resource; its legal basis is
/// an external reference (the authority as source, the decision as external id); its
/// agency is an `identity`. Ids are UUIDv5 of the entry's id (not the UUIDv4 STIX
/// suggests for these objects: the validator warns), so that every node names an
/// entry alike and a revoke or an amend is a new version of the same object
/// (`modified` moves on; a revoke sets `revoked`).
public enum Stix {
    /// The predefined TLP:CLEAR (TLP:WHITE in STIX 2.1) marking: the roster is public.
    public static let publicMarking: JSON = [
        "type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:WHITE", "definition": ["tlp": "white"],
    ]

    /// When an entry was added, and when its last amend or revoke was signed.
    public struct History: Sendable {
        public let created: Timestamp
        public let modified: Timestamp

        public init(created: Timestamp, modified: Timestamp) {
            self.created = created
            self.modified = max(created, modified)
        }
    }

    /// A STIX timestamp: UTC, to the millisecond, as `created` and `modified` must be.
    public static func time(_ instant: Timestamp) -> String {
        time(milliseconds: instant.seconds &* 1000 &+ Int64(instant.nanoseconds / 1_000_000))
    }

    public static func time(milliseconds: Int64) -> String {
        let seconds = milliseconds.floorDivided(by: 1000)
        let whole = Timestamp(Date(timeIntervalSince1970: Double(seconds))).text
        return whole.dropLast() + "." + String(Int(milliseconds - seconds * 1000) + 1000).dropFirst() + "Z"
    }

    /// A STIX identifier: UUIDv5 (RFC 9562) of `name` in Roster's namespace.
    public static func id(_ type: String, _ name: String) -> String {
        let namespace: [UInt8] = [0x6b, 0x1f, 0x3a, 0x52, 0x8e, 0x44, 0x4f, 0x0c, 0x9d, 0x2a, 0x51, 0x7e, 0x30, 0xc4, 0x8b, 0x16]
        var bytes = Array(Insecure.SHA1.hash(data: namespace + Array(name.utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x50
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Hex.encode(bytes)
        let cuts = [8, 12, 16, 20]
        var text = ""
        for (index, character) in hex.enumerated() {
            if cuts.contains(index) { text += "-" }
            text.append(character)
        }
        return "\(type)--\(text)"
    }

    public static func identityID(of agency: String) -> String { id("identity", "agency:\(agency)") }

    public static func identity(of agency: String) -> JSON {
        [
            "type": "identity", "spec_version": "2.1", "id": .string(identityID(of: agency)),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": .string(agency), "identity_class": "organization", "sectors": ["government-national"],
            "description": .string("The national agency \(agency), which signs its entries in the Roster of illegal online resources."),
        ]
    }

    /// The STIX pattern that matches `resource` (and, for a `subdomains` entry, the names below it).
    public static func pattern(_ resource: Resource) -> String {
        let value = quote(resource.value)
        switch resource.kind {
        case .domain:
            if resource.scope == .subdomains {
                return "[domain-name:value = '\(value)' OR domain-name:value LIKE '%.\(value)']"
            }
            return "[domain-name:value = '\(value)']"
        case .onion: return "[domain-name:value = '\(value)']"
        case .url: return "[url:value = '\(value)']"
        case .ip, .cidr: return resource.value.contains(":") ? "[ipv6-addr:value = '\(value)']" : "[ipv4-addr:value = '\(value)']"
        case .account: return "[user-account:account_login = '\(value)']"
        // STIX has no wallet observable: OpenCTI's cryptocurrency-wallet, whose value is the address alone.
        case .wallet: return "[cryptocurrency-wallet:value = '\(quote(String(resource.value.drop { $0 != ":" }.dropFirst())))']"
        }
    }

    /// A string literal of a pattern: backslash and quote escaped, by Unicode scalar
    /// (a quote with a combining mark after it is still a quote to a pattern parser).
    static func quote(_ text: String) -> String {
        var quoted = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\\" || scalar == "'" { quoted.append("\\") }
            quoted.append(scalar)
        }
        return String(quoted)
    }

    public static func indicator(_ entry: Entry, history: History) -> JSON {
        let fields = entry.fields
        let basis = fields.basis
        var decision = "Decided \(basis.decided)"
        if let statute = basis.statute { decision += " under \(statute)" }
        if let jurisdiction = fields.jurisdiction { decision += " (\(jurisdiction))" }
        var description = "Listed by \(entry.agency) as \(fields.category.rawValue): \(entry.resource.value)."
        if let original = entry.mirrorOf { description += " A mirror of entry \(original), under its decision." }
        if let note = fields.note { description += " \(note)" }
        if let revocation = entry.revocation { description += " Revoked: \(revocation.reason)" }
        let validFrom = Timestamp(day: basis.decided)
        var members: [String: JSON] = [
            "type": "indicator", "spec_version": "2.1", "id": .string(id("indicator", "entry:\(entry.id)")),
            "created": .string(time(history.created)), "modified": .string(time(history.modified)),
            "created_by_ref": .string(identityID(of: entry.agency)),
            "name": .string("\(entry.resource.kind.rawValue) \(entry.resource.value)"), "description": .string(description),
            "indicator_types": ["malicious-activity"], "labels": [.string(fields.category.rawValue)],
            "pattern": .string(pattern(entry.resource)), "pattern_type": "stix", "valid_from": .string(time(validFrom)),
            "revoked": .bool(entry.revocation != nil),
            "external_references": [["source_name": .string(basis.authority), "external_id": .string(basis.reference), "description": .string(decision)]],
            "object_marking_refs": [publicMarking["id"] ?? .null],
        ]
        // The entry applies through its last day.
        if let expires = fields.expires, expires >= basis.decided {
            members["valid_until"] = .string(time(Timestamp(day: CalendarDate(daysSinceEpoch: expires.daysSinceEpoch + 1))))
        }
        return .object(members)
    }

    /// A mirror's `derived-from` relationship to its original's indicator: how STIX
    /// says that one indicator is a copy of another. Nil for an entry that is no mirror.
    public static func relationship(of entry: Entry, history: History) -> JSON? {
        guard let original = entry.mirrorOf else { return nil }
        return [
            "type": "relationship", "spec_version": "2.1", "id": .string(id("relationship", "mirror:\(entry.id)")),
            "created": .string(time(history.created)), "modified": .string(time(history.modified)),
            "created_by_ref": .string(identityID(of: entry.agency)), "relationship_type": "derived-from",
            "source_ref": .string(id("indicator", "entry:\(entry.id)")), "target_ref": .string(id("indicator", "entry:\(original)")),
            "revoked": .bool(entry.revocation != nil), "object_marking_refs": [publicMarking["id"] ?? .null],
        ]
    }
}

extension Timestamp {
    /// Midnight UTC at the start of `day`.
    init(day: CalendarDate) {
        self.init(Date(timeIntervalSince1970: Double(day.daysSinceEpoch) * 86_400))
    }
}
