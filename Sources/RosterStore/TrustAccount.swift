import Foundation
import GRDB
import RosterCore

/// One change an operator made to what this node trusts, with the pin and the
/// distrust it leaves the agency in: a row of `trust_event`.
struct TrustEventRecord: Codable, BlobColumns, MutablePersistableRecord {
    static let databaseTableName = "trust_event"

    var id: Int64?
    var time: String
    var agency: String
    var event: String
    var detail: String
    var root: String
    var distrusted: Bool
    /// SHA-256 of the previous event's hash (32 zero bytes for the first) and this event's `content`.
    var hash: Data

    enum CodingKeys: String, CodingKey {
        case id, time, agency, event, detail, root = "root_sha256", distrusted, hash
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// What the hash covers: every column but the id and the hash, as RFC 8785 JSON.
    var content: [UInt8] {
        CanonicalJSON.encode(["agency": .string(agency), "detail": .string(detail), "distrusted": .bool(distrusted),
                              "event": .string(event), "root": .string(root), "time": .string(time)])
    }

    func chained(after previous: Data?) -> Data {
        Data(SHA256Digest.of(Array(previous ?? Data(count: 32)) + content))
    }
}

/// The node's account of trust: the agencies' pins and distrust as the operator's
/// changes, replayed in order, leave them. The `agency` table's `root_sha256` and
/// `distrusted` are derived from it: `audit` compares the two and finds an edit of
/// either, `audit --rebuild` restores the table from the account.
struct TrustAccount {
    struct Pin: Equatable {
        var root: String
        var distrusted: Bool
    }

    private(set) var pins: [String: Pin] = [:]
    /// Where the account does not hold together: an unreadable row or a broken chain.
    private(set) var findings: [String] = []

    /// Replays `trust_event`, checking each row's hash against the one before.
    init(_ db: Database) throws {
        var previous: Data?
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM trust_event ORDER BY id")
        while let row = try rows.next() {
            guard let event = try? TrustEventRecord(row: row) else {
                findings.append("trust event \(row["id"] as DatabaseValue) is unreadable: the trust_event table was edited")
                previous = nil
                continue
            }
            if event.hash != event.chained(after: previous) {
                findings.append("trust event \(event.id ?? 0) (\(event.event) \(event.agency)) does not chain to the one before: "
                    + "the trust_event table was edited")
            }
            previous = event.hash
            pins[event.agency] = Pin(root: event.root, distrusted: event.distrusted)
        }
    }
}

extension Transaction {
    /// Writes `event` of `agency` to the account, chained to the last one, and the pin it leaves to the agency table.
    func record(_ agency: String, _ event: String, _ detail: String, root: String, distrusted: Bool) throws {
        let previous = try Data.fetchOne(db, sql: "SELECT hash FROM trust_event ORDER BY id DESC LIMIT 1")
        var record = TrustEventRecord(id: nil, time: now.text, agency: agency, event: event, detail: detail, root: root,
                                      distrusted: distrusted, hash: Data())
        record.hash = record.chained(after: previous)
        try record.insert(db)
        try db.execute(sql: """
            INSERT INTO agency (name, root_sha256, distrusted) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET root_sha256 = excluded.root_sha256, distrusted = excluded.distrusted
            """, arguments: [agency, root, distrusted])
    }
}

extension DatabaseReading {
    /// Every change to what this node trusts, in the order made.
    func trustHistory() throws -> [Store.TrustEvent] {
        let records = try Cell.decoding("a trust event") { try TrustEventRecord.order(Column("id")).fetchAll(db) }
        return records.map { Store.TrustEvent(time: $0.time, agency: $0.agency, event: $0.event, detail: $0.detail) }
    }
}
