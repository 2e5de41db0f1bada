/// Why a resource is listed, from a documented vocabulary so that every agency's
/// entries can be filtered alike.
public enum Category: String, CaseIterable, Sendable {
    /// Controlled narcotic drugs and psychotropic substances.
    case drugs
    /// New psychoactive substances not (yet) under international control.
    case nps
    /// Precursor chemicals for illicit manufacture.
    case precursors
    /// Unlicensed online pharmacies selling prescription medicines.
    case pharmacy
    /// Equipment sold for illicit production or use.
    case paraphernalia
    case other

    public init(parsing text: String) throws {
        guard let category = Category(rawValue: text.lowercased()) else {
            let known = Category.allCases.map(\.rawValue).joined(separator: ", ")
            throw RosterError(.invalidField, "unknown category \"\(text)\": use one of \(known)")
        }
        self = category
    }
}

/// The decision behind an entry, so that anyone can trace it to its source.
public struct LegalBasis: Hashable, Sendable {
    public var authority: String
    public var reference: String
    public var decided: CalendarDate
    public var statute: String?

    public init(authority: String, reference: String, decided: CalendarDate, statute: String? = nil) throws {
        self.authority = try Text.required(authority, field: "authority")
        self.reference = try Text.required(reference, field: "reference")
        self.decided = decided
        self.statute = try statute.map { try Text.required($0, field: "statute") }
    }

    /// For values read back from the node's own database, checked when they were signed.
    public init(unchecked authority: String, reference: String, decided: CalendarDate, statute: String?) {
        self.authority = authority
        self.reference = reference
        self.decided = decided
        self.statute = statute
    }

    public var json: JSON {
        var members: [String: JSON] = [
            "authority": .string(authority), "reference": .string(reference), "decided": .string(decided.description),
        ]
        if let statute { members["statute"] = .string(statute) }
        return .object(members)
    }

    public init(json: JSON) throws {
        guard let members = json.object, Set(members.keys).isSubset(of: ["authority", "reference", "decided", "statute"]),
            let authority = members["authority"]?.string, let reference = members["reference"]?.string,
            let decided = members["decided"]?.string
        else { throw RosterError(.malformedOperation, "basis needs authority, reference and decided, and nothing else") }
        var statute: String?
        if let value = members["statute"] {
            guard let text = value.string else { throw RosterError(.malformedOperation, "basis statute must be a string") }
            statute = text
        }
        try self.init(authority: authority, reference: reference, decided: try CalendarDate(decided), statute: statute)
    }
}

/// What an add states about a resource and an amend may change.
public struct EntryFields: Hashable, Sendable {
    public var category: Category
    public var basis: LegalBasis
    public var jurisdiction: String?
    public var expires: CalendarDate?
    /// SHA-256 of an evidence package kept elsewhere: never the evidence itself.
    public var evidence: String?
    public var note: String?
    /// The agency listed a resource it knew to be broad (see `BroadEntries`): set
    /// by the add, never by an amend, so an auditor sees it was meant from the start.
    public var broad: Bool

    public init(category: Category, basis: LegalBasis, jurisdiction: String? = nil, expires: CalendarDate? = nil,
                evidence: String? = nil, note: String? = nil, broad: Bool = false) {
        self.category = category
        self.basis = basis
        self.jurisdiction = jurisdiction
        self.expires = expires
        self.evidence = evidence
        self.note = note
        self.broad = broad
    }

    func write(to members: inout [String: JSON]) {
        members["category"] = .string(category.rawValue)
        members["basis"] = basis.json
        if let jurisdiction { members["jurisdiction"] = .string(jurisdiction) }
        if let expires { members["expires"] = .string(expires.description) }
        if let evidence { members["evidence"] = .string(evidence) }
        if let note { members["note"] = .string(note) }
        if broad { members["broad"] = .bool(true) }
    }

    init(members: OperationMembers) throws {
        guard let category = members[.category]?.string else {
            throw RosterError(.malformedOperation, "add needs a category")
        }
        guard let basis = members[.basis] else { throw RosterError(.malformedOperation, "add needs a basis") }
        try self.init(
            category: Category(parsing: category), basis: LegalBasis(json: basis),
            jurisdiction: members[.jurisdiction].map { try Text.jurisdiction(Text.string($0, field: "jurisdiction")) },
            expires: members[.expires].map { try CalendarDate(Text.string($0, field: "expires")) },
            evidence: members[.evidence].map { try Text.evidence(Text.string($0, field: "evidence")) },
            note: members[.note].map { try Text.string($0, field: "note") },
            broad: try members[.broad].map { value in
                // Absent when false: one spelling only.
                guard value == .bool(true) else { throw RosterError(.malformedOperation, "broad is true when present") }
                return true
            } ?? false)
    }
}

/// Checks shared by the CLI and the wire: one place says what a valid field is.
public enum Text {
    /// Other people's text made safe to print on a terminal or in a log: control
    /// characters (escape sequences, newlines that would forge lines) are written as
    /// `\u{…}`, and the text is cut at `limit` characters.
    public static func printable(_ text: String, limit: Int = 500) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public static let maximumLength = 1000

    public static func required(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw RosterError(.invalidField, "\(field) must not be empty") }
        guard trimmed.utf8.count <= maximumLength else {
            throw RosterError(.invalidField, "\(field) is longer than \(maximumLength) bytes")
        }
        guard trimmed == text else { throw RosterError(.invalidField, "\(field) has leading or trailing spaces") }
        return trimmed
    }

    static func string(_ json: JSON, field: String) throws -> String {
        guard let text = json.string else { throw RosterError(.malformedOperation, "\(field) must be a string") }
        return try required(text, field: field)
    }

    /// ISO 3166-1 alpha-2, upper case.
    public static func jurisdiction(_ text: String) throws -> String {
        let upper = text.uppercased()
        guard upper.utf8.count == 2, upper.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            throw RosterError(.invalidField, "jurisdiction \"\(text)\" is not an ISO 3166-1 alpha-2 code like KZ")
        }
        return upper
    }

    public static func evidence(_ text: String) throws -> String {
        let lower = text.lowercased()
        guard Hex.isSHA256(lower) else {
            throw RosterError(.invalidField, "evidence \"\(text)\" is not a SHA-256 in hex (64 characters)")
        }
        return lower
    }
}
