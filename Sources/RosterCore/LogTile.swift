/// A tile of a log, as C2SP `tlog-tiles` serves it: tile `index` at `level` holds
/// the hashes of the tree's level `level`·8, 256 to a full tile; a partial one
/// (`width` below 256) is the right edge of a tree whose size is no multiple of it.
/// Level `entries` serves the entries themselves, 256 to a bundle.
public struct LogTile: Sendable, Equatable {
    public static let height = 8
    public static let width = 256

    public let level: Int?
    public let index: Int64
    public let width: Int

    /// `level` nil for an entry bundle.
    public init(level: Int?, index: Int64, width: Int = LogTile.width) {
        self.level = level
        self.index = index
        self.width = width
    }

    public var isFull: Bool { width == Self.width }

    /// `tile/L/N[.p/W]` or `tile/entries/N[.p/W]`, N in groups of three digits, all
    /// but the last prefixed with x (`x001/x234/067`).
    public var path: String {
        var groups: [String] = []
        var rest = index
        repeat {
            let digits = String(rest % 1000)
            groups.insert(String(repeating: "0", count: 3 - digits.count) + digits, at: 0)
            rest /= 1000
        } while rest > 0
        let number = groups.dropLast().map { "x" + $0 }.joined(separator: "/") + (groups.count > 1 ? "/" : "") + (groups.last ?? "000")
        return "tile/\(level.map(String.init) ?? "entries")/\(number)" + (isFull ? "" : ".p/\(width)")
    }

    /// Reads the part of a tile path after `tile/`; nil if it is not one.
    public init?(path: Substring) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        let levelText = parts.removeFirst()
        var width = Self.width
        if parts.count >= 2, parts[parts.count - 2].hasSuffix(".p") {
            guard let partial = Int(parts[parts.count - 1]), (1..<Self.width).contains(partial), String(partial) == parts[parts.count - 1] else { return nil }
            width = partial
            parts.removeLast()
            parts[parts.count - 1] = parts[parts.count - 1].dropLast(2)
        }
        var index: Int64 = 0
        for (position, part) in parts.enumerated() {
            let isLast = position == parts.count - 1
            let digits = isLast ? part : (part.hasPrefix("x") ? part.dropFirst() : "")
            guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return nil }
            let (scaled, overflow) = index.multipliedReportingOverflow(by: 1000)
            guard !overflow, scaled <= Int64.max - value else { return nil }
            index = scaled + value
        }
        if levelText == "entries" {
            self.init(level: nil, index: index, width: width)
        } else {
            guard let level = Int(levelText), (0...7).contains(level), String(level) == levelText else { return nil }
            self.init(level: level, index: index, width: width)
        }
        // One spelling per tile: the index in as few groups as it needs.
        guard self.path.dropFirst("tile/".count) == path else { return nil }
    }
}
