import Foundation
import GRDB

/// A row of `log_hash`: one stored hash of the log's Merkle tree, at its index
/// (`MerkleTree.storedHashIndex`).
struct LogHashRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "log_hash"

    var id: Int64
    var hash: Data

    init(row: Row) throws {
        id = try row.requireInteger(CodingKeys.id.rawValue, "a hash of the log")
        hash = try row.requireBlob(CodingKeys.hash.rawValue, "a hash of the log")
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, hash
    }
}
