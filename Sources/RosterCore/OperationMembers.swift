/// The members of an operation as read, before any rule is checked. Both readers
/// hand over here: `JSONParser`'s tree (any spelling, key events) and
/// `OperationDecoder` (canonical bytes, no tree), so that `Operation(members:)`
/// states every rule once, whichever read the bytes.
struct OperationMembers {
    /// Every member an operation may carry except its signatures (`sig`, `sigs`).
    enum Name: Int, CaseIterable {
        case v, type, origin, seq, prev, clock, time, alg
        case resource, broad, category, basis, jurisdiction, expires, evidence, note, mirrorOf
        case target, reason, replica, key, logKey, after, keys, threshold, chains

        /// The member's name on the wire.
        var text: String { Self.texts[rawValue] }
        private static let texts = allCases.map { name in
            switch name {
            case .mirrorOf: return "mirror_of"
            case .logKey: return "log_key"
            default: return "\(name)"
            }
        }
        static let named = [String: Name](uniqueKeysWithValues: allCases.map { ($0.text, $0) })
    }

    /// A set of names as bits: the rules ask it once per member of every operation read.
    struct Names: OptionSet {
        let rawValue: UInt32
        init(rawValue: UInt32) { self.rawValue = rawValue }
        init(_ name: Name) { rawValue = 1 << UInt32(name.rawValue) }
        init(arrayLiteral names: Name...) { self.init(names.map(Names.init)) }
    }

    private var values = [JSON?](repeating: nil, count: Name.allCases.count)
    /// Members no operation has, by name: each is refused by the rules.
    var unknown: [String] = []

    init() {}

    /// The members of a parsed tree, with `sig` and `sigs` set aside.
    init(_ members: [String: JSON]) {
        for (name, value) in members where name != "sig" && name != "sigs" {
            if let known = Name.named[name] { self[known] = value } else { unknown.append(name) }
        }
    }

    subscript(name: Name) -> JSON? {
        get { values[name.rawValue] }
        set { values[name.rawValue] = newValue }
    }

    /// The first name, in sorted order, of the members present that `allowed` does
    /// not list, unknown names included: what the rules refuse.
    func firstNotIn(_ allowed: Names) -> String? {
        let extra = Name.allCases.filter { self[$0] != nil && !allowed.contains(Names($0)) }
        guard !extra.isEmpty || !unknown.isEmpty else { return nil }
        return (extra.map(\.text) + unknown).sorted().first
    }
}
