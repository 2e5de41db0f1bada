import Foundation
import GRDB
import Logging
import NationalSuites
import RosterCore

/// The one owner of the node's SQLite database: signed operations as truth, entries
/// and heads derived from them. Its methods are the node's intentions (sign an add,
/// receive a verified batch, accept a peer, read for an export), each one
/// transaction that keeps every invariant, so a crash or a bad operation leaves the
/// database as it was; nothing outside this module composes writes or sees SQL.
public final class Store: Sendable {
    let pool: DatabasePool
    let logger: Logger
    /// What each write transaction takes as the time: operations made, trust
    /// changes recorded, and operations signed ahead waiting for theirs.
    public let wallClock: WallClock

    /// Opens (and migrates) the database at `path`, creating it if needed.
    public init(path: String, clock: WallClock, logger: Logger = Logger(label: "roster.store")) throws {
        // Every suite verifies through the system OpenSSL wherever a store reads operations.
        NationalSuites.install()
        self.wallClock = clock
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // A database made by an earlier version holds a layout (format 1: operations too) this version does not read.
            let applied = try pool.read { db in try Schema.migrator.appliedIdentifiers(db) }
            if !applied.isEmpty && !applied.contains(Schema.format2) {
                throw RosterError(.storage, applied.contains("v8")
                    ? "database \(path) was made by a development build of format 2 (migrations v1 to v8), whose layout this version does not read: "
                        + "create a new node with roster init, and bring the operations over with roster export --format ops (old build) and roster import --format ops"
                    : "database \(path) is of format 1, from before agency keys, which this version does not read: "
                        + "create a new node with roster init, and bring the entries over with roster export csv (old version) and roster import")
            }
            try Schema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw RosterError(.storage, "cannot open database \(path): \(error.message ?? "\(error)")")
        }
        self.logger = logger
    }

    // MARK: Transactions, for this module only

    /// Runs `body` in one write transaction: all of it lands, or none of it does. It
    /// runs on the database's own serial queue, so the caller's cooperative thread is
    /// free for other requests meanwhile.
    func write<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        let (logger, wallClock) = (self.logger, self.wallClock)
        return try await storageErrors {
            try await pool.write { db in
                let transaction = Transaction(db: db, logger: logger, now: wallClock.now())
                let result = try body(transaction)
                // The log's tiles at its right edge, as this transaction leaves them, and when it grew.
                try transaction.log.flush(db)
                if let first = transaction.log.firstAppended {
                    // The system's time to the millisecond (operations are dated to the second, by the
                    // store's clock), and strictly later than every earlier row: a reader told "added
                    // up to T", or asking from its own clock's T, misses nothing a later transaction adds.
                    let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                    let latest = try Int64.fetchOne(db, sql: "SELECT max(time) FROM log_added") ?? Int64.min
                    try db.execute(sql: "INSERT INTO log_added (leaf, time) VALUES (?, ?)", arguments: [first, max(now, latest &+ 1)])
                }
                return result
            }
        }
    }

    /// A consistent snapshot for reading, even while another process writes, on one
    /// of the database's reader threads.
    func read<T: Sendable>(_ body: @escaping @Sendable (Snapshot) throws -> T) async throws -> T {
        try await storageErrors {
            try await pool.read { db in try body(Snapshot(db: db)) }
        }
    }

    // MARK: What this node's own replica signs

    /// Signs and applies this replica's add of `resource`.
    public func add(_ resource: Resource, fields: EntryFields, by replica: Replica) async throws -> SignedOperation {
        try await add(.add(resource: resource, fields: fields), by: replica)
    }

    /// Signs and applies an add, or a mirror's add once its original is checked (this
    /// agency's, live, no mirror itself), in one transaction.
    public func add(_ payload: RosterCore.Operation.Payload, by replica: Replica) async throws -> SignedOperation {
        try await write { try $0.append(payload, by: replica) }
    }

    /// Signs and applies an amend of one of this agency's live entries; `changes` sees
    /// the entry as it stands in the same transaction, so nothing moves in between.
    public func amend(_ target: Dot, by replica: Replica, changes: @escaping @Sendable (Entry) throws -> FieldChanges) async throws -> SignedOperation {
        try await write { transaction in
            guard let entry = try transaction.entry(target) else {
                throw RosterError(.unknownEntry, "no entry \(target): roster list shows the ids")
            }
            return try transaction.append(.amend(target: target, changes: changes(entry)), by: replica)
        }
    }

    /// Signs and applies the revoke of one of this agency's entries: final.
    public func revoke(_ target: Dot, reason: String, by replica: Replica) async throws -> SignedOperation {
        try await write { try $0.append(.revoke(target: target, reason: reason), by: replica) }
    }

    // MARK: What other replicas signed

    /// What a batch did, and the clock held right after it, read in the same transaction.
    public struct Receipt: Sendable {
        public let outcomes: [CausalDelivery.Outcome]
        public let clock: VectorClock
    }

    /// Checks signatures on every core, off the cooperative pool, without writing, so
    /// that a sync can verify the next page while the current one is written.
    public func verify(_ batch: [SignedOperation]) async throws -> VerifiedBatch {
        let trust = try await read { try $0.trust() }
        return await CPUWork.run { VerifiedBatch(results: Verifier.verify(batch, trust: trust)) }
    }

    /// Applies a batch `verify` checked, in one transaction (see `Transaction.receive`):
    /// all of it lands, or none of it does.
    public func apply(_ batch: VerifiedBatch, from source: String) async throws -> Receipt {
        var batch = batch
        // Verified ahead of the page that enrolled their replicas: checked again on
        // every core now, rather than one at a time inside the write.
        if !batch.unchecked.isEmpty {
            let trust = try await read { try $0.trust() }
            let unchecked = batch
            batch = await CPUWork.run { unchecked.rechecked(with: trust) }
        }
        let checked = batch
        // The log's leaf hashes, on every core: the write then only pairs hashes.
        let leaves = await CPUWork.run {
            CPUWork.map(checked.operations, chunk: 256) { ($0.dot, (text: $0.text, hash: MerkleTree.leafHash(Array($0.text.utf8)))) }
        }
        return try await write { transaction in
            transaction.log.leafHashes = Dictionary(leaves, uniquingKeysWith: { first, _ in first })
            return Receipt(outcomes: try transaction.receive(checked.results, from: source), clock: try transaction.clock())
        }
    }

    /// Takes operations other replicas signed: verifies them, then applies them. A
    /// sync that verifies a page while it writes the one before calls `verify` and
    /// `apply` itself.
    public func receive(_ batch: [SignedOperation], from source: String) async throws -> Receipt {
        try await apply(verify(batch), from: source)
    }

    // MARK: Peers and what waits

    /// Accepts descriptors, all or none: a bad one leaves the node as it was. An
    /// agency not yet trusted is pinned only with the fingerprint of its root key in
    /// `trusting`, which the operator checked out of band. A descriptor `isOwn` names
    /// this node (a folder like Peers/ may hold it): only its key events are taken.
    /// A known peer's endpoint or pin changes only when `replacing`.
    public func addPeers(_ descriptors: [PeerDescriptor], trusting: Set<String> = [], replacing: Bool = false,
                         isOwn: @escaping @Sendable (PeerDescriptor) -> Bool) async throws {
        try await write { transaction in
            for descriptor in descriptors {
                let root = descriptor.root.fingerprint
                if try transaction.trust().agencies[descriptor.agency] == nil {
                    guard trusting.contains(root) else {
                        throw RosterError(.untrustedAgency, "agency \(descriptor.agency) is not trusted yet; its root key is sha256 \(root): "
                            + "check that fingerprint with the agency out of band, then add the descriptor with --trust \(root)")
                    }
                    try transaction.pin(descriptor.agency, root: root)
                }
                try transaction.addPeer(descriptor, replacing: replacing, isOwn: isOwn(descriptor))
            }
        }
    }

    /// Pins an agency's root key by fingerprint, or replaces a pin (only while none
    /// of the agency's key events is held); recorded in the node's trust history.
    public func trust(_ agency: String, root: String, replacing: Bool) async throws {
        try await write { try $0.pin(agency, root: root, replacing: replacing) }
    }

    /// One change an operator made to what this node trusts.
    public struct TrustEvent: Sendable {
        public let time: String
        public let agency: String
        public let event: String
        public let detail: String
    }

    /// Every change to what this node trusts, in the order made.
    public func trustHistory() async throws -> [TrustEvent] {
        try await read { try $0.trustHistory() }
    }

    /// Stops accepting an agency's operations and takes its entries out of the view;
    /// returns how many left. Its operations stay, as history that audit shows.
    public func distrust(_ agency: String) async throws -> Int {
        try await write { try $0.distrust(agency) }
    }

    /// Makes, signs with `keys` and applies the agency's next key event; throws why
    /// it does not hold (too few of the current keys, a replica enrolled twice, …).
    public func keyEvent(_ payload: RosterCore.Operation.Payload, agency: String, signedBy keys: [AgencyKey]) async throws -> SignedOperation {
        try await write { transaction in
            let origin = Origin.agencyOrigin(of: agency)
            let head = try transaction.heads()[origin]
            let clock = VectorClock([origin: head?.seq ?? 0])
            let operation = try SignedOperation.sign(
                RosterCore.Operation(origin: origin, seq: (head?.seq ?? 0) + 1, prev: head?.hash, clock: clock, time: transaction.now, payload: payload),
                with: keys)
            let outcome = try transaction.receive([.success(CausalDelivery.Incoming(operation))], from: "local")
            guard outcome == [.applied] else {
                if case .rejected(let error)? = outcome.first { throw error }
                throw RosterError(.badKey, "key event \(operation.dot) was not applied")
            }
            return operation
        }
    }

    /// The agency origin's operations in seq order: what a descriptor carries.
    public func keyEvents(of agency: String) async throws -> [SignedOperation] {
        try await read { snapshot in
            try String.fetchAll(snapshot.db, sql: """
                SELECT body FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) ORDER BY seq
                """, arguments: [Origin.agencyOrigin(of: agency)]).map { try SignedOperation(parsing: Array($0.utf8)) }
        }
    }

    /// Stops syncing with a node, or every node of an agency; returns the peer ids removed.
    public func removePeer(_ name: String) async throws -> [String] {
        try await write { try $0.removePeer(name) }
    }

    /// Drops what an origin has pending (see `Transaction.purgePending`); returns how many.
    public func purgePending(origin: String) async throws -> Int {
        try await write { try $0.purgePending(origin: origin) }
    }

    /// Replays every applied operation into fresh derived tables.
    public func rebuild(progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try await write { try $0.rebuild(progress: progress) }
    }

    // MARK: Reads, by purpose

    /// Every signer this node accepts, by origin.
    public func keys() async throws -> [String: PublicKey] { try await read { try $0.keys() } }

    /// The agencies this node trusts and the replicas they enrolled.
    public func trust() async throws -> Trust { try await read { try $0.trust() } }

    /// What this node holds: the node's causal context.
    public func clock() async throws -> VectorClock { try await read { try $0.clock() } }

    /// The nodes this node syncs with.
    public func peers() async throws -> [Peer] { try await read { try $0.peers() } }

    /// The id of the peer whose descriptor pins this TLS key (SHA-256 of its SPKI):
    /// one indexed row per sync request, no descriptor parsed.
    public func peer(pinning pin: String) async throws -> String? {
        try await read { try String.fetchOne($0.db, sql: "SELECT id FROM peer WHERE tls_spki_sha256 = ? ORDER BY id LIMIT 1", arguments: [pin]) }
    }

    /// An entry and its signed history (the add, then every change in applied order).
    public func entry(_ id: Dot) async throws -> (entry: Entry, history: [SignedOperation])? {
        try await read { snapshot in
            guard let entry = try snapshot.entry(id) else { return nil }
            return (entry, try snapshot.history(id))
        }
    }

    /// Streams entries in dot order from one snapshot.
    public func entries(_ filter: EntryFilter = EntryFilter(), each: @escaping @Sendable (Entry) throws -> Void) async throws {
        try await read { try $0.entries(filter, each: each) }
    }

    /// The live, unexpired entries that list `resource`, nearest match first.
    public func check(_ resource: Resource, today: CalendarDate) async throws -> [Entry] {
        try await read { try $0.check(resource, today: today) }
    }

    /// What pending operations wait for, per origin, and what was refused.
    public func pending() async throws -> [PendingOrigin] { try await read { try $0.pendingByOrigin() } }

    /// The node's clock, digest, counts and equivocating origins.
    public struct Status: Sendable {
        public let clock: VectorClock
        public let digest: String
        /// Each agency's digest, for nodes that trust different sets of agencies.
        public let agencies: [String: String]
        public let counts: Counts
        public let equivocating: [String]
    }

    /// Entries, operations, pending and equivocations, counted from one snapshot.
    public func counts() async throws -> Counts { try await read { try $0.counts() } }

    public func status() async throws -> Status {
        let (clock, digest, agencies) = try await digests()
        let (counts, equivocating) = try await read { (try $0.counts(), try $0.equivocatingOrigins()) }
        return Status(clock: clock, digest: digest, agencies: agencies, counts: counts, equivocating: equivocating)
    }

    /// Signed operations in the order they were applied, from one snapshot: a causal
    /// order, as `ops` exports need.
    public func exportOperations(each: @escaping @Sendable (String) throws -> Void) async throws {
        try await read { try $0.operationTexts(each: each) }
    }

    /// A page of what a holder of `clock` lacks (see `DatabaseReading.operations(missingFrom:)`),
    /// with the clock this node held when it was read.
    public struct Delta: Sendable {
        public let bodies: [String]
        public let more: Bool
        public let clock: VectorClock
    }

    public func delta(missingFrom clock: VectorClock, limit: Int, bytes: Int, agencies: Set<String>? = nil) async throws -> Delta {
        try await read { snapshot in
            let (bodies, more) = try snapshot.operations(missingFrom: clock, limit: limit, bytes: bytes, agencies: agencies)
            return Delta(bodies: bodies, more: more, clock: try snapshot.clock())
        }
    }

    /// The state digest and each agency's, from one snapshot: hashed on a reader
    /// thread from the chunk digests kept at an earlier clock and those the operations
    /// applied since then changed (see `DigestCache`); what was hashed is kept for
    /// next time. A failure to keep it is not an error.
    public func digests() async throws -> (clock: VectorClock, digest: String, agencies: [String: String]) {
        let (cache, agencies) = try await read { snapshot in
            let cache = try snapshot.keptDigest()
            return (cache, try snapshot.agencyDigests(cache))
        }
        if cache.isNew { _ = try? await write { try $0.keep(cache) } }
        return (cache.clock, cache.digest, agencies)
    }

    /// The state digest alone (see `digests`).
    public func digest() async throws -> (clock: VectorClock, digest: String) {
        let cache = try await read { try $0.keptDigest() }
        if cache.isNew { _ = try? await write { try $0.keep(cache) } }
        return (cache.clock, cache.digest)
    }

    /// A page of the proofs of equivocation to hand to peers (see `proofs`), and
    /// where the next page starts, if more may remain.
    public struct ProofPage: Sendable {
        public let bodies: [String]
        public let next: Int64?
    }

    /// Proofs of equivocation of the agencies named, kept after `after` (a page's
    /// `next`): for each, the operations applied at its dot and the one before (a proof
    /// may follow another history from there), then the one kept as proof, all signed
    /// by the equivocating replica, so any node verifies them. Reads at most `limit`
    /// proofs, whatever their agency, and stops before `bytes`: a page costs the same
    /// whatever the node holds.
    public func proofs(agencies: Set<String>?, after: Int64, limit: Int, bytes: Int) async throws -> ProofPage {
        try await read { snapshot in
            let rows = try Row.fetchAll(snapshot.db, sql: """
                SELECT e.id, e.origin, before.body AS before, o.body AS applied, e.body AS proof FROM equivocation e
                LEFT JOIN operation before ON before.origin_id = (SELECT id FROM origin WHERE name = e.origin) AND before.seq = e.seq - 1
                LEFT JOIN operation o ON o.origin_id = (SELECT id FROM origin WHERE name = e.origin) AND o.seq = e.seq
                WHERE e.id > ? ORDER BY e.id LIMIT ?
                """, arguments: [after, limit])
            var bodies: [String] = []
            var size = 0
            var last = after
            for row in rows {
                let proof = [row.text("before"), row.text("applied"), row.text("proof")].compactMap { $0 }
                let length = proof.reduce(0) { $0 + $1.utf8.count + 1 }
                if !bodies.isEmpty && size + length > bytes { return ProofPage(bodies: bodies, next: last) }
                last = row.integer("id") ?? last
                guard agencies.map({ $0.contains(Origin.agency(of: row.text("origin") ?? "")) }) ?? true else { continue }
                bodies += proof
                size += length
            }
            return ProofPage(bodies: bodies, next: rows.count == limit ? last : nil)
        }
    }

    /// The digest of the proofs of equivocation held of the agencies named: peers
    /// compare it, over the agencies the caller trusts, to know whether to ask for them.
    public func proofsDigest(agencies: Set<String>?) async throws -> String {
        try await read { try $0.proofsDigest(agencies: agencies) }
    }

    /// Parses lines of signed operations on every core; the first bad line throws with its number.
    public static func parse(_ lines: [[UInt8]]) throws -> [SignedOperation] {
        try CPUWork.map(Array(lines.enumerated()), chunk: 512) { index, line in
            do {
                return try SignedOperation(parsing: line)
            } catch let error as RosterError {
                throw RosterError(error.code, "line \(index + 1): \(error.reason)")
            }
        }
    }

    /// The raw key registered for `origin`, if any. Reads that origin's row only, so
    /// that another, edited row never keeps a node from opening to be audited.
    public func registeredKey(of origin: String) async throws -> [UInt8]? {
        try await read { snapshot in
            try Row.fetchOne(snapshot.db, sql: "SELECT public_key FROM origin WHERE name = ?", arguments: [origin])?.blob("public_key")
        }
    }

    /// Closes the database files; the store is unusable afterwards.
    public func close() throws {
        try pool.close()
    }
}

/// Turns SQLite's errors into one line a person can act on.
func storageErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as DatabaseError {
        throw storageError(error)
    }
}

func storageError(_ error: DatabaseError) -> RosterError {
    switch error.resultCode {
    case .SQLITE_FULL:
        return RosterError(.storage, "the disk is full: free space and run the command again; nothing was changed")
    case .SQLITE_BUSY, .SQLITE_LOCKED:
        return RosterError(.storage, "the database is busy with another roster process: try again when it finishes")
    case .SQLITE_READONLY:
        return RosterError(.storage, "the database is read-only: check the data folder's permissions")
    case .SQLITE_CORRUPT, .SQLITE_NOTADB:
        return RosterError(.storage, "the database file is damaged: restore it from a backup or re-import an ops export")
    default:
        return RosterError(.storage, "database error: \(error.message ?? "\(error.resultCode)")")
    }
}
