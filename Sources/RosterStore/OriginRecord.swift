import Foundation
import GRDB
import RosterCore

/// A row of `origin`: a signer this node accepts (an agency origin with its first
/// root key, or a replica as its agency enrolled it), with the head of what it
/// signed and, derived from key events, its enrolment and retirement.
struct OriginRecord: Encodable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "origin"

    var id: Int64?
    var name: String
    var publicKey: Data
    var alg = "ed25519"
    /// The Ed25519 key of the replica's checkpoints, when its own key is of another suite.
    var logKey: Data?
    var headSeq: Int64 = 0
    var headHash: Data?
    var equivocating = false
    /// The agency origin's seq that enrolled the replica; 0 for an agency origin, and for a void enrolment.
    var enrolledAt: Int64 = 0
    /// The replica's last valid seq once retired.
    var retiredAfter: Int64?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, name, publicKey = "public_key", alg, logKey = "log_key", headSeq = "head_seq", headHash = "head_hash", equivocating,
             enrolledAt = "enrolled_at", retiredAfter = "retired_after"
    }

    init(name: String, key: PublicKey, logKey: PublicKey? = nil, enrolledAt: UInt64 = 0) {
        self.name = name
        publicKey = Data(key.raw)
        alg = key.suite.rawValue
        self.logKey = logKey.map { Data($0.raw) }
        self.enrolledAt = Int64(clamping: enrolledAt)
    }

    /// Every cell as the node writes it, or one line to act on: SQLite would convert
    /// an edited cell (text in an integer column reads as 0) where this refuses it.
    init(row: Row) throws {
        typealias Column = CodingKeys
        name = try row.requireText(Column.name.rawValue, "an origin's name")
        let what = "the row of origin \(Text.printable(name, limit: 100))"
        id = try row.requireInteger(Column.id.rawValue, what)
        publicKey = try row.requireBlob(Column.publicKey.rawValue, what)
        alg = try row.requireText(Column.alg.rawValue, what)
        logKey = try row.optionalBlob(Column.logKey.rawValue, what)
        headSeq = try row.requireInteger(Column.headSeq.rawValue, what)
        headHash = try row.optionalBlob(Column.headHash.rawValue, what)
        equivocating = try row.requireFlag(Column.equivocating.rawValue, what)
        enrolledAt = try row.requireInteger(Column.enrolledAt.rawValue, what)
        retiredAfter = try row.optionalInteger(Column.retiredAfter.rawValue, what)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Every row, or the rows `request` selects: a row edited to another type is one line to act on.
    static func all(_ db: Database, _ request: QueryInterfaceRequest<OriginRecord> = OriginRecord.all()) throws -> [OriginRecord] {
        try request.fetchAll(db)
    }

    func key() throws -> PublicKey {
        guard let key = try? PublicKey(raw: Array(publicKey)) else { throw Cell.unreadable("the key of \(name)") }
        return key
    }

    func enrolment() throws -> Trust.Enrolment {
        guard enrolledAt >= 0, retiredAfter.map({ $0 >= 0 }) ?? true else { throw Cell.unreadable("the enrolment of \(name)") }
        let logKey = try logKey.map { raw in
            guard let key = try? PublicKey(raw: Array(raw)), key.suite == .ed25519 else { throw Cell.unreadable("the log key of \(name)") }
            return key
        }
        return Trust.Enrolment(key: try key(), logKey: logKey, enrolledAt: UInt64(enrolledAt), retiredAfter: retiredAfter.map(UInt64.init))
    }
}
