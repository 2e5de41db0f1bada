/// The canonical JSON of an operation written directly, member by member in the
/// sorted order RFC 8785 prescribes, without building a JSON tree: the hot path
/// of imports, verification and audit. A test holds it byte-equal to
/// `CanonicalJSON.encode(operation.json)`.
extension Operation {
    /// RFC 8785 bytes of the operation, with a `sig` member when `signature` is given.
    public func canonicalBytes(signature: [UInt8]? = nil) -> [UInt8] {
        canonicalEncoding(signature: signature).bytes
    }

    /// The canonical bytes and where the `sig` member (with its leading comma) sits
    /// in them: the signed message is the bytes without it.
    func canonicalEncoding(signature: [UInt8]?) -> (bytes: [UInt8], signatureMember: Range<Int>?) {
        // Key events are rare and signed by agency keys (`sigs`): the tree serves them.
        if isKeyEvent { return (CanonicalJSON.encode(json), nil) }
        var out: [UInt8] = []
        out.reserveCapacity(640)
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func string(_ text: String) { CanonicalJSON.writeString(text, to: &out) }
        func optional(_ name: StaticString, _ value: String??) {
            guard let value else { return }
            key(name)
            if let value { string(value) } else { out.append(contentsOf: "null".utf8) }
        }

        key("alg"); string(alg)
        var fields: (category: Category?, basis: LegalBasis?, jurisdiction: String??, expires: String??,
                     evidence: String??, note: String??) = (nil, nil, nil, nil, nil, nil)
        switch payload {
        case .add(_, let add):
            fields = (add.category, add.basis, add.jurisdiction.map { .some($0) }, add.expires.map { .some($0.description) },
                      add.evidence.map { .some($0) }, add.note.map { .some($0) })
        case .amend(_, let changes):
            fields = (changes.category, changes.basis, changes.jurisdiction, changes.expires.map { $0.map(\.description) },
                      changes.evidence, changes.note)
        case .revoke, .enrol, .retire, .rotate:
            break
        }
        if let basis = fields.basis {
            key("basis")
            out.append(contentsOf: "{\"authority\":".utf8); string(basis.authority)
            out.append(contentsOf: ",\"decided\":".utf8); string(basis.decided.description)
            out.append(contentsOf: ",\"reference\":".utf8); string(basis.reference)
            if let statute = basis.statute { out.append(contentsOf: ",\"statute\":".utf8); string(statute) }
            out.append(UInt8(ascii: "}"))
        }
        if case .add(_, let add) = payload, add.broad { key("broad"); out.append(contentsOf: "true".utf8) }
        if let category = fields.category { key("category"); string(category.rawValue) }
        key("clock")
        out.append(UInt8(ascii: "{"))
        for (position, origin) in clock.counters.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            string(origin)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: String(clock.counters[origin]!).utf8)
        }
        out.append(UInt8(ascii: "}"))
        optional("evidence", fields.evidence)
        optional("expires", fields.expires)
        optional("jurisdiction", fields.jurisdiction)
        optional("note", fields.note)
        key("origin"); string(origin)
        if let prev { key("prev"); out.append(UInt8(ascii: "\"")); out.append(contentsOf: Hex.encode(prev).utf8); out.append(UInt8(ascii: "\"")) }
        switch payload {
        case .revoke(_, let reason): key("reason"); string(reason)
        case .add(let resource, _):
            key("resource")
            out.append(contentsOf: "{\"kind\":".utf8); string(resource.kind.rawValue)
            if let scope = resource.scope { out.append(contentsOf: ",\"scope\":".utf8); string(scope.rawValue) }
            out.append(contentsOf: ",\"value\":".utf8); string(resource.value)
            out.append(UInt8(ascii: "}"))
        case .amend, .enrol, .retire, .rotate: break
        }
        key("seq"); out.append(contentsOf: String(seq).utf8)
        var signatureMember: Range<Int>?
        if let signature {
            let start = out.count
            key("sig"); out.append(UInt8(ascii: "\"")); out.append(contentsOf: Base64.encode(signature).utf8); out.append(UInt8(ascii: "\""))
            signatureMember = start..<out.count
        }
        if let target { key("target"); string(target.description) }
        key("time"); string(time.text)
        key("type"); string(type)
        key("v"); out.append(contentsOf: String(Self.formatVersion).utf8)
        out.append(UInt8(ascii: "}"))
        return (out, signatureMember)
    }
}
