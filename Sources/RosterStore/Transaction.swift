import Foundation
import GRDB
import Logging
import RosterCore

/// One write transaction: operations applied here land together or not at all.
public struct Transaction: DatabaseReading {
    public let db: Database
    let logger: Logger

    /// Accepts a signer; an origin already known with another key is refused, since
    /// replacing a key silently would let anyone rewrite that origin's history.
    public func register(origin: String, key: PublicKey) throws {
        guard Origin.isValid(origin) else {
            throw RosterError(.invalidField, "\"\(origin)\" is not an origin like kz-mvd/astana-1")
        }
        if let known = try keys()[origin] {
            guard known == key else {
                throw RosterError(.badKey, "\(origin) is already known with another key (\(known.base64)): key rotation is not supported yet")
            }
            return
        }
        try db.execute(sql: "INSERT INTO origin (name, public_key) VALUES (?, ?)", arguments: [origin, Data(key.raw)])
    }

    /// Takes operations whose signatures were checked (failures stay rejected), applies
    /// those whose causal past is held, and keeps the rest pending.
    public func receive(_ verified: [Result<SignedOperation, RosterError>]) throws -> [CausalDelivery.Outcome] {
        let valid = verified.compactMap { try? $0.get() }
        let pending = try String.fetchAll(db, sql: "SELECT body FROM pending").map { try SignedOperation(parsing: Array($0.utf8)) }
        let lookup = try db.cachedStatement(sql: """
            SELECT body, target IS NULL FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?
            """)
        let plan = try CausalDelivery.plan(incoming: valid, pending: pending, heads: heads()) { dot in
            guard let row = try Row.fetchOne(lookup, arguments: [dot.origin, Int64(dot.seq)]) else { return nil }
            guard let body = row.text(0), let isAdd = row.integer(1) else { throw Cell.unreadable("operation \(dot)") }
            return CausalDelivery.Applied(hash: SHA256Digest.of(Array(body.utf8)), isAdd: isAdd == 1)
        }
        for operation in plan.apply { try apply(operation) }
        try db.execute(sql: "DELETE FROM pending")
        for operation in plan.pending {
            try db.execute(sql: "INSERT INTO pending (origin, seq, body) VALUES (?, ?, ?)",
                           arguments: [operation.operation.origin, Int64(operation.operation.seq), operation.text])
        }
        for operation in plan.equivocations {
            try db.execute(sql: "INSERT OR IGNORE INTO equivocation (origin, seq, body) VALUES (?, ?, ?)",
                           arguments: [operation.operation.origin, Int64(operation.operation.seq), operation.text])
            try db.execute(sql: "UPDATE origin SET equivocating = 1 WHERE name = ?", arguments: [operation.operation.origin])
            logger.warning("equivocation by \(operation.operation.origin) at \(operation.dot): both operations kept as proof")
        }
        var outcomes = plan.outcomes.makeIterator()
        return verified.map { result in
            switch result {
            case .success: return outcomes.next()!
            case .failure(let error): return .rejected(error)
            }
        }
    }

    /// Makes, signs and applies this replica's next operation.
    @discardableResult
    public func append(_ payload: RosterCore.Operation.Payload, by replica: Replica, time: Timestamp = .now()) throws -> SignedOperation {
        if let target = payload.target {
            guard let entry = try entry(target) else {
                throw RosterError(.unknownEntry, "no entry \(target): roster list shows the ids")
            }
            guard entry.agency == replica.agency else {
                throw RosterError(.forbiddenTarget, "entry \(target) belongs to \(entry.agency): only that agency may change it")
            }
            guard entry.isLive else {
                throw RosterError(.revokedEntry, "entry \(target) is revoked, and a revoke is final: add the resource again for a new entry")
            }
        }
        let heads = try heads()
        guard (heads[replica.origin]?.seq ?? 0) < UInt64(Int64.max) else { throw Cell.unreadable("the head of \(replica.origin)") }
        let clock = VectorClock(heads.mapValues(\.seq))
        let operation = replica.make(payload, after: heads[replica.origin], clock: clock, time: time)
        try SignedOperation.checkSize(operation.bytes.count)
        try apply(operation)
        return operation
    }

    /// Writes an operation whose causal past is held, and the derived rows it changes.
    func apply(_ operation: SignedOperation) throws {
        let op = operation.operation
        let insert = try db.cachedStatement(sql: """
            INSERT INTO operation (origin_id, seq, target, body) VALUES ((SELECT id FROM origin WHERE name = ?), ?, ?, ?)
            """)
        try insert.execute(arguments: [op.origin, Int64(op.seq), op.target?.description, operation.text])
        let head = try db.cachedStatement(sql: "UPDATE origin SET head_seq = ?, head_hash = ? WHERE name = ?")
        try head.execute(arguments: [Int64(op.seq), Data(operation.hash), op.origin])
        switch op.payload {
        case .add(let resource, let fields):
            let row = try db.cachedStatement(sql: EntryRow.insertSQL)
            try row.execute(arguments: EntryRow.arguments(Entry(id: op.dot, resource: resource, fields: fields)))
        case .amend(let target, _), .revoke(let target, _):
            guard let entry = try resolveEntry(target) else {
                throw RosterError(.unknownEntry, "operation \(op.dot) targets \(target), which this node does not hold")
            }
            try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [target.origin, Int64(target.seq)])
            try db.execute(sql: EntryRow.insertSQL, arguments: EntryRow.arguments(entry))
        }
    }

    /// Writes this replica's own adds, already chained and signed: the import path,
    /// with one head update for the whole batch.
    func applyOwnAdds(_ operations: [SignedOperation]) throws {
        guard let last = operations.last else { return }
        let originID = try Int64.fetchOne(db, sql: "SELECT id FROM origin WHERE name = ?", arguments: [last.operation.origin])
        let insert = try db.cachedStatement(sql: "INSERT INTO operation (origin_id, seq, target, body) VALUES (?, ?, NULL, ?)")
        let row = try db.cachedStatement(sql: EntryRow.insertSQL)
        for operation in operations {
            let op = operation.operation
            guard case .add(let resource, let fields) = op.payload, op.origin == last.operation.origin else {
                preconditionFailure("one replica's own adds only")
            }
            try insert.execute(arguments: [originID, Int64(op.seq), operation.text])
            try row.execute(arguments: EntryRow.arguments(Entry(id: op.dot, resource: resource, fields: fields)))
        }
        try db.execute(sql: "UPDATE origin SET head_seq = ?, head_hash = ? WHERE name = ?",
                       arguments: [Int64(last.operation.seq), Data(last.hash), last.operation.origin])
    }

    /// Replays every applied operation into fresh derived tables.
    public func rebuild(progress: (Int) -> Void = { _ in }) throws {
        try db.execute(sql: "DELETE FROM entry; DELETE FROM meta; UPDATE origin SET head_seq = 0, head_hash = NULL")
        let bodies = try String.fetchCursor(db, sql: "SELECT body FROM operation ORDER BY position")
        var changed: Set<Dot> = []
        var count = 0
        let head = try db.makeStatement(sql: "UPDATE origin SET head_seq = ?, head_hash = ? WHERE name = ?")
        let row = try db.makeStatement(sql: EntryRow.insertSQL)
        while let body = try bodies.next() {
            let operation = try SignedOperation(parsing: Array(body.utf8))
            let op = operation.operation
            try head.execute(arguments: [Int64(op.seq), Data(operation.hash), op.origin])
            switch op.payload {
            case .add(let resource, let fields):
                try row.execute(arguments: EntryRow.arguments(Entry(id: op.dot, resource: resource, fields: fields)))
            case .amend(let target, _), .revoke(let target, _):
                changed.insert(target)
            }
            count += 1
            if count % 10_000 == 0 { progress(count) }
        }
        for id in changed {
            guard let entry = try resolveEntry(id) else { continue }
            try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [id.origin, Int64(id.seq)])
            try db.execute(sql: EntryRow.insertSQL, arguments: EntryRow.arguments(entry))
        }
        progress(count)
    }
}
