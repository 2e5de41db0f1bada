import GRDB

/// A row of `log_checkpoint`: a checkpoint this node signed, as served (a C2SP
/// signed note), with its size and time.
struct LogCheckpointRecord: Encodable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "log_checkpoint"

    var id: Int64?
    var size: Int64
    var time: String
    var note: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, size, time, note
    }

    init(size: Int64, time: String, note: String) {
        self.size = size
        self.time = time
        self.note = note
    }

    init(row: Row) throws {
        id = try row.requireInteger(CodingKeys.id.rawValue, "a checkpoint row")
        size = try row.requireInteger(CodingKeys.size.rawValue, "a checkpoint row")
        time = try row.requireText(CodingKeys.time.rawValue, "a checkpoint row")
        note = try row.requireText(CodingKeys.note.rawValue, "a checkpoint row")
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
