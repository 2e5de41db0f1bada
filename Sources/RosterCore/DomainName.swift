import CIDN2

/// Host names in the form DNS carries them: lower-case IDNA A-labels, no trailing dot.
public enum DomainName {
    public static func normalise(_ text: String) throws -> String {
        var name = text
        if name.utf8.last == UInt8(ascii: ".") { name.removeLast() }
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.first != UInt8(ascii: "."),
            !zip(bytes, bytes.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") })
        else {
            throw RosterError(.invalidResource, "\"\(text)\" is not a domain name: empty label")
        }
        let ascii: String
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            // Most names are already lower case: keep the string rather than make another.
            ascii = name.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) ? name.lowercased() : name
        } else {
            ascii = try toASCII(name, original: text)
        }
        try validate(ascii, original: text)
        // An ASCII name may already carry A-labels: they must decode to valid IDNA2008 labels.
        if hasALabel(ascii) {
            var output: UnsafeMutablePointer<CChar>?
            let status = idn2_to_unicode_8z8z(ascii, &output, 0)
            defer { idn2_free(output) }
            guard status == IDN2_OK.rawValue, let output, let unicode = String(validatingCString: output),
                (try? toASCII(unicode, original: text)) == ascii
            else { throw RosterError(.invalidResource, "\"\(text)\" has an invalid punycode (xn--) label") }
        }
        return ascii
    }

    /// A name or a single label in lower-case A-labels, or nil if it is not valid
    /// IDNA: for rules of lists that write names in Unicode (the public suffix list).
    static func asciiForm(_ text: String) -> String? {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.isEmpty ? nil : text.lowercased() }
        return try? toASCII(text, original: text)
    }

    /// UTS 46 non-transitional processing (IDNA2008), as browsers resolve names today.
    private static func toASCII(_ name: String, original: String) throws -> String {
        var output: UnsafeMutablePointer<CChar>?
        let flags = Int32(IDN2_NFC_INPUT.rawValue | IDN2_NONTRANSITIONAL.rawValue | IDN2_USE_STD3_ASCII_RULES.rawValue)
        let status = idn2_to_ascii_8z(name, &output, flags)
        defer { idn2_free(output) }
        guard status == IDN2_OK.rawValue, let output, let ascii = String(validatingCString: output) else {
            let why = String(cString: idn2_strerror(status))
            throw RosterError(.invalidResource, "\"\(original)\" is not a valid internationalised domain name: \(why)")
        }
        return ascii.lowercased()
    }

    /// Byte by byte, as this runs for every domain read: from files, peers and the database.
    private static func validate(_ name: String, original: String) throws {
        guard name.utf8.count <= 253 else {
            throw RosterError(.invalidResource, "\"\(original)\" is longer than 253 characters")
        }
        guard name.utf8.contains(UInt8(ascii: ".")) else {
            throw RosterError(.invalidResource, "\"\(original)\" has a single label: give a full domain name like shop.example")
        }
        var label = 0
        var first: UInt8 = 0
        var last: UInt8 = 0
        var lastIsNumeric = true
        func endLabel() throws {
            guard label > 0, label <= 63 else {
                throw RosterError(.invalidResource, "\"\(original)\" has a label that is empty or longer than 63 characters")
            }
            guard first != UInt8(ascii: "-"), last != UInt8(ascii: "-") else {
                throw RosterError(.invalidResource, "\"\(original)\" is not a host name: labels take letters, digits and inner hyphens only")
            }
        }
        for byte in name.utf8 {
            if byte == UInt8(ascii: ".") {
                try endLabel()
                label = 0
                lastIsNumeric = true
                continue
            }
            guard isLetterOrDigit(byte) || byte == UInt8(ascii: "-") else {
                throw RosterError(.invalidResource, "\"\(original)\" is not a host name: labels take letters, digits and inner hyphens only")
            }
            if label == 0 { first = byte }
            last = byte
            label += 1
            if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { lastIsNumeric = false }
        }
        try endLabel()
        if lastIsNumeric {
            throw RosterError(.invalidResource, "\"\(original)\" ends in a numeric label: an IP address is kind ip")
        }
    }

    /// Whether a label of the name starts with `xn--`.
    private static func hasALabel(_ name: String) -> Bool {
        var atLabelStart = true
        var utf8 = name.utf8[...]
        while !utf8.isEmpty {
            if atLabelStart && utf8.starts(with: "xn--".utf8) { return true }
            atLabelStart = utf8.first == UInt8(ascii: ".")
            utf8 = utf8.dropFirst()
        }
        return false
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The name and each of its parents with two or more labels, nearest first.
    public static func parents(of name: String) -> [Substring] {
        var result: [Substring] = []
        var rest = Substring(name)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if rest.contains(".") { result.append(rest) }
        }
        return result
    }
}
