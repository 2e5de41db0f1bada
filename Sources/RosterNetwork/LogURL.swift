import RosterCore

/// Where an auditor reads a log: the node itself (`https://host:port`), or a cache
/// or mirror of it, plain `http://` and a path prefix allowed. *Why:* what is read
/// is verified by its hashes and signatures, never by who served it.
public struct LogURL: Sendable, CustomStringConvertible {
    public let isTLS: Bool
    public let host: String
    public let port: Int
    /// The path the log's routes sit under, without a trailing slash; empty at the root.
    public let prefix: String

    public init?(_ text: String) {
        let scheme: String
        if text.hasPrefix("https://") {
            (isTLS, scheme) = (true, "https://")
        } else if text.hasPrefix("http://") {
            (isTLS, scheme) = (false, "http://")
        } else {
            return nil
        }
        let rest = text.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        guard path.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "?" && $0 != "#" && $0 != "%" }) else { return nil }
        // Endpoint parses host and port alike for both schemes; a missing port is the scheme's.
        let hasPort = authority.hasSuffix("]") ? false : authority.contains(":")
        guard let endpoint = Endpoint("https://" + authority + (hasPort ? "" : isTLS ? ":443" : ":80")) else { return nil }
        (host, port, prefix) = (endpoint.host, endpoint.port, path)
    }

    /// The node endpoint this URL names, if it is one: then the descriptor's pin applies.
    public var endpoint: Endpoint? { isTLS && prefix.isEmpty ? Endpoint("https://\(host.contains(":") ? "[\(host)]" : host):\(port)") : nil }

    public var description: String {
        "\(isTLS ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(prefix)"
    }
}
