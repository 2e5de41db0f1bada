import Dispatch
import GRDB
import RosterCore

/// What `roster audit` found. An empty `findings` means every signature, chain,
/// clock and derived row checked out.
public struct AuditReport: Sendable {
    public var operations = 0
    public var entries = 0
    public var pending = 0
    public var equivocations = 0
    public var digest = ""
    public var findings: [String] = []
}

/// Re-derives everything from the signed operations and compares: trusts no derived
/// row, no head and no earlier verification.
public enum Auditor {
    public static func audit(_ store: Store, progress: (Int, Int) -> Void = { _, _ in }) throws -> AuditReport {
        try store.read { snapshot in try run(snapshot, progress: progress) }
    }

    static func run(_ snapshot: Snapshot, progress: (Int, Int) -> Void) throws -> AuditReport {
        let db = snapshot.db
        var report = AuditReport()
        let keys = try snapshot.keys()
        let recordedHeads = try snapshot.heads()
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM operation") ?? 0

        // Changes (amends, revokes) are few next to adds: hold them in memory by target.
        var changes: [Dot: [Operation]] = [:]
        var finalSeq: [String: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin.name, max(seq) FROM operation JOIN origin ON origin.id = origin_id GROUP BY origin_id") {
            finalSeq[row[0]] = UInt64(row[1] as Int64)
        }

        // Entries are compared by a merge join: both sides stream in dot order.
        let derived = try Row.fetchCursor(db, sql: "SELECT \(EntryRow.columns) FROM entry ORDER BY origin, seq")
        var nextDerived = try derived.next().map { row in Result { try EntryRow.entry(row) } }
        var digest = StateDigest()
        var pendingAdds: [(Operation, Dot)] = []
        var nonAdds: Set<Dot> = []

        func compare(_ expected: Entry) throws {
            digest.add(expected)
            report.entries += 1
            while let current = nextDerived {
                let id: Dot
                switch current {
                case .success(let entry): id = entry.id
                case .failure(let error):
                    report.findings.append((error as? RosterError)?.reason ?? "\(error)")
                    nextDerived = try derived.next().map { row in Result { try EntryRow.entry(row) } }
                    continue
                }
                if id < expected.id {
                    report.findings.append("entry \(id) is in the entry table but no operation adds it")
                    nextDerived = try derived.next().map { row in Result { try EntryRow.entry(row) } }
                    continue
                }
                if id == expected.id {
                    if case .success(let entry) = current, entry != expected {
                        report.findings.append("entry \(id) in the entry table differs from its signed operations: run roster audit --rebuild")
                    }
                    nextDerived = try derived.next().map { row in Result { try EntryRow.entry(row) } }
                } else {
                    report.findings.append("entry \(expected.id) is missing from the entry table: run roster audit --rebuild")
                }
                return
            }
            report.findings.append("entry \(expected.id) is missing from the entry table: run roster audit --rebuild")
        }

        for row in try Row.fetchAll(db, sql: "SELECT body FROM operation WHERE target IS NOT NULL") {
            if let operation = try? SignedOperation(parsing: Array((row[0] as String).utf8)), let target = operation.operation.target {
                changes[target, default: []].append(operation.operation)
            }
        }

        // Operations in dot order: chains are per origin, so each is checked as it streams by.
        let rows = try Row.fetchCursor(db, sql: """
            SELECT origin.name, seq, target, body FROM origin JOIN operation ON origin_id = origin.id ORDER BY origin.name, seq
            """)
        var batch: [(origin: String, seq: Int64, target: String?, body: String)] = []
        var chainOrigin = ""
        var chainHead: CausalDelivery.Head?

        func process(_ batch: [(origin: String, seq: Int64, target: String?, body: String)],
                     _ parsed: [Result<SignedOperation, RosterError>]) throws {
            for (index, result) in parsed.enumerated() {
                let stored = batch[index]
                report.operations += 1
                guard case .success(let operation) = result else {
                    if case .failure(let reason) = result {
                        report.findings.append("operation \(stored.origin):\(stored.seq): \(reason.reason)")
                    }
                    continue
                }
                let op = operation.operation
                if op.origin != stored.origin || Int64(op.seq) != stored.seq || op.target?.description != stored.target {
                    report.findings.append("operation row \(stored.origin):\(stored.seq) holds operation \(op.dot): the row was edited")
                }
                if op.origin != chainOrigin {
                    if !chainOrigin.isEmpty { checkHead(chainOrigin, chainHead) }
                    chainOrigin = op.origin
                    chainHead = nil
                }
                if op.seq != (chainHead?.seq ?? 0) + 1 {
                    report.findings.append("\(op.origin) jumps from seq \(chainHead?.seq ?? 0) to \(op.seq): an operation is missing")
                } else if op.prev ?? [] != chainHead?.hash ?? [] {
                    report.findings.append("operation \(op.dot) does not chain to \(op.origin):\(op.seq - 1) (prev hash differs)")
                }
                chainHead = CausalDelivery.Head(seq: op.seq, hash: operation.hash)
                for (origin, seq) in op.clock.counters where origin != op.origin && (finalSeq[origin] ?? 0) < seq {
                    report.findings.append("operation \(op.dot) depends on \(origin):\(seq), which this node does not hold")
                }
                if let target = op.target {
                    nonAdds.insert(op.dot)
                    if (finalSeq[target.origin] ?? 0) < target.seq {
                        report.findings.append("operation \(op.dot) targets \(target), which this node does not hold")
                    }
                } else {
                    pendingAdds.append((op, op.dot))
                }
            }
            for (add, dot) in pendingAdds {
                try compare(Entry.resolve(add: add, changes: changes[dot] ?? []))
            }
            pendingAdds.removeAll(keepingCapacity: true)
            progress(report.operations, total)
        }

        func checkHead(_ origin: String, _ head: CausalDelivery.Head?) {
            if recordedHeads[origin] != head {
                report.findings.append("the recorded head of \(origin) does not match its last operation: run roster audit --rebuild")
            }
        }

        // Signatures of one batch are checked on every core while this thread
        // checks chains and entries of the batch before.
        var inFlight: (batch: [(origin: String, seq: Int64, target: String?, body: String)], work: VerificationWork)?
        func dispatch() throws {
            let work = VerificationWork(bodies: batch.map(\.body), keys: keys)
            if let previous = inFlight { try process(previous.batch, previous.work.wait()) }
            inFlight = (batch, work)
            batch.removeAll(keepingCapacity: true)
        }
        while let row = try rows.next() {
            batch.append((row[0], row[1], row[2], row[3]))
            if batch.count == 4096 { try dispatch() }
        }
        try dispatch()
        if let previous = inFlight { try process(previous.batch, previous.work.wait()) }
        if !chainOrigin.isEmpty { checkHead(chainOrigin, chainHead) }
        for (origin, _) in recordedHeads where finalSeq[origin] == nil {
            report.findings.append("the recorded head of \(origin) names operations this node does not hold")
        }
        for target in changes.keys where nonAdds.contains(target) {
            report.findings.append("operations target \(target), which is not an add")
        }
        while let current = nextDerived {
            if case .success(let entry) = current {
                report.findings.append("entry \(entry.id) is in the entry table but no operation adds it")
            }
            nextDerived = try derived.next().map { row in Result { try EntryRow.entry(row) } }
        }
        report.digest = digest.finalize()

        // Pending operations must still verify; equivocation proofs must prove something.
        for operation in try snapshot.pendingOperations() {
            report.pending += 1
            if case .failure(let error) = Verifier.check(operation, keys: keys) {
                report.findings.append("pending \(error.reason)")
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT body FROM equivocation") {
            report.equivocations += 1
            let proof = try SignedOperation(parsing: Array((row[0] as String).utf8))
            if case .failure(let error) = Verifier.check(proof, keys: keys) {
                report.findings.append("equivocation proof \(error.reason)")
            }
            report.findings.append("\(proof.operation.origin) equivocated: two different operations are both numbered \(proof.dot)")
        }
        return report
    }

    /// A batch being verified in the background.
    final class VerificationWork: @unchecked Sendable {
        private let group = DispatchGroup()
        private var results: [Result<SignedOperation, RosterError>] = []

        init(bodies: [String], keys: [String: PublicKey]) {
            DispatchQueue.global().async(group: group) { [self] in
                results = Auditor.verifyInParallel(bodies, keys: keys)
            }
        }

        func wait() -> [Result<SignedOperation, RosterError>] {
            group.wait()
            return results
        }
    }

    /// Parses and verifies on every core; results keep the input order.
    static func verifyInParallel(_ bodies: [String], keys: [String: PublicKey]) -> [Result<SignedOperation, RosterError>] {
        let results = UnsafeResults<Result<SignedOperation, RosterError>>(count: bodies.count)
        let chunk = 512
        DispatchQueue.concurrentPerform(iterations: (bodies.count + chunk - 1) / chunk) { index in
            for position in index * chunk..<min(bodies.count, (index + 1) * chunk) {
                do {
                    let operation = try SignedOperation(parsing: Array(bodies[position].utf8))
                    results.set(position, Verifier.check(operation, keys: keys))
                } catch let error as RosterError {
                    results.set(position, .failure(error))
                } catch {
                    results.set(position, .failure(RosterError(.malformedOperation, "\(error)")))
                }
            }
        }
        return results.values.map { $0! }
    }
}
