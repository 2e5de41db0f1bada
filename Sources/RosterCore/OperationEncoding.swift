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
        var out = CanonicalWriter(capacity: 640)
        out.openObject()
        out.key("alg"); out.string(alg)
        var fields: (category: Category?, basis: LegalBasis?, jurisdiction: String??, expires: String??,
                     evidence: String??, note: String??) = (nil, nil, nil, nil, nil, nil)
        switch payload {
        case .add(_, let add):
            fields = (add.category, add.basis, add.jurisdiction.map { .some($0) }, add.expires.map { .some($0.description) },
                      add.evidence.map { .some($0) }, add.note.map { .some($0) })
        case .amend(_, let changes):
            fields = (changes.category, changes.basis, changes.jurisdiction, changes.expires.map { $0.map(\.description) },
                      changes.evidence, changes.note)
        case .mirror(_, let mirror):
            fields.evidence = mirror.evidence.map { .some($0) }
            fields.note = mirror.note.map { .some($0) }
        case .revoke, .enrol, .retire, .rotate:
            break
        }
        if let basis = fields.basis {
            out.key("basis")
            basis.write(to: &out)
        }
        if case .add(_, let add) = payload, add.broad { out.key("broad"); out.literal("true") }
        if case .mirror(_, let mirror) = payload, mirror.broad { out.key("broad"); out.literal("true") }
        out.member("category", fields.category?.rawValue)
        out.key("clock")
        clock.write(to: &out)
        out.member("evidence", fields.evidence)
        out.member("expires", fields.expires)
        out.member("jurisdiction", fields.jurisdiction)
        out.member("mirror_of", original?.description)
        out.member("note", fields.note)
        out.key("origin"); out.string(origin)
        if let prev { out.key("prev"); out.hex(prev) }
        switch payload {
        case .revoke(_, let reason): out.key("reason"); out.string(reason)
        case .add(let resource, _), .mirror(let resource, _):
            out.key("resource")
            resource.write(to: &out)
        case .amend, .enrol, .retire, .rotate: break
        }
        out.key("seq"); out.integer(seq)
        var signatureMember: Range<Int>?
        if let signature {
            let start = out.bytes.count
            out.key("sig"); out.base64(signature)
            signatureMember = start..<out.bytes.count
        }
        out.member("target", target?.description)
        out.key("time"); out.string(time.text)
        out.key("type"); out.string(type)
        out.key("v"); out.integer(Self.formatVersion)
        out.closeObject()
        return (out.bytes, signatureMember)
    }
}

extension LegalBasis {
    /// The basis as a canonical object, as operations and entries carry it.
    func write(to out: inout CanonicalWriter) {
        out.openObject()
        out.key("authority"); out.string(authority)
        out.key("decided"); out.string(decided.description)
        out.key("reference"); out.string(reference)
        out.member("statute", statute)
        out.closeObject()
    }
}

extension Resource {
    /// The resource as a canonical object, as operations and entries carry it.
    func write(to out: inout CanonicalWriter) {
        out.openObject()
        out.key("kind"); out.string(kind.rawValue)
        out.member("scope", scope?.rawValue)
        out.key("value"); out.string(value)
        out.closeObject()
    }
}

extension VectorClock {
    /// The clock as a canonical object: origins in byte order, which for their
    /// ASCII names is RFC 8785's order.
    func write(to out: inout CanonicalWriter) {
        out.openObject()
        for (origin, count) in counters.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            out.key(origin)
            out.integer(count)
        }
        out.closeObject()
    }
}
