import Foundation
import GRDB
import RosterCore

/// Two valid key events at one seq of an agency origin: a fork of the agency's own
/// chain, which only its keys can make (a stolen key, or two offices that signed
/// at once). Which of the two a node applied depends on which came first, so
/// neither may count: from the fork on, the agency's key events are quarantined
/// on every node that holds both (their enrols, retires and rotations do not take
/// effect; the replicas they enrolled sign nothing that counts) until a later key
/// event, signed by the agency's keys as they stood before the fork, names the one
/// that stands by its `prev`. A node that applied the other changes the two over;
/// then every node goes on from the same chain. An event at a fork's next seq that
/// came before the fork was known was kept as a fork of its own; applied, it is no
/// proof of anything and leaves the table (`Transaction.apply`). See docs/model.md.
extension DatabaseReading {
    /// Each agency origin's lowest fork that no later key event has resolved yet.
    func unresolvedKeyEventForks() throws -> [String: UInt64] {
        var forks: [String: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT e.origin, e.seq FROM equivocation e WHERE e.origin LIKE '%/agency' AND NOT EXISTS (
                SELECT 1 FROM operation o WHERE o.origin_id = (SELECT id FROM origin WHERE name = e.origin) AND o.seq = e.seq + 1)
            """) {
            guard let origin = row.text("origin"), let seq = row.seq("seq") else { throw Cell.unreadable("a key-event fork") }
            forks[origin] = min(forks[origin] ?? .max, seq)
        }
        return forks
    }
}

extension Transaction {
    /// Where a key event of `incoming` resolves a fork in favour of the event kept as
    /// proof (its `prev` is the proof's hash), the proof and the applied event change
    /// places, the applied one now kept as proof. True if any did.
    func takeNamedKeyEvents(_ incoming: [CausalDelivery.Incoming]) throws -> Bool {
        let forks = try unresolvedKeyEventForks()
        guard !forks.isEmpty else { return false }
        let trust = try trust()
        var swapped = false
        for item in incoming {
            let op = item.operation.operation
            // Only the agency's own keys, as they stood before the fork, choose: a forged
            // event changes nothing and costs no rebuild.
            guard op.isKeyEvent, let fork = forks[op.origin], op.seq == fork + 1, let prev = op.prev,
                let keys = trust.agencies[op.agency]?.keys, (try? item.operation.verify(endorsedBy: keys)) != nil,
                let body = try String.fetchOne(db, sql: "SELECT body FROM equivocation WHERE origin = ? AND seq = ?", arguments: [op.origin, Int64(fork)]),
                let proof = try? SignedOperation(parsing: Array(body.utf8)), proof.hash == prev,
                let applied = try Row.fetchOne(db, sql: """
                    SELECT position, body FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?
                    """, arguments: [op.origin, Int64(fork)]),
                let position = applied.integer("position"), let appliedBody = applied.text("body")
            else { continue }
            // The log keeps what it logged, and logs the operation that now stands as a new leaf.
            try db.execute(sql: "UPDATE log_leaf SET body = ? WHERE position = ? AND body IS NULL", arguments: [appliedBody, position])
            try db.execute(sql: "UPDATE operation SET body = ? WHERE position = ?", arguments: [proof.text, position])
            try log.append(position: position, text: proof.text, in: db)
            try db.execute(sql: "UPDATE equivocation SET body = ? WHERE origin = ? AND seq = ?", arguments: [appliedBody, op.origin, Int64(fork)])
            try db.execute(sql: "UPDATE origin SET head_hash = ? WHERE name = ? AND head_seq = ?", arguments: [Data(proof.hash), op.origin, Int64(fork)])
            logger.warning("\(item.operation.dot) names \(proof.dot) of the fork as the one that stands: it takes the place of the one applied here")
            swapped = true
        }
        return swapped
    }
}
