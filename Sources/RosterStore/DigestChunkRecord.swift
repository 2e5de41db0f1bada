import Foundation
import GRDB

/// A row of `digest_chunk`: the digest of one chunk of an origin's entries, taken at
/// the clock kept in `meta`.
struct DigestChunkRecord: Encodable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "digest_chunk"

    var origin: String
    var chunk: Int64
    var digest: Data

    init(origin: String, chunk: Int64, digest: Data) {
        self.origin = origin
        self.chunk = chunk
        self.digest = digest
    }

    init(row: Row) throws {
        origin = try row.requireText(CodingKeys.origin.rawValue, "a kept chunk digest")
        chunk = try row.requireInteger(CodingKeys.chunk.rawValue, "a kept chunk digest")
        digest = try row.requireBlob(CodingKeys.digest.rawValue, "a kept chunk digest")
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case origin, chunk, digest
    }
}
