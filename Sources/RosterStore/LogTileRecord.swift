import Foundation
import GRDB

/// A row of `log_tile`: the hashes of one tile of the log's tree (C2SP
/// `tlog-tiles`, height 8), as served under `/log/tile/`.
struct LogTileRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "log_tile"

    var id: Int64
    var hashes: Data

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, hashes
    }

    init(level: Int, index: Int64, hashes: Data) {
        id = Self.id(level: level, index: index)
        self.hashes = hashes
    }

    init(row: Row) throws {
        id = try row.requireInteger(CodingKeys.id.rawValue, "a tile of the log")
        hashes = try row.requireBlob(CodingKeys.hashes.rawValue, "a tile of the log")
    }

    /// Tile levels above 127 do not exist (the tree has at most 63 levels), nor tile
    /// indexes past 2^56: the two fit one key.
    static func id(level: Int, index: Int64) -> Int64 {
        Int64(level) << 56 | index
    }
}
