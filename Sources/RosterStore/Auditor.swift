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
    /// What the node's trust keeps out of the view, as history: distrusted agencies,
    /// retired and quarantined replicas, with the operations each voids. Not findings.
    public var history: [String] = []
    /// Operations whose signatures this machine cannot verify, by suite (GOST without
    /// its engine): everything else about them is audited. Not findings, but an
    /// audit that is not complete until the suite is installed.
    public var unverified: [Suite: Int] = [:]
}

/// Re-derives everything from the signed operations and compares: trusts no derived
/// row, no head and no earlier verification. The database is read as other people's
/// bytes: any cell may have been edited to any type, so every read goes through the
/// checked cell accessors, and whatever does not hold is a finding, never a trap.
public enum Auditor {
    public static func audit(_ store: Store, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> AuditReport {
        try await store.read { snapshot in try run(snapshot, progress: progress) }
    }

    /// One stored operation row, as read.
    typealias Stored = (origin: String, seq: Int64, position: Int64, target: String?, body: String)

    static func run(_ snapshot: Snapshot, progress: (Int, Int) -> Void) throws -> AuditReport {
        let db = snapshot.db
        var report = AuditReport()
        let origins = try OriginRows(db, report: &report)
        let trust = try replayTrust(db, report: &report)
        let keys = trust.replicas.mapValues(\.key)
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM operation") ?? 0

        // The highest seq stored per origin, so that a dependency on a later origin in
        // dot order can be checked as the stream goes by.
        var finalSeq: [String: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin_id, max(seq) AS seq FROM operation GROUP BY origin_id") {
            guard let id = row.integer("origin_id"), let name = origins.names[id] else {
                report.findings.append("operations name origin id \(row.cell("origin_id")), which is not in the origin table")
                continue
            }
            guard let seq = row.seq("seq") else {
                report.findings.append("operations of \(name) have a seq that is not a positive integer")
                continue
            }
            finalSeq[name] = seq
        }

        // Changes (amends, revokes) are few next to adds: hold them in memory by target.
        var changes: [Dot: [Operation]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT body FROM operation WHERE target IS NOT NULL") {
            if let body = row.text("body"), let operation = try? SignedOperation(parsing: Array(body.utf8)), let target = operation.operation.target,
                !trust.isVoid(operation.dot) {
                changes[target, default: []].append(operation.operation)
            }
        }

        // Entries are compared by a merge join: both sides stream in dot order.
        let derived = try Row.fetchCursor(db, sql: "SELECT \(EntryRecord.columns) FROM entry ORDER BY origin, seq")
        func nextEntry() throws -> Result<Entry, Error>? { try derived.next().map { row in Result { try EntryRecord(row: row).entry } } }
        var nextDerived = try nextEntry()
        var digest = StateDigest.Builder()
        var lastDigested: Dot?
        var pendingAdds: [Operation] = []
        var nonAdds: Set<Dot> = []
        // A mirror is resolved under its original, which may come later in dot order:
        // each original is resolved from its signed add and changes, once.
        var originals: [Dot: Entry?] = [:]
        func original(_ dot: Dot) throws -> Entry? {
            if let known = originals[dot] { return known }
            var resolved: Entry?
            if !trust.isVoid(dot), trust.isTrusted(dot.agency), let add = (try? snapshot.operation(dot))??.operation, add.original == nil {
                resolved = Entry.resolve(add: add, changes: changes[dot] ?? [])
            }
            originals[dot] = resolved
            return resolved
        }

        func compare(_ expected: Entry) throws {
            // A row holding another row's operation can bring a dot twice or out of
            // order; the digest is defined in dot order, so such an entry is a finding.
            if let lastDigested, !(lastDigested < expected.id) {
                report.findings.append("operation \(expected.id) is stored out of its place or twice: the operation table was edited")
                return
            }
            lastDigested = expected.id
            let expectedBytes = expected.canonicalBytes()
            digest.add(expected, canonicalBytes: expectedBytes)
            report.entries += 1
            while let current = nextDerived {
                let id: Dot
                switch current {
                case .success(let entry): id = entry.id
                case .failure(let error):
                    report.findings.append((error as? RosterError)?.reason ?? "an entry row is unreadable: \(error)")
                    nextDerived = try nextEntry()
                    continue
                }
                if id < expected.id {
                    report.findings.append("entry \(id) is in the entry table but no operation adds it")
                    nextDerived = try nextEntry()
                    continue
                }
                if id == expected.id {
                    if case .success(let entry) = current, entry.canonicalBytes() != expectedBytes {
                        report.findings.append("entry \(id) in the entry table differs from its signed operations: run roster audit --rebuild")
                    }
                    nextDerived = try nextEntry()
                } else {
                    report.findings.append("entry \(expected.id) is missing from the entry table: run roster audit --rebuild")
                }
                return
            }
            report.findings.append("entry \(expected.id) is missing from the entry table: run roster audit --rebuild")
        }

        var batch: [Stored] = []
        var chainOrigin = ""
        var chainHead: CausalDelivery.Head?
        var chainPosition: Int64 = 0
        var chainClock = VectorClock()
        // Where each operation sits in the applied order, and what each must follow:
        // checked at the end, since dependencies may come later in dot order.
        var positions: [String: [Int64]] = [:]
        var dependencies: [(on: Dot, by: Dot, position: Int64)] = []

        // Each operation's leaf hash, by position, for the log's audit (`auditLog`).
        var leaves = LeafHashes(positions: try Int64.fetchOne(db, sql: "SELECT coalesce(max(position), 0) FROM operation") ?? 0)
        func process(_ batch: [Stored], _ checked: (results: [Result<CausalDelivery.Incoming, RosterError>], leaves: [MerkleTree.Hash])) throws {
            for (stored, leaf) in zip(batch, checked.leaves) { leaves.set(leaf, at: stored.position) }
            let parsed = checked.results
            for (index, result) in parsed.enumerated() {
                let stored = batch[index]
                report.operations += 1
                guard case .success(let checked) = result else {
                    if case .failure(let reason) = result {
                        report.findings.append("operation \(stored.origin):\(stored.seq): \(reason.reason)")
                    }
                    continue
                }
                let operation = checked.operation
                let op = operation.operation
                if let suite = checked.unverifiable, !op.isKeyEvent { report.unverified[suite, default: 0] += 1 }
                if !op.isKeyEvent {
                    if let enrolment = trust.replicas[op.origin] {
                        if op.clock[Origin.agencyOrigin(of: op.agency)] < enrolment.enrolledAt {
                            report.findings.append("operation \(op.dot) was applied without its replica's enrolment in its causal past")
                        }
                    } else {
                        report.findings.append("operation \(op.dot) is signed by \(op.origin), which no verified enrol of \(op.agency) endorses")
                    }
                }
                if op.origin != stored.origin || Int64(op.seq) != stored.seq || op.target?.description != stored.target {
                    report.findings.append("operation row \(stored.origin):\(stored.seq) holds operation \(op.dot): the row was edited")
                    continue
                }
                if operation.bytes != Array(stored.body.utf8) {
                    report.findings.append("operation \(op.dot) is not stored in its canonical bytes: the row was edited")
                }
                if op.origin != chainOrigin {
                    if !chainOrigin.isEmpty { checkHead(chainOrigin, chainHead) }
                    chainOrigin = op.origin
                    chainHead = nil
                    chainClock = VectorClock()
                }
                if op.seq != (chainHead?.seq ?? 0) + 1 {
                    report.findings.append("\(op.origin) jumps from seq \(chainHead?.seq ?? 0) to \(op.seq): an operation is missing")
                } else if op.prev ?? [] != chainHead?.hash ?? [] {
                    report.findings.append("operation \(op.dot) does not chain to \(op.origin):\(op.seq - 1) (prev hash differs)")
                } else if chainHead != nil && stored.position <= chainPosition {
                    report.findings.append("operation \(op.dot) is stored before \(op.origin):\(op.seq - 1) in the applied order: the order was edited")
                }
                chainHead = CausalDelivery.Head(seq: op.seq, hash: operation.hash)
                chainPosition = stored.position
                if positions[op.origin, default: []].count == Int(op.seq) - 1 { positions[op.origin, default: []].append(stored.position) }
                // A retired replica's void operations are not waited for (`Trust.required`).
                for (origin, named) in op.clock.counters where origin != op.origin {
                    let seq = trust.required(origin, named)
                    guard seq > 0 else { continue }
                    if (finalSeq[origin] ?? 0) < seq {
                        report.findings.append("operation \(op.dot) depends on \(origin):\(seq), which this node does not hold")
                    } else if trust.required(origin, chainClock[origin]) != seq {
                        // Clocks only grow along a chain, so a dependency the previous
                        // operation already had is already checked.
                        dependencies.append((Dot(origin: origin, seq: seq), op.dot, stored.position))
                    }
                }
                chainClock = op.clock
                if let target = op.target {
                    nonAdds.insert(op.dot)
                    if (finalSeq[target.origin] ?? 0) < target.seq && !trust.isVoid(target) {
                        report.findings.append("operation \(op.dot) targets \(target), which this node does not hold")
                    }
                } else if op.type == "add", !trust.isVoid(op.dot), trust.isTrusted(op.agency) {
                    if let source = op.original, (finalSeq[source.origin] ?? 0) < source.seq && !trust.isVoid(source) {
                        report.findings.append("operation \(op.dot) is a mirror of \(source), which this node does not hold")
                    }
                    pendingAdds.append(op)
                }
            }
            for add in pendingAdds {
                // A mirror of a void add lists nothing: its row must be absent, as the join finds.
                guard let entry = try Entry.resolve(add: add, changes: changes[add.dot] ?? [], original: add.original.flatMap(original))
                else { continue }
                try compare(entry)
            }
            pendingAdds.removeAll(keepingCapacity: true)
            progress(report.operations, total)
        }

        func checkHead(_ origin: String, _ head: CausalDelivery.Head?) {
            if origins.heads[origin] != head {
                report.findings.append("the recorded head of \(origin) does not match its last operation: run roster audit --rebuild")
            }
        }

        // Signatures of the batches in flight are checked on every core while this
        // thread reads the next rows and checks chains and entries of the batch
        // before; two in flight keep the cores busy while it reads.
        var inFlight: [(batch: [Stored], work: VerificationWork)] = []
        func dispatch() throws {
            inFlight.append((batch, VerificationWork(bodies: batch.map(\.body), keys: keys)))
            batch.removeAll(keepingCapacity: true)
            if inFlight.count > 2 {
                let oldest = inFlight.removeFirst()
                try process(oldest.batch, oldest.work.wait())
            }
        }
        // Operations in dot order: chains are per origin, so each is checked as it streams by.
        // Origin by origin, each by seq through the (origin_id, seq) index, so that SQLite
        // sorts nothing; rows naming no valid origin were named above (`finalSeq`).
        for (id, origin) in origins.names.sorted(by: { $0.value.utf8.lexicographicallyPrecedes($1.value.utf8) }) {
            let rows = try Row.fetchCursor(db, sql: "SELECT seq, position, target, body FROM operation WHERE origin_id = ? ORDER BY seq",
                                           arguments: [id])
            while let row = try rows.next() {
                guard let seq = row.integer("seq"), let position = row.integer("position"), let body = row.text("body"), row.isNull("target") || row.text("target") != nil else {
                    report.findings.append("an operation row of \(origin) has a cell of the wrong type: the operation table was edited")
                    continue
                }
                batch.append((origin, seq, position, row.text("target"), body))
                if batch.count == 4096 { try dispatch() }
            }
        }
        try dispatch()
        for previous in inFlight { try process(previous.batch, previous.work.wait()) }
        if !chainOrigin.isEmpty { checkHead(chainOrigin, chainHead) }
        for (origin, _) in origins.heads where finalSeq[origin] == nil {
            report.findings.append("the recorded head of \(origin) names operations this node does not hold")
        }
        for dependency in dependencies {
            let index = Int(dependency.on.seq) - 1
            if let chain = positions[dependency.on.origin], index < chain.count, chain[index] >= dependency.position {
                report.findings.append("operation \(dependency.by) is stored before \(dependency.on), which it depends on: the order was edited")
            }
        }
        for target in changes.keys where nonAdds.contains(target) {
            report.findings.append("operations target \(target), which is not an add")
        }
        while let current = nextDerived {
            switch current {
            case .success(let entry): report.findings.append("entry \(entry.id) is in the entry table but no operation adds it")
            case .failure(let error): report.findings.append((error as? RosterError)?.reason ?? "an entry row is unreadable: \(error)")
            }
            nextDerived = try nextEntry()
        }
        report.digest = digest.finalize()
        try auditDigestCache(db, clock: VectorClock(origins.heads.mapValues(\.seq)), digest: report.digest, chunks: digest.chunks(),
                             report: &report)
        try describeHistory(db, trust: trust, report: &report)
        try auditPending(db, trust: trust, heads: origins.heads, report: &report)
        try auditEquivocations(db, trust: trust, origins: origins, report: &report)
        try auditLogConflicts(db, trust: trust, report: &report)
        try auditPeers(db, report: &report)
        try auditLog(db, leaves: leaves, report: &report)
        return report
    }

    /// The origin table: names, keys and heads, each row checked on its own.
    struct OriginRows {
        var names: [Int64: String] = [:]
        var keys: [String: PublicKey] = [:]
        var heads: [String: CausalDelivery.Head] = [:]
        var equivocating: Set<String> = []

        init(_ db: Database, report: inout AuditReport) throws {
            for row in try Row.fetchAll(db, sql: "SELECT id, name, public_key, alg, head_seq, head_hash, equivocating, enrolled_at, retired_after FROM origin") {
                guard let id = row.integer("id"), let name = row.text("name"), Origin.isValid(name) else {
                    report.findings.append("an origin row has an id or name that is not valid: the origin table was edited")
                    continue
                }
                names[id] = name
                if let raw = row.blob("public_key"), let key = try? PublicKey(raw: raw) {
                    keys[name] = key
                    if row.text("alg") != key.suite.rawValue {
                        report.findings.append("the algorithm of \(name) is not its key's suite, \(key.suite.rawValue): the origin table was edited")
                    }
                } else {
                    report.findings.append("the key of \(name) is not a key of a suite (32 bytes of Ed25519, or a SubjectPublicKeyInfo): the origin table was edited")
                }
                switch (row.integer("head_seq"), row.isNull("head_hash") ? nil : row.blob("head_hash")) {
                case (0?, nil) where row.isNull("head_hash"): break
                case (let seq?, let hash?) where seq > 0 && hash.count == 32: heads[name] = CausalDelivery.Head(seq: UInt64(seq), hash: hash)
                default: report.findings.append("the recorded head of \(name) is not a seq and a hash: run roster audit --rebuild")
                }
                switch row.integer("equivocating") {
                case 0?: break
                case 1?: equivocating.insert(name)
                default: report.findings.append("the equivocation flag of \(name) is neither 0 nor 1: the origin table was edited")
                }
                // An agency origin is no replica: nothing enrols or retires it.
                if Origin.isAgencyOrigin(name), row.integer("enrolled_at") != 0 || !row.isNull("retired_after") {
                    report.findings.append("the agency origin \(name) has an enrolment or a retirement: the origin table was edited")
                }
            }
        }
    }

    /// The digest `status` shows is built on kept chunk digests (see `DigestCache`):
    /// every kept chunk that nothing changed since it was kept must be the chunk the
    /// replay gives, and a root kept at the clock the node holds must be the digest.
    static func auditDigestCache(_ db: Database, clock: VectorClock, digest: String,
                                 chunks: [String: [(index: Int64, digest: [UInt8])]], report: inout AuditReport) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM meta")
        let meta = Dictionary(rows.compactMap { row in row.text("key").map { ($0, row.text("value")) } }, uniquingKeysWith: { first, _ in first })
        if rows.count != meta.count || meta.contains(where: { ![DigestCache.digestKey, DigestCache.clockKey, DigestCache.generationKey].contains($0.key) || $0.value == nil }) {
            report.findings.append("the meta table holds rows the node never writes: run roster audit --rebuild")
        }
        let wrong = "the state digest kept for status is not the digest of the operations: run roster audit --rebuild"
        guard let cachedClock = meta[DigestCache.clockKey] ?? nil else {
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM digest_chunk)") ?? false {
                report.findings.append("chunk digests are kept without the clock they were taken at: run roster audit --rebuild")
            }
            return
        }
        // A cache taken at an earlier clock is stale where operations changed it since,
        // and harmless there; one that names operations this node does not hold was
        // written by someone else.
        let snapshot = Snapshot(db: db)
        guard let taken = try? VectorClock(json: JSONParser.parse(cachedClock)), clock.dominates(taken),
            let kept = try? snapshot.keptChunks(), let changed = try? snapshot.changedChunks(since: taken)
        else {
            report.findings.append(wrong)
            return
        }
        let expected = chunks.mapValues { Dictionary($0.map { ($0.index, $0.digest) }, uniquingKeysWith: { first, _ in first }) }
        for origin in Set(kept.keys).union(expected.keys) {
            for index in Set(kept[origin, default: [:]].keys).union(expected[origin, default: [:]].keys)
            where !changed.contains(DigestCache.Chunk(origin: origin, index: index)) && kept[origin]?[index] != expected[origin]?[index] {
                report.findings.append("the kept digest of chunk \(index) of \(origin) is not the digest of its entries: run roster audit --rebuild")
            }
        }
        if cachedClock == CanonicalJSON.string(clock.json), let root = meta[DigestCache.digestKey] ?? nil, root != digest {
            report.findings.append(wrong)
        }
    }

    /// Pending operations must still verify, sit under their own dot, not be applied
    /// yet, wait for what they lack; the usage counters must count what is there.
    static func auditPending(_ db: Database, trust: Trust, heads: [String: CausalDelivery.Head],
                             report: inout AuditReport) throws {
        var usage: [String: (operations: Int64, bytes: Int64)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin, seq, waits_origin, waits_seq, source, body, waits_until FROM pending") {
            report.pending += 1
            guard let body = row.text("body"), let operation = try? SignedOperation(parsing: Array(body.utf8)) else {
                report.findings.append("a pending operation does not parse: the pending table was edited")
                continue
            }
            let op = operation.operation
            for scope in ["*", "origin " + (row.text("origin") ?? "?"), "source " + (row.text("source") ?? "?"), "agency " + Origin.agency(of: row.text("origin") ?? "?")] {
                usage[scope, default: (0, 0)].operations += 1
                usage[scope, default: (0, 0)].bytes += Int64(body.utf8.count)
            }
            // Kept unverified while this machine cannot verify its suite: filed under it.
            let unverifiable = PendingRecord.suite(ofMarker: row.text("waits_origin"))
            if unverifiable == nil, let refusal = trust.refusalToWait(operation, checkedKey: nil) {
                report.findings.append("pending \(refusal.reason)")
            }
            if row.text("origin") != op.origin || row.integer("seq") != Int64(op.seq) {
                report.findings.append("pending row \(row.cell("origin")):\(row.cell("seq")) holds operation \(operation.dot): the row was edited")
            }
            if let head = heads[op.origin], head.seq >= op.seq {
                report.findings.append("pending operation \(operation.dot) is already applied")
            } else if let unverifiable {
                let suites = [Suite(rawValue: op.alg)] + operation.endorsements.map { Optional($0.key.suite) }
                if row.integer("waits_seq") != 0 || !row.isNull("waits_until") || !suites.contains(unverifiable) {
                    report.findings.append("pending operation \(operation.dot) is filed as waiting for the \(unverifiable.rawValue) suite, but is not")
                }
            } else if !row.isNull("waits_until") {
                // Waiting for its time: filed under that time, and under no dot.
                if row.integer("waits_until") != op.time.seconds || !row.isNull("waits_origin") || !row.isNull("waits_seq") {
                    report.findings.append("pending operation \(operation.dot) is filed as waiting for a time other than its own \(op.time)")
                }
            } else if let wait = CausalDelivery.missing(op, heads: heads, trust: trust) {
                if row.text("waits_origin") != wait.origin || row.integer("waits_seq") != Int64(wait.seq) {
                    report.findings.append("pending operation \(operation.dot) is filed as waiting for \(row.cell("waits_origin")):\(row.cell("waits_seq")), but waits for \(wait)")
                }
            } else {
                report.findings.append("pending operation \(operation.dot) lacks nothing, yet waits")
            }
        }
        var counted: [String: (operations: Int64, bytes: Int64)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT scope, operations, bytes FROM pending_usage") {
            guard let scope = row.text("scope"), let operations = row.integer("operations"), let bytes = row.integer("bytes") else {
                report.findings.append("a pending_usage row has a cell of the wrong type: the table was edited")
                continue
            }
            counted[scope] = (operations, bytes)
        }
        if counted.count != usage.count || usage.contains(where: { counted[$0.key]?.operations != $0.value.operations || counted[$0.key]?.bytes != $0.value.bytes }) {
            report.findings.append("the pending counters do not count the pending operations: the pending tables were edited")
        }
    }

    /// Each proof must be signed by its origin, differ from the applied operation at
    /// its dot, and the origin must be marked; a mark without a proof is a finding too.
    static func auditEquivocations(_ db: Database, trust: Trust, origins: OriginRows,
                                   report: inout AuditReport) throws {
        var proven: Set<String> = []
        for row in try Row.fetchAll(db, sql: "SELECT origin, seq, body FROM equivocation") {
            report.equivocations += 1
            guard let body = row.text("body"), let proof = try? SignedOperation(parsing: Array(body.utf8)) else {
                report.findings.append("an equivocation proof does not parse: the equivocation table was edited")
                continue
            }
            // A key event's proof was checked with the agency keys of its time, which may have rotated since.
            if !proof.operation.isKeyEvent, let refusal = trust.refusalToWait(proof, checkedKey: nil), refusal.code != .retired {
                report.findings.append("equivocation proof \(refusal.reason)")
            }
            if row.text("origin") != proof.operation.origin || row.integer("seq") != Int64(proof.operation.seq) {
                report.findings.append("equivocation row \(row.cell("origin")):\(row.cell("seq")) holds operation \(proof.dot): the row was edited")
            }
            let applied = try Row.fetchOne(db, sql: """
                SELECT body FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq = ?
                """, arguments: [proof.operation.origin, Int64(proof.operation.seq)])?.text("body")
            if applied == proof.text {
                report.findings.append("equivocation proof \(proof.dot) is the applied operation itself: it proves nothing")
            }
            proven.insert(proof.operation.origin)
            report.findings.append("\(proof.operation.origin) equivocated: two different operations are both numbered \(proof.dot)")
        }
        for origin in origins.equivocating.symmetricDifference(proven).sorted() {
            report.findings.append("\(origin) is \(proven.contains(origin) ? "not " : "")marked as equivocating, "
                + "but \(proven.contains(origin) ? "a" : "no") proof is kept: the origin table was edited")
        }
    }

    /// Replays the trust account and the agencies' key events (`replayedTrust`) and
    /// compares what they give with the agency and origin tables.
    static func replayTrust(_ db: Database, report: inout AuditReport) throws -> Trust {
        let stored: Trust
        do {
            stored = try Snapshot(db: db).trust()
        } catch {
            report.findings.append("the agency or origin table holds a cell that is not what the node wrote: \((error as? RosterError)?.reason ?? "\(error)")")
            stored = Trust()
        }
        let account = try TrustAccount(db)
        report.findings += account.findings
        let (trust, refusals, unverified) = try Snapshot(db: db).replayedTrust(account.pins, forks: stored.forks)
        report.findings += refusals
        report.unverified.merge(unverified, uniquingKeysWith: +)
        for (name, agency) in stored.agencies.sorted(by: { $0.key < $1.key }) {
            guard let pin = account.pins[name] else {
                report.findings.append("agency \(name) is in the agency table but no trust event pins it: the agency or trust_event table was edited")
                continue
            }
            if pin.root != agency.root || pin.distrusted != agency.distrusted {
                report.findings.append("the pin of agency \(name) differs from the node's trust events: the agency or trust_event table was edited; "
                    + "roster audit --rebuild restores the table from the events")
            }
            if trust.agencies[name]?.keys != agency.keys {
                report.findings.append("the keys of agency \(name) differ from its key events: the agency table was edited")
            }
        }
        for name in account.pins.keys.sorted() where stored.agencies[name] == nil {
            report.findings.append("agency \(name) is pinned by the node's trust events but missing from the agency table")
        }
        for (name, enrolment) in stored.replicas.sorted(by: { $0.key < $1.key }) where trust.replicas[name] != enrolment {
            report.findings.append("the enrolment of \(name) in the origin table differs from its agency's key events: the origin table was edited")
        }
        for name in trust.replicas.keys.sorted() where stored.replicas[name] == nil {
            report.findings.append("\(name) is enrolled by its agency's key events but missing from the origin table")
        }
        return trust
    }

    /// Lines for `AuditReport.history`, counted from the operation table.
    static func describeHistory(_ db: Database, trust: Trust, report: inout AuditReport) throws {
        func count(_ sql: String, _ arguments: StatementArguments) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
        for (name, agency) in trust.agencies.sorted(by: { $0.key < $1.key }) where agency.distrusted {
            let held = try count("SELECT count(*) FROM operation JOIN origin ON origin.id = origin_id WHERE origin.name LIKE ? ESCAPE '\\'",
                                 [name.replacingOccurrences(of: "_", with: "\\_") + "/%"])
            report.history.append("agency \(name) is distrusted: its \(held) operations are kept as history, outside the view")
        }
        for origin in Set(trust.replicas.keys).union(trust.forks.keys).sorted() {
            guard let last = trust.lastValid(origin) else { continue }
            let void = try count("SELECT count(*) FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq > ?",
                                 [origin, Int64(clamping: last)])
            var why = trust.forks[origin].map { $0 - 1 == last ? "quarantined from seq \($0), where it signed two operations" : nil } ?? nil
            if let enrolment = trust.replicas[origin], enrolment.enrolledAt == 0, last == 0 {
                why = "enrolled only by a key event that does not count (its agency's chain forked there)"
            }
            report.history.append("\(origin) is \(why ?? "retired by its agency after seq \(last)"): \(void) operations of it held here are void")
        }
        for (origin, fork) in (try? Snapshot(db: db).unresolvedKeyEventForks())?.sorted(by: { $0.key < $1.key }) ?? [] {
            report.history.append("\(Origin.agency(of: origin)) signed two key events at seq \(fork): its key events from there are quarantined "
                + "until a later one, signed by its keys as they stood before, names the one that stands")
        }
    }

    /// A peer row's columns are derived from its descriptor and must agree with it.
    static func auditPeers(_ db: Database, report: inout AuditReport) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, agency, descriptor, endpoint, tls_spki_sha256 FROM peer") {
            guard let text = row.text("descriptor"), let json = try? JSONParser.parse(text), let descriptor = try? PeerDescriptor(json: json) else {
                report.findings.append("the descriptor of peer \(row.cell("id")) does not parse: the peer table was edited")
                continue
            }
            let endpoint = row.isNull("endpoint") ? nil : row.text("endpoint") ?? "?"
            let pin = row.isNull("tls_spki_sha256") ? nil : row.text("tls_spki_sha256") ?? "?"
            if row.text("id") != descriptor.id || row.text("agency") != descriptor.agency || endpoint != descriptor.endpoints.first || pin != descriptor.tlsPin {
                report.findings.append("peer \(descriptor.id) has columns that differ from its descriptor: the peer table was edited")
            }
        }
    }

    /// A batch being verified in the background, and its leaf hashes computed. Unchecked
    /// Sendable: `group` orders the one write of `results` and `leaves` (on the background
    /// queue) before every read (after `wait`).
    final class VerificationWork: @unchecked Sendable {
        private let group = DispatchGroup()
        private var results: [Result<CausalDelivery.Incoming, RosterError>] = []
        private var leaves: [MerkleTree.Hash] = []

        init(bodies: [String], keys: [String: PublicKey]) {
            DispatchQueue.global().async(group: group) { [self] in
                results = Auditor.verifyInParallel(bodies, keys: keys)
                leaves = CPUWork.map(bodies, chunk: 512) { MerkleTree.leafHash(Array($0.utf8)) }
            }
        }

        func wait() -> (results: [Result<CausalDelivery.Incoming, RosterError>], leaves: [MerkleTree.Hash]) {
            group.wait()
            return (results, leaves)
        }
    }

    /// Parses and verifies on every core; results keep the input order.
    static func verifyInParallel(_ bodies: [String], keys: [String: PublicKey]) -> [Result<CausalDelivery.Incoming, RosterError>] {
        CPUWork.map(bodies, chunk: 512) { body in
            do {
                return Verifier.check(try SignedOperation(parsing: Array(body.utf8)), keys: keys)
            } catch let error as RosterError {
                return .failure(error)
            } catch {
                return .failure(RosterError(.malformedOperation, "\(error)"))
            }
        }
    }
}
