import Foundation
import GRDB

/// A row of `digest_chunk`: the digest of one chunk of an origin's entries, taken at
/// the clock kept in `meta`.
struct DigestChunkRecord: Codable, BlobColumns, PersistableRecord {
    static let databaseTableName = "digest_chunk"

    var origin: String
    var chunk: Int64
    var digest: Data

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, chunk, digest
    }
}
