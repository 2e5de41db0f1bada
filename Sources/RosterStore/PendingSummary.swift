import Foundation
import GRDB
import RosterCore

/// What waits, and what was refused, for one origin: what `roster pending` shows an
/// operator deciding whether to wait for a peer or purge.
public struct PendingOrigin: Sendable, Equatable {
    public var origin: String
    public var operations = 0
    public var bytes = 0
    /// The dots this origin's operations wait for, fewest first.
    public var waitsFor: [Dot] = []
    /// The earliest time an operation signed ahead of this node's clock waits for.
    public var waitsUntil: Timestamp?
    /// The suites its operations are signed with that this node cannot verify yet.
    public var unverifiable: [Suite] = []
    public var refused = 0
    public var lastRefusal: String?
}

extension DatabaseReading {
    func pendingByOrigin() throws -> [PendingOrigin] {
        var summary: [String: PendingOrigin] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT origin, count(*) AS operations, CAST(total(length(body)) AS INTEGER) AS bytes, waits_origin, waits_seq, min(waits_until) AS until
            FROM pending GROUP BY origin, waits_origin, waits_seq
            """) {
            guard let origin = row.text("origin"), let count = row.integer("operations") else { throw Cell.unreadable("a pending row") }
            summary[origin, default: PendingOrigin(origin: origin)].operations += Int(clamping: count)
            summary[origin, default: PendingOrigin(origin: origin)].bytes += Int(clamping: row.integer("bytes") ?? 0)
            if let suite = PendingRecord.suite(ofMarker: row.text("waits_origin")) {
                summary[origin, default: PendingOrigin(origin: origin)].unverifiable.append(suite)
            } else if let waits = row.text("waits_origin"), let seq = row.seq("waits_seq") {
                summary[origin, default: PendingOrigin(origin: origin)].waitsFor.append(Dot(origin: waits, seq: seq))
            }
            // Times are read back only in the range operations can carry: a cell
            // edited to anything else shows no time (audit names it).
            if let seconds = row.integer("until"), (0...253_402_300_799).contains(seconds) {
                let until = Timestamp(Date(timeIntervalSince1970: TimeInterval(seconds)))
                summary[origin, default: PendingOrigin(origin: origin)].waitsUntil = min(until, summary[origin]?.waitsUntil ?? until)
            }
        }
        for refusal in try Cell.decoding("a pending_refused row", { try PendingRefusalRecord.fetchAll(db) }) {
            summary[refusal.origin, default: PendingOrigin(origin: refusal.origin)].refused = Int(clamping: refusal.operations)
            summary[refusal.origin, default: PendingOrigin(origin: refusal.origin)].lastRefusal = refusal.reason
        }
        return summary.values.sorted { $0.origin < $1.origin }
    }
}

extension Transaction {
    /// Drops what an origin has pending and its refusal count: the operator's decision
    /// when a peer will never send the past those operations wait for. Returns how many.
    func purgePending(origin: String) throws -> Int {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM pending WHERE origin = ?", arguments: [origin]) ?? 0
        try PendingRecord.filter(PendingRecord.CodingKeys.origin == origin).deleteAll(db)
        try PendingRefusalRecord.filter(key: origin).deleteAll(db)
        logger.notice("purged \(count) pending operations of \(origin)")
        return count
    }
}
