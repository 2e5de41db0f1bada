/// HTTP(S) URLs normalised as RFC 3986 section 6 describes: scheme and host in
/// lower case, the host as an A-label or canonical IP, no default port, percent
/// escapes in upper case and decoded where they stand for unreserved characters,
/// dot segments removed. The fragment never reaches a server, so it is dropped.
public enum ResourceURL {
    public static func normalise(_ text: String) throws -> String {
        guard let schemeEnd = text.range(of: "://") else {
            throw RosterError(.invalidResource, "\"\(text)\" is not a URL: it needs a scheme like https://")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw RosterError(.invalidResource, "\"\(text)\" has scheme \(scheme): only http and https URLs are listed")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var pathAndQuery = rest[authorityEnd...]
        guard !authority.contains("@") else {
            throw RosterError(.invalidResource, "\"\(text)\" carries user information: list the URL without it")
        }
        let (host, port) = try splitHostAndPort(authority, original: text)
        var result = scheme + "://" + host
        if let port, !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) {
            result += ":\(port)"
        }
        var query: Substring?
        if let mark = pathAndQuery.firstIndex(of: "?") {
            query = pathAndQuery[pathAndQuery.index(after: mark)...]
            pathAndQuery = pathAndQuery[..<mark]
        }
        let path = removeDotSegments(try normalisePercentEncoding(pathAndQuery, extra: "/", original: text))
        result += path.isEmpty ? "/" : path
        if let query, !query.isEmpty {
            result += "?" + (try normalisePercentEncoding(query, extra: "/?", original: text))
        }
        return result
    }

    private static func splitHostAndPort(_ authority: Substring, original: String) throws -> (String, Int?) {
        var hostText = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw RosterError(.invalidResource, "\"\(original)\" has an unterminated IPv6 literal")
            }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw RosterError(.invalidResource, "\"\(original)\" has a malformed host") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostText = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
            guard !hostText.contains(":") else {
                throw RosterError(.invalidResource, "\"\(original)\" has an IPv6 host without brackets: write it as http://[2001:db8::1]/")
            }
        }
        var port: Int?
        if let portText, !portText.isEmpty {
            guard portText.allSatisfy(\.isASCIIDigit), let value = Int(portText), (1...65535).contains(value) else {
                throw RosterError(.invalidResource, "\"\(original)\" has an invalid port \(portText)")
            }
            port = value
        }
        guard !hostText.isEmpty else { throw RosterError(.invalidResource, "\"\(original)\" has no host") }
        if authority.hasPrefix("[") {
            guard case .v6 = try IPAddress(String(hostText)) else {
                throw RosterError(.invalidResource, "\"\(original)\" has a bracketed host that is not IPv6")
            }
            return ("[" + (try IPAddress(String(hostText))).description + "]", port)
        }
        if let address = try? IPAddress(String(hostText)) { return (address.description, port) }
        return (try DomainName.normalise(String(hostText)), port)
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    private static let allowed = unreserved.union("!$&'()*+,;=:@".utf8)
    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func normalisePercentEncoding(_ text: Substring, extra: String, original: String) throws -> String {
        let allowedHere = allowed.union(extra.utf8)
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count,
                    let high = Hex.digit(bytes[index + 1], upperCase: true), let low = Hex.digit(bytes[index + 2], upperCase: true)
                else { throw RosterError(.invalidResource, "\"\(original)\" has a malformed percent escape") }
                let decoded = high << 4 | low
                if unreserved.contains(decoded) {
                    output.append(decoded)
                } else {
                    output.append(contentsOf: [UInt8(ascii: "%"), hex[Int(high)], hex[Int(low)]])
                }
                index += 3
            } else if allowedHere.contains(byte) {
                output.append(byte)
                index += 1
            } else {
                output.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// RFC 3986 section 5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (position, segment) in segments.enumerated() {
            let isLast = position == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if output.count > 1 { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        var result = output.joined(separator: "/")
        if path.hasPrefix("/") && !result.hasPrefix("/") { result = "/" + result }
        return result
    }
}
