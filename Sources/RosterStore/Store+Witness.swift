import GRDB
import RosterCore

/// What a node gossips in sync about logs: the latest checkpoint it has seen of
/// each (its own included), and the proofs it holds that a node showed two histories.
public struct LogGossip: Sendable {
    /// The most of each a message may carry: one a log, and more logs than a federation has.
    public static let maximumItems = 1024

    public var checkpoints: [SignedNote] = []
    public var conflicts: [(first: SignedNote, second: SignedNote)] = []

    public init(checkpoints: [SignedNote] = [], conflicts: [(first: SignedNote, second: SignedNote)] = []) {
        self.checkpoints = checkpoints
        self.conflicts = conflicts
    }

    public var json: JSON {
        .object([
            "checkpoints": .array(checkpoints.map { .string($0.serialized) }),
            "conflicts": .array(conflicts.map { .array([.string($0.first.serialized), .string($0.second.serialized)]) }),
        ])
    }

    public init(json: JSON) throws {
        guard let checkpoints = json["checkpoints"]?.array, let conflicts = json["conflicts"]?.array,
            checkpoints.count <= Self.maximumItems, conflicts.count <= Self.maximumItems
        else {
            throw RosterError(.badInput, "gossip is {checkpoints, conflicts}, at most \(Self.maximumItems) of each")
        }
        self.checkpoints = try checkpoints.map { try SignedNote(parsing: $0.string ?? "") }
        self.conflicts = try conflicts.map { pair in
            guard let notes = pair.array, notes.count == 2 else { throw RosterError(.badInput, "a conflict is a pair of signed checkpoints") }
            return (try SignedNote(parsing: notes[0].string ?? ""), try SignedNote(parsing: notes[1].string ?? ""))
        }
    }
}

/// A proof that a node showed two histories of its log.
public struct LogConflict: Sendable {
    public let origin: String
    public let first: SignedNote
    public let second: SignedNote
    /// An operator has looked into it: sync with the node goes on (`Node.acknowledge`).
    public var acknowledged = false

    /// Whether the pair proves it: one log, one size, two roots, both signed by `key`.
    public func holds(key: PublicKey) -> Bool {
        Self.contradict(first, second, origin: origin) && first.isSigned(by: origin, key: key) && second.isSigned(by: origin, key: key)
    }

    /// Whether two checkpoints of `origin` state one size with two roots (signatures aside).
    static func contradict(_ a: SignedNote, _ b: SignedNote, origin: String) -> Bool {
        guard let a = try? Checkpoint(text: a.text), let b = try? Checkpoint(text: b.text) else { return false }
        return a.origin == origin && b.origin == origin && a.size == b.size && a.root != b.root
    }

    public var description: String {
        let size = (try? Checkpoint(text: first.text))?.size ?? 0
        return "\(origin) showed two histories: two checkpoints of size \(size) with different roots, both signed by its key"
    }
}

extension Node {
    /// This node's name as a witness of its peers' logs.
    public var witnessName: String { Cosignature.name(of: identity.origin) }

    public enum WitnessAnswer: Sendable, Equatable {
        case cosigned(SignedNote.Signature)
        case refused(Witness.Decision)
        /// 404: not the log of a replica this node's trusted agencies enrolled.
        case unknownLog
    }

    /// Answers a C2SP `tlog-witness` `add-checkpoint` request: decides (`Witness`) and
    /// records in one transaction, so that two requests cannot both extend one size.
    public func witness(_ request: Witness.Request) async throws -> WitnessAnswer {
        let (name, key, own) = (witnessName, replica.logKey, logOrigin)
        return try await store.write { transaction in
            let db = transaction.db
            let origin = request.checkpoint.origin
            guard origin != own, let replica = Checkpoint.replica(ofLog: origin), let enrolment = try transaction.trust().replicas[replica] else {
                return .unknownLog
            }
            // A retired replica signs nothing more that counts.
            guard enrolment.retiredAfter == nil else { return .refused(.forbidden) }
            let view = try LogViewRecord.fetchOne(db, key: origin)
            let cosigned = view?.cosigned.flatMap { try? SignedNote(parsing: $0) }
            let seen = view?.seen.flatMap { try? SignedNote(parsing: $0) }
            // A node proven to have shown two histories gets nothing more cosigned, until an operator acts.
            if let kept = try LogConflictRecord.fetchOne(db, key: origin), !kept.acknowledged { return .refused(.forbidden) }
            let (decision, contradicts) = Witness.decide(request, key: enrolment.logKey, cosigned: cosigned, seen: seen.map { [$0] } ?? [])
            // Only the log's own signature is kept of what was shown: nobody's padding.
            let shown = request.note.signed(by: origin, key: enrolment.logKey)
            if let contradicts, let shown {
                try Self.keep(LogConflict(origin: origin, first: contradicts, second: shown), db)
            }
            guard decision == .cosign, let shown else { return .refused(decision) }
            let signature = try Cosignature.sign(request.note.text, name: name, key: key, time: UInt64(max(0, transaction.now.seconds)))
            let larger = (seen.flatMap { try? Checkpoint(text: $0.text) }?.size ?? -1) > request.checkpoint.size ? seen : shown
            try LogViewRecord(origin: origin, cosigned: shown.serialized, seen: larger?.serialized).save(db)
            return .cosigned(signature)
        }
    }

    /// What this node gossips: its own latest checkpoint, the largest it has seen of
    /// every other log, and the proofs of conflict it holds.
    public func gossip() async throws -> LogGossip {
        let own = try await latestCheckpoint()
        return try await store.read { snapshot in
            var gossip = LogGossip(checkpoints: own.map { [$0] } ?? [])
            for view in try LogViewRecord.fetchAll(snapshot.db).prefix(LogGossip.maximumItems - 1) {
                if let seen = view.seen.flatMap({ try? SignedNote(parsing: $0) }) { gossip.checkpoints.append(seen) }
            }
            for conflict in try LogConflictRecord.fetchAll(snapshot.db).prefix(LogGossip.maximumItems) {
                if let first = try? SignedNote(parsing: conflict.first), let second = try? SignedNote(parsing: conflict.second) {
                    gossip.conflicts.append((first, second))
                }
            }
            return gossip
        }
    }

    /// Takes in a peer's gossip: checkpoints of logs whose replicas this node's trusted
    /// agencies enrolled (and did not retire), each signed by its replica, are compared
    /// with what this node has seen, and a contradiction is kept as a proof; proofs are
    /// checked and kept. Signatures are checked before the write, on the bulk threads,
    /// one per note, and only the log's own signature is kept. Returns the origins of
    /// the conflicts newly found or learned.
    @discardableResult
    public func hear(_ gossip: LogGossip) async throws -> [String] {
        let own = logOrigin
        let replicas = try await store.trust().replicas
        let (checkpoints, conflicts) = await CPUWork.run { () -> ([(Checkpoint, SignedNote)], [LogConflict]) in
            func key(of origin: String) -> PublicKey? {
                guard let enrolment = Checkpoint.replica(ofLog: origin).flatMap({ replicas[$0] }), enrolment.retiredAfter == nil else { return nil }
                return enrolment.logKey
            }
            let checkpoints = gossip.checkpoints.prefix(LogGossip.maximumItems).compactMap { note -> (Checkpoint, SignedNote)? in
                guard let checkpoint = try? Checkpoint(text: note.text), checkpoint.origin != own, let key = key(of: checkpoint.origin),
                    let kept = note.signed(by: checkpoint.origin, key: key)
                else { return nil }
                return (checkpoint, kept)
            }
            let conflicts = gossip.conflicts.prefix(LogGossip.maximumItems).compactMap { first, second -> LogConflict? in
                guard let origin = (try? Checkpoint(text: first.text))?.origin, let key = key(of: origin),
                    let first = first.signed(by: origin, key: key), let second = second.signed(by: origin, key: key),
                    LogConflict.contradict(first, second, origin: origin)
                else { return nil }
                return LogConflict(origin: origin, first: first, second: second)
            }
            return (checkpoints, conflicts)
        }
        return try await store.write { transaction in
            let db = transaction.db
            var found: [String] = []
            for (checkpoint, note) in checkpoints {
                let view = try LogViewRecord.fetchOne(db, key: checkpoint.origin)
                var larger = true
                // What is stored was checked when it was stored.
                for earlier in [view?.cosigned, view?.seen].compactMap({ $0 }).compactMap({ try? SignedNote(parsing: $0) }) {
                    if LogConflict.contradict(earlier, note, origin: checkpoint.origin),
                        try Self.keep(LogConflict(origin: checkpoint.origin, first: earlier, second: note), db) {
                        found.append(checkpoint.origin)
                    }
                    if let other = try? Checkpoint(text: earlier.text), other.size >= checkpoint.size { larger = false }
                }
                if larger {
                    try LogViewRecord(origin: checkpoint.origin, cosigned: view?.cosigned, seen: note.serialized).save(db)
                }
            }
            for conflict in conflicts where try Self.keep(conflict, db) { found.append(conflict.origin) }
            return found
        }
    }

    /// Keeps a proof: the first about a log, or one about another fork after an
    /// operator acknowledged the last (so a node that forks again stops sync again).
    /// Whether it was kept.
    static func keep(_ conflict: LogConflict, _ db: Database) throws -> Bool {
        if let kept = try LogConflictRecord.fetchOne(db, key: conflict.origin) {
            guard kept.acknowledged, let first = try? SignedNote(parsing: kept.first), let second = try? SignedNote(parsing: kept.second),
                Set([first.text, second.text]) != Set([conflict.first.text, conflict.second.text])
            else { return false }
        }
        try LogConflictRecord(origin: conflict.origin, first: conflict.first.serialized, second: conflict.second.serialized).save(db)
        return true
    }

    /// The proofs of conflict this node holds.
    public func conflicts() async throws -> [LogConflict] {
        try await store.read { snapshot in
            try LogConflictRecord.fetchAll(snapshot.db).compactMap { record in
                guard let first = try? SignedNote(parsing: record.first), let second = try? SignedNote(parsing: record.second) else { return nil }
                return LogConflict(origin: record.origin, first: first, second: second, acknowledged: record.acknowledged)
            }
        }
    }

    /// Marks the proof about `origin`'s log as looked into: sync with its node goes on,
    /// and the proof stays, for audit and for peers. False when there is none.
    public func acknowledgeConflict(of origin: String) async throws -> Bool {
        try await store.write { transaction in
            guard var record = try LogConflictRecord.fetchOne(transaction.db, key: origin) else { return false }
            record.acknowledged = true
            try record.update(transaction.db)
            return true
        }
    }
}
