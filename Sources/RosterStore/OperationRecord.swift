import GRDB
import RosterCore

/// A row of `operation`: a signed operation as applied, in its canonical text, at
/// `position` in the causal order this node applied them in. The origin is its row
/// id in `origin`; `target` copies the dot an amend or revoke targets, for its index.
struct OperationRecord: Encodable, MutablePersistableRecord {
    static let databaseTableName = "operation"

    var position: Int64?
    var originID: Int64
    var seq: Int64
    var target: String?
    var body: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case position, originID = "origin_id", seq, target, body
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { position = inserted.rowID }

    /// The statement that writes one row for `arguments(_:originID:)`: prepared once
    /// per transaction, since an import or a sync writes a million of them.
    static let insertSQL = "INSERT INTO operation (origin_id, seq, target, body) VALUES (?, ?, ?, ?)"

    static func arguments(_ operation: SignedOperation, originID: Int64) -> StatementArguments {
        [originID, Int64(operation.operation.seq), operation.operation.target?.description, operation.text]
    }
}
