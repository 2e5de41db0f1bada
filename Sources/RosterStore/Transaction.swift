import Foundation
import GRDB
import Logging
import NationalSuites
import RosterCore

/// One write transaction: operations applied here land together or not at all.
struct Transaction: DatabaseReading {
    let db: Database
    let logger: Logger
    /// The time of this transaction, from the store's clock.
    let now: Timestamp
    /// Where every operation this transaction applies is logged, in the order applied.
    let log = LogAppender()

    /// Takes operations whose signatures were checked (failures stay rejected), applies
    /// those whose causal past is held with whatever they unblock, and keeps the rest
    /// pending within `PendingLimits`. Reads only the pending operations that an
    /// applied dot wakes, so a batch costs what it moves, not what waits.
    /// `jurisdictions` names those of agencies whose descriptor is being added.
    func receive(_ verified: [Result<CausalDelivery.Incoming, RosterError>], from source: String,
                 jurisdictions: [String: String] = [:]) throws -> [CausalDelivery.Outcome] {
        let incoming = verified.compactMap { try? $0.get() }
        // What this machine cannot verify yet waits apart, unverified; what waited so
        // and now can be verified is planned as if it had just arrived.
        let arriving = incoming.filter { $0.unverifiable == nil } + (try verifiableAgain())
        // Key events that do not certify their keys where this node requires it.
        let uncertified = try uncertifiedKeyEvents(arriving, jurisdictions: jurisdictions)
        let valid = arriving.filter { uncertified[$0.operation.dot] == nil }
        // An agency's fork is quarantined, or resolved, by what this batch brings: then
        // the trust and the view are derived again, from its key events (`KeyEventForks`).
        let disputed = try unresolvedKeyEventForks()
        let swapped = try takeNamedKeyEvents(valid)
        // Operations that waited for their time, which has come: they join this batch.
        let due = try Row.fetchAll(db, sql: "SELECT body FROM pending WHERE waits_until <= ?",
                                   arguments: [now.seconds + CausalDelivery.maximumSkew]).compactMap { row in
            row.text("body").flatMap { try? SignedOperation(parsing: Array($0.utf8)) }
        }
        let lookup = try db.cachedStatement(sql: """
            SELECT body, target IS NULL AS untargeted, instr(body, '"mirror_of":') > 0 AS mirror FROM operation
            WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?
            """)
        // A copy kept unverified is no operation the plan may compare another with.
        let pendingByDot = try db.cachedStatement(sql: "SELECT body FROM pending WHERE origin = ? AND seq = ? AND NOT coalesce(\(Self.unverified), 0)")
        let pendingByWait = try db.cachedStatement(sql: "SELECT body FROM pending WHERE waits_origin = ? AND waits_seq = ?")
        func parsed(_ rows: [Row], waitingFor what: String) -> [SignedOperation] {
            rows.compactMap { row in
                // A row edited into garbage waits on; audit names it.
                guard let body = row.text("body"), let operation = try? SignedOperation(parsing: Array(body.utf8)) else {
                    logger.warning("a pending operation waiting for \(what) does not parse: run roster audit")
                    return nil
                }
                return operation
            }
        }
        // Most batches meet an empty pending set (a sync in causal order): then no
        // operation costs two more lookups.
        let anyPending = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pending)") ?? true
        let plan = try CausalDelivery.plan(
            incoming: valid, heads: heads(), trust: trust(),
            applied: { dot in
                guard let row = try Row.fetchOne(lookup, arguments: [dot.origin, Int64(dot.seq)]) else { return nil }
                guard let body = row.text("body"), let isAdd = row.integer("untargeted"), let isMirror = row.integer("mirror") else {
                    throw Cell.unreadable("operation \(dot)")
                }
                // A key event's hash leaves its signatures out (see `SignedOperation.hash`).
                let hash = Origin.isAgencyOrigin(dot.origin)
                    ? try SignedOperation(parsing: Array(body.utf8)).hash : SHA256Digest.of(Array(body.utf8))
                // Bodies are canonical: a quote that ends a member name can only be a
                // member's, and no nested object has a member of that name, so the text
                // "mirror_of": appears in a body only as the member of a mirror's add.
                return CausalDelivery.Applied(hash: hash, isAdd: isAdd == 1 && !Origin.isAgencyOrigin(dot.origin), isMirror: isMirror == 1)
            },
            stored: { dot in
                guard anyPending else { return nil }
                guard let row = try Row.fetchOne(pendingByDot, arguments: [dot.origin, Int64(dot.seq)]) else { return nil }
                guard let body = row.text("body"), let operation = try? SignedOperation(parsing: Array(body.utf8)) else {
                    throw Cell.unreadable("pending operation \(dot)")
                }
                return operation
            },
            waitingFor: { dot in
                guard anyPending else { return [] }
                return parsed(try Row.fetchAll(pendingByWait, arguments: [dot.origin, Int64(dot.seq)]), waitingFor: dot.description)
            },
            waitingAfter: { origin, after in
                guard anyPending else { return [] }
                return parsed(try Row.fetchAll(db, sql: """
                    SELECT body FROM pending WHERE (waits_origin = ? AND waits_seq > ?) OR (origin = ? AND seq > ?)
                    """, arguments: [origin, Int64(clamping: after), origin, Int64(clamping: after)]), waitingFor: "\(origin) past \(after)")
            },
            due: due,
            isEarly: { CausalDelivery.isEarly($0, now: now) })
        // What verified takes the place of a copy kept unverified at its dot, which proves nothing.
        try replaceUnverified(plan.apply + plan.waiting.map(\.operation) + plan.early)
        // Proofs first: a quarantine they prove is in the database while what follows is applied.
        for operation in plan.equivocations { try keepProof(operation) }
        for operation in plan.apply { try apply(operation) }
        let release = try db.cachedStatement(sql: "DELETE FROM pending WHERE origin = ? AND seq = ?")
        for dot in plan.released { try release.execute(arguments: [dot.origin, Int64(dot.seq)]) }
        let move = try db.cachedStatement(sql: "UPDATE pending SET waits_origin = ?, waits_seq = ?, waits_until = NULL WHERE origin = ? AND seq = ?")
        for waiting in plan.moved {
            try move.execute(arguments: [waiting.waitsFor.origin, Int64(waiting.waitsFor.seq),
                                         waiting.operation.operation.origin, Int64(waiting.operation.operation.seq)])
        }
        var refused: [Dot: RosterError] = [:]
        if !plan.waiting.isEmpty || !plan.early.isEmpty {
            var usage = try PendingUsage(db, origins: Set((plan.waiting.map(\.operation) + plan.early).map(\.operation.origin)), source: source)
            let count = try db.cachedStatement(sql: """
                INSERT INTO pending_refused (origin, operations, reason) VALUES (?, 1, ?)
                ON CONFLICT (origin) DO UPDATE SET operations = operations + 1, reason = excluded.reason
                """)
            for waiting in plan.waiting {
                let operation = waiting.operation
                if let reason = usage.admit(operation, waitingFor: waiting.waitsFor.description, source: source) {
                    refused[operation.dot] = reason
                    try count.execute(arguments: [operation.operation.origin, reason.reason])
                    continue
                }
                try PendingRecord(operation, waitingFor: waiting.waitsFor, source: source).insert(db)
            }
            for operation in plan.early {
                let op = operation.operation
                if let reason = usage.admit(operation, waitingFor: "its time \(op.time)", source: source) {
                    refused[operation.dot] = reason
                    try count.execute(arguments: [op.origin, reason.reason])
                    continue
                }
                try PendingRecord(early: operation, source: source).insert(db)
                logger.warning("\(operation.dot) is signed \(op.time), more than \(CausalDelivery.maximumSkew) s ahead of this node's clock: it waits for that time")
            }
            if !refused.isEmpty { logger.warning("\(refused.count) operations from \(source) refused: the pending set is at its bound") }
        }
        // Retires and quarantines of this batch take what they void out of the view.
        for retirement in plan.retirements { try void(retirement.replica, after: retirement.after) }
        let changed = try unresolvedKeyEventForks() != disputed
        if swapped || changed {
            logger.warning("a fork of an agency's key events was found or resolved: the trust and the view are derived again")
            try rebuild()
        }
        let kept = try keepUnverifiable(incoming.filter { $0.unverifiable != nil }, from: source)
        var outcomes = plan.outcomes.makeIterator()
        return verified.map { result in
            switch result {
            case .success(let operation):
                if operation.unverifiable != nil { return kept[operation.operation.dot] ?? .pending }
                if let reason = uncertified[operation.operation.dot] { return .rejected(reason) }
                guard let outcome = outcomes.next() else { preconditionFailure("the plan has one outcome per valid operation") }
                if outcome == .pending, let reason = refused[operation.operation.dot] { return .rejected(reason) }
                return outcome
            case .failure(let error): return .rejected(error)
            }
        }
    }

    /// Keeps operations signed with a suite this machine cannot verify yet, within
    /// `PendingLimits`: never applied, never dropped, planned once the suite is here.
    private func keepUnverifiable(_ unverifiable: [CausalDelivery.Incoming], from source: String) throws -> [Dot: CausalDelivery.Outcome] {
        guard !unverifiable.isEmpty else { return [:] }
        var outcomes: [Dot: CausalDelivery.Outcome] = [:]
        let trust = try trust()
        var usage = try PendingUsage(db, origins: Set(unverifiable.map(\.operation.operation.origin)), source: source)
        let applied = try db.cachedStatement(sql: "SELECT body FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?")
        let waiting = try db.cachedStatement(sql: "SELECT body FROM pending WHERE origin = ? AND seq = ?")
        var kept = 0
        for item in unverifiable {
            let operation = item.operation
            let dot = operation.dot
            let suite = item.unverifiable?.rawValue ?? operation.operation.alg
            // A key event is named by what it says (its hash leaves its signatures out);
            // a copy of an operation of the same dot that waits unverified waits with it,
            // as one of the two: the one kept is verified once the suite is here.
            if let held = try String.fetchOne(applied, arguments: [dot.origin, Int64(dot.seq)]) {
                let same = held == operation.text || (operation.operation.isKeyEvent
                    && (try? SignedOperation(parsing: Array(held.utf8)))?.hash == operation.hash)
                outcomes[dot] = same ? .duplicate
                    : .rejected(RosterError(.suiteUnavailable, "\(dot) is signed with \(suite), which this node cannot verify, and differs from the \(dot) it holds: not kept"))
                continue
            }
            if try String.fetchOne(waiting, arguments: [dot.origin, Int64(dot.seq)]) != nil {
                outcomes[dot] = .pending
                continue
            }
            if let refusal = trust.refusalToWaitUnverified(operation) {
                outcomes[dot] = .rejected(refusal)
                continue
            }
            if let reason = usage.admit(operation, waitingFor: "the \(suite) suite", source: source) {
                outcomes[dot] = .rejected(reason)
                continue
            }
            try PendingRecord(unverifiable: operation, suite: item.unverifiable ?? .ed25519, source: source).insert(db)
            outcomes[dot] = .pending
            kept += 1
        }
        if let first = unverifiable.first?.unverifiable, kept > 0 {
            logger.warning("\(kept) operations from \(source) are signed with \(first.rawValue), which this node cannot verify: kept unverified; install \(first.package ?? "its OpenSSL provider") and restart the node")
        }
        return outcomes
    }

    /// Rows of `pending` filed under a suite, kept unverified.
    static let unverified = "waits_origin >= 'suite:' AND waits_origin < 'suite;'"

    /// Operations kept because their suite could not be verified, whose suite this
    /// machine verifies now: taken out of `pending`, to be planned as they arrive,
    /// and checked as the Verifier checks what arrives (the keys a key event binds).
    /// Reads only what it moves: a batch costs nothing more while the suite is missing.
    private func verifiableAgain() throws -> [CausalDelivery.Incoming] {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pending WHERE \(Self.unverified))") == true else { return [] }
        var again: [CausalDelivery.Incoming] = []
        let remove = try db.cachedStatement(sql: "DELETE FROM pending WHERE origin = ? AND seq = ?")
        for suite in Suite.allCases where NationalSuites.isAvailable(suite) {
            for row in try Row.fetchAll(db, sql: "SELECT origin, seq, body FROM pending WHERE waits_origin = ?", arguments: [PendingRecord.marker(of: suite)]) {
                // A row edited into garbage waits on; audit names it.
                guard let body = row.text("body"), let operation = try? SignedOperation(parsing: Array(body.utf8)) else { continue }
                try remove.execute(arguments: [row.text("origin"), row.integer("seq")])
                guard case .success = Verifier.check(operation, keys: [:]) else { continue }
                again.append(CausalDelivery.Incoming(operation))
            }
        }
        return again
    }

    /// Drops the copies kept unverified at the dots of operations the plan verified
    /// (applied, or kept to wait): only a verified operation takes such a place.
    private func replaceUnverified(_ verified: [SignedOperation]) throws {
        guard !verified.isEmpty, try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pending WHERE \(Self.unverified))") == true else { return }
        let replace = try db.cachedStatement(sql: "DELETE FROM pending WHERE origin = ? AND seq = ? AND \(Self.unverified)")
        for operation in verified { try replace.execute(arguments: [operation.operation.origin, Int64(operation.operation.seq)]) }
    }

    /// A replica whose seq has reached the largest a column holds signs no more.
    static func exhausted(_ origin: String) -> RosterError {
        RosterError(.badInput, "\(origin) has signed as many operations as a seq counts (\(Int64.max)): enrol a new replica for this node")
    }

    /// Makes, signs and applies this replica's next operation.
    @discardableResult
    func append(_ payload: RosterCore.Operation.Payload, by replica: Replica) throws -> SignedOperation {
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
        if case .mirror(let resource, let fields) = payload {
            let original = try original(fields.original, forMirrorBy: replica.agency)
            guard original.resource != resource else {
                throw RosterError(.invalidField, "\(resource) is what entry \(fields.original) itself lists: a mirror lists another name of the same shop")
            }
        }
        try requireEnrolment(of: replica)
        let heads = try heads()
        guard (heads[replica.origin]?.seq ?? 0) < UInt64(Int64.max) else { throw Self.exhausted(replica.origin) }
        let clock = VectorClock(heads.mapValues(\.seq))
        let operation = try replica.make(payload, after: heads[replica.origin], clock: clock, time: now)
        try SignedOperation.checkSize(operation.bytes.count)
        try apply(operation)
        return operation
    }

    /// The entry a new mirror would copy, if a mirror may copy it: one of the agency's
    /// own, live, unexpired entries that is no mirror itself.
    func original(_ dot: Dot, forMirrorBy agency: String) throws -> Entry {
        guard let entry = try entry(dot) else {
            throw RosterError(.unknownEntry, "no entry \(dot) to mirror: roster list shows the ids")
        }
        guard entry.agency == agency else {
            throw RosterError(.forbiddenTarget, "entry \(dot) belongs to \(entry.agency): a mirror copies an entry of this agency's (\(agency)); list the resource under a decision of your own")
        }
        if let original = entry.mirrorOf {
            throw RosterError(.invalidField, "entry \(dot) is itself a mirror of \(original): name the original, --mirror-of \(original)")
        }
        guard entry.isLive else {
            throw RosterError(.revokedEntry, "entry \(dot) is revoked, so a mirror of it would be lifted at once: list the resource under a decision in force")
        }
        if entry.isExpired(on: CalendarDate(now)) {
            throw RosterError(.revokedEntry, "entry \(dot) expired on \(entry.fields.expires?.description ?? "?"), so a mirror of it would not be enforced: amend its expiry first, or list the resource under a decision in force")
        }
        return entry
    }

    /// A replica signs only once its agency has enrolled it, and until it is retired:
    /// peers would refuse anything else.
    func requireEnrolment(of replica: Replica) throws {
        let trust = try trust()
        guard let enrolment = trust.replicas[replica.origin], enrolment.key == replica.key.publicKey,
              enrolment.logKey == replica.logKey.publicKey else {
            throw RosterError(.notEnrolled, "\(replica.origin) is not enrolled yet: on a node that holds the agency key, run "
                + "\(replica.enrolCommand), then sync this node with it")
        }
        if let fork = trust.forks[replica.origin], (enrolment.retiredAfter ?? .max) > fork - 1 {
            throw RosterError(.retired, "\(replica.origin) is quarantined: another copy of its key signed a second operation at seq \(fork); "
                + "have the agency retire it (roster agency retire \(replica.origin) --after \(fork - 1)) and enrol a new replica")
        }
        if let after = enrolment.retiredAfter, try (heads()[replica.origin]?.seq ?? 0) >= after {
            throw RosterError(.retired, "\(replica.origin) was retired by its agency after seq \(after): it signs nothing more")
        }
    }

    /// Writes an operation whose causal past is held, and the derived rows it changes.
    func apply(_ operation: SignedOperation) throws {
        let op = operation.operation
        if op.isKeyEvent, op.seq == 1, case .rotate(let keys) = op.payload {
            var origin = OriginRecord(name: op.origin, key: keys.keys[0])
            try origin.insert(db, onConflict: .ignore)
        }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO operation (origin_id, seq, target, body) VALUES ((SELECT id FROM origin WHERE name = ?), ?, ?, ?)
            """)
        try insert.execute(arguments: [op.origin, Int64(op.seq), op.target?.description, operation.text])
        try log.append(position: db.lastInsertedRowID, text: operation.text, leafHash: log.takeLeafHash(of: operation), in: db)
        let head = try db.cachedStatement(sql: "UPDATE origin SET head_seq = ?, head_hash = ? WHERE name = ?")
        try head.execute(arguments: [Int64(op.seq), Data(operation.hash), op.origin])
        switch op.payload {
        case .add(let resource, let fields):
            let row = try db.cachedStatement(sql: EntryRecord.insertSQL)
            try row.execute(arguments: EntryRecord.arguments(Entry(id: op.dot, resource: resource, fields: fields)))
        case .mirror(let resource, let fields):
            // A mirror of a void add lists nothing, as a change to one changes nothing.
            guard let original = try entry(fields.original), original.mirrorOf == nil else { return }
            let mirror = Entry(id: op.dot, resource: resource, fields: fields.entryFields(under: original.fields), mirrorOf: fields.original)
            let row = try db.cachedStatement(sql: EntryRecord.insertSQL)
            try row.execute(arguments: EntryRecord.arguments(mirror.inheriting(from: original)))
        case .enrol, .retire, .rotate:
            try applyKeyEvent(op)
            // Kept as a fork when it came before the fork it follows was known: applied,
            // it is the chain, no proof (see `KeyEventForks`).
            let atDot = EquivocationRecord.filter(EquivocationRecord.CodingKeys.origin == op.origin && EquivocationRecord.CodingKeys.seq == Int64(op.seq))
            if let kept = try EquivocationRecord.all(db, atDot).first, (try? SignedOperation(parsing: Array(kept.body.utf8)))?.hash == operation.hash {
                try kept.delete(db)
            }
        case .amend(let target, _), .revoke(let target, _):
            let stored = try entry(target)
            guard var entry = try stored.flatMap({ try $0.applying(op, after: latestChanges(of: target, besides: op.dot)) })
                ?? resolveEntry(target)
            else {
                // A change to a void add, or to a mirror of one, changes nothing.
                if try retirements()[target.origin].map({ target.seq > $0 }) ?? false { return }
                if stored == nil, try self.operation(target)?.operation.original != nil { return }
                throw RosterError(.unknownEntry, "operation \(op.dot) targets \(target), which this node does not hold")
            }
            // A mirror's decision stays its original's, whatever its own amends say.
            if let original = entry.mirrorOf {
                guard let held = try self.entry(original) else { return }
                entry = entry.inheriting(from: held)
            }
            try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [target.origin, Int64(target.seq)])
            try db.execute(sql: EntryRecord.insertSQL, arguments: EntryRecord.arguments(entry))
            if entry.mirrorOf == nil { try inheritMirrors(of: entry) }
        }
    }

    /// Rewrites the mirrors of `original` as its new state makes them: one signed
    /// revoke or amend of the original reaches every copy (`Entry.inheriting`). Each
    /// mirror's own revoke, if it came first, stays the one shown.
    func inheritMirrors(of original: Entry) throws {
        let mirrors = try EntryRecord.fetchAll(db.cachedStatement(sql: "SELECT \(EntryRecord.columns) FROM entry WHERE mirror_of = ?"),
                                               arguments: [original.id.description])
        guard !mirrors.isEmpty else { return }
        let delete = try db.cachedStatement(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?")
        let insert = try db.cachedStatement(sql: EntryRecord.insertSQL)
        for mirror in mirrors {
            let entry = mirror.entry.inheriting(from: original)
            guard entry != mirror.entry else { continue }
            try delete.execute(arguments: [entry.id.origin, Int64(entry.id.seq)])
            try insert.execute(arguments: EntryRecord.arguments(entry))
        }
    }

    /// Resolves again, from their operations, every mirror of the entries `originals`
    /// names: after a retire or a rebuild, where an original may have lost a change
    /// (a void revoke), which `inheritMirrors` never takes back.
    func resolveMirrors(of originals: some Sequence<Dot>, rules: ViewRules) throws {
        for original in originals {
            for id in try mirrors(of: original) {
                try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [id.origin, Int64(id.seq)])
                if let entry = try resolveEntry(id, rules: rules) { try db.execute(sql: EntryRecord.insertSQL, arguments: EntryRecord.arguments(entry)) }
            }
        }
    }

    /// The last change of each origin that changed `target`, from the target index:
    /// what a new change must follow for `Entry.applying` to hold.
    func latestChanges(of target: Dot, besides dot: Dot) throws -> [Dot] {
        let rows = try db.cachedStatement(sql: """
            SELECT origin.name AS origin, max(seq) AS seq FROM operation JOIN origin ON origin.id = origin_id
            WHERE target = ? AND NOT (origin.name = ? AND seq = ?) GROUP BY origin_id
            """)
        return try Row.fetchAll(rows, arguments: [target.description, dot.origin, Int64(dot.seq)]).map { row in
            guard let origin = row.text("origin"), let seq = row.seq("seq") else { throw Cell.unreadable("a change of \(target)") }
            return Dot(origin: origin, seq: seq)
        }
    }

    /// Writes this replica's own adds, already chained and signed: the import path,
    /// with one head update for the whole batch. A mirror's original is checked here,
    /// where the entries are, against what its row states (`rows`, one per operation,
    /// whose lines an error names).
    func applyOwnAdds(_ operations: [SignedOperation], leafHashes: [MerkleTree.Hash], rows: [Importer.Row]) throws {
        guard let last = operations.last else { return }
        let originID = try Int64.fetchOne(db, sql: "SELECT id FROM origin WHERE name = ?", arguments: [last.operation.origin])
        guard let originID else { throw RosterError(.notEnrolled, "\(last.operation.origin) is not among this node's signers: run roster audit") }
        let insert = try db.cachedStatement(sql: OperationRecord.insertSQL)
        let row = try db.cachedStatement(sql: EntryRecord.insertSQL)
        var originals: [Dot: Entry] = [:]
        for (index, (operation, leafHash)) in zip(operations, leafHashes).enumerated() {
            let op = operation.operation
            let entry: Entry
            switch op.payload {
            case .add(let resource, let fields) where op.origin == last.operation.origin:
                entry = Entry(id: op.dot, resource: resource, fields: fields)
            case .mirror(let resource, let fields) where op.origin == last.operation.origin:
                let original: Entry
                do {
                    original = try originals[fields.original] ?? self.original(fields.original, forMirrorBy: op.agency)
                    originals[fields.original] = original
                    // An export states the original's decision beside a mirror: any other is a second decision.
                    if index < rows.count, let differing = rows[index].stated.sorted(by: { $0.key < $1.key })
                        .first(where: { EntryField(rawValue: $0.key)?.text(of: original) != $0.value }) {
                        throw RosterError(.invalidField, "\(differing.key) \"\(Text.printable(differing.value, limit: 80))\" is not the decision of \(fields.original), "
                            + "which a mirror is listed under: leave the column empty, or list the resource under a decision of its own without mirror_of")
                    }
                } catch let error as RosterError {
                    throw RosterError(error.code, index < rows.count ? "line \(rows[index].line): \(error.reason)" : error.reason)
                }
                entry = Entry(id: op.dot, resource: resource, fields: fields.entryFields(under: original.fields), mirrorOf: fields.original)
            default:
                preconditionFailure("one replica's own adds only")
            }
            try insert.execute(arguments: OperationRecord.arguments(operation, originID: originID))
            try log.append(position: db.lastInsertedRowID, text: operation.text, leafHash: leafHash, in: db)
            try row.execute(arguments: EntryRecord.arguments(entry))
        }
        try db.execute(sql: "UPDATE origin SET head_seq = ?, head_hash = ? WHERE name = ?",
                       arguments: [Int64(last.operation.seq), Data(last.hash), last.operation.origin])
    }

    /// Keeps `operation` as the proof of its replica's fork, unless one at its seq or
    /// lower is kept: the lowest fork quarantines the replica from there, so a later
    /// one proves nothing new. One proof per replica bounds what a node keeps, hands to
    /// peers and digests by the replicas its agencies enrolled, whatever a stolen key
    /// signs. An agency origin keeps one per seq (see `KeyEventForks`).
    func keepProof(_ operation: SignedOperation) throws {
        let (origin, seq) = (operation.operation.origin, Int64(operation.operation.seq))
        // An agency's fork is resolved by a later key event, and its chain goes on: a
        // fork past a resolved one is new. Only an agency's keys can make one.
        if !Origin.isAgencyOrigin(origin) {
            if let kept = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM equivocation WHERE origin = ?", arguments: [origin]), kept <= seq { return }
            try db.execute(sql: "DELETE FROM equivocation WHERE origin = ? AND seq > ?", arguments: [origin, seq])
        }
        var proof = EquivocationRecord(operation)
        try proof.insert(db, onConflict: .ignore)
        try db.execute(sql: "UPDATE origin SET equivocating = 1 WHERE name = ?", arguments: [origin])
        logger.warning("equivocation by \(origin) at \(operation.dot): both operations kept as proof")
    }

    /// Replays every applied operation into fresh derived tables.
    func rebuild(progress: (Int) -> Void = { _ in }) throws {
        try dropKeptDigest()
        try rebuildTrust()
        try db.execute(sql: "DELETE FROM entry; UPDATE origin SET head_seq = 0, head_hash = NULL")
        let rules = try viewRules()
        let bodies = try String.fetchCursor(db, sql: "SELECT body FROM operation ORDER BY position")
        var changed: Set<Dot> = []
        var mirrors: [Dot] = []
        var count = 0
        let head = try db.makeStatement(sql: "UPDATE origin SET head_seq = ?, head_hash = ? WHERE name = ?")
        let row = try db.makeStatement(sql: EntryRecord.insertSQL)
        while let body = try bodies.next() {
            let operation = try SignedOperation(parsing: Array(body.utf8))
            let op = operation.operation
            try head.execute(arguments: [Int64(op.seq), Data(operation.hash), op.origin])
            switch op.payload {
            case .add(let resource, let fields):
                guard !rules.isVoid(op.dot), !rules.distrusted.contains(op.agency) else { break }
                try row.execute(arguments: EntryRecord.arguments(Entry(id: op.dot, resource: resource, fields: fields)))
            case .mirror:
                // Resolved once every original is: an original's changes may come after its mirrors.
                guard !rules.isVoid(op.dot), !rules.distrusted.contains(op.agency) else { break }
                mirrors.append(op.dot)
            case .amend(let target, _), .revoke(let target, _):
                changed.insert(target)
            case .enrol, .retire, .rotate:
                break
            }
            count += 1
            if count % 10_000 == 0 { progress(count) }
        }
        for id in changed {
            try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [id.origin, Int64(id.seq)])
            guard let entry = try resolveEntry(id, rules: rules) else { continue }
            try db.execute(sql: EntryRecord.insertSQL, arguments: EntryRecord.arguments(entry))
        }
        for id in mirrors {
            try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [id.origin, Int64(id.seq)])
            guard let entry = try resolveMirror(id, rules: rules) else { continue }
            try db.execute(sql: EntryRecord.insertSQL, arguments: EntryRecord.arguments(entry))
        }
        progress(count)
    }
}
