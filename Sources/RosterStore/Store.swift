import Foundation
import GRDB
import Logging
import RosterCore

/// The node's SQLite database: signed operations as truth, entries and heads derived
/// from them. Every batch is applied in one transaction, so a crash or a bad
/// operation leaves the database as it was before the batch.
public final class Store: Sendable {
    let pool: DatabasePool
    let logger: Logger

    /// Opens (and migrates) the database at `path`, creating it if needed.
    public init(path: String, logger: Logger = Logger(label: "roster.store")) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            let upgradesPending = try pool.read { db in
                let applied = try Schema.migrator.appliedIdentifiers(db)
                return applied.contains("v3") && !applied.contains("v4")
            }
            try Schema.migrator.migrate(pool)
            // Once, on the upgrade to v4: pending rows of v3 name no wait yet.
            if upgradesPending { try pool.write { db in try Transaction(db: db, logger: logger).placeUnplacedPending() } }
        } catch let error as DatabaseError {
            throw RosterError(.storage, "cannot open database \(path): \(error.message ?? "\(error)")")
        }
        self.logger = logger
    }

    /// Runs `body` in one write transaction: all of it lands, or none of it does.
    public func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        try storageErrors {
            try pool.write { db in try body(Transaction(db: db, logger: logger)) }
        }
    }

    /// A consistent snapshot for reading, even while another process writes.
    public func read<T>(_ body: (Snapshot) throws -> T) throws -> T {
        try storageErrors {
            try pool.read { db in try body(Snapshot(db: db)) }
        }
    }

    /// The same write from async code: it waits on the database's own serial queue,
    /// so the caller's cooperative thread is free for other requests meanwhile.
    public func write<T: Sendable>(_ body: @Sendable (Transaction) throws -> T) async throws -> T {
        let logger = self.logger
        return try await storageErrors {
            try await pool.write { db in try body(Transaction(db: db, logger: logger)) }
        }
    }

    /// The same read from async code, on one of the database's reader threads.
    public func read<T: Sendable>(_ body: @Sendable (Snapshot) throws -> T) async throws -> T {
        try await storageErrors {
            try await pool.read { db in try body(Snapshot(db: db)) }
        }
    }

    /// Verifies on every core, off the cooperative pool, then applies in one transaction.
    public func receive(_ batch: [SignedOperation], from source: String) async throws -> [CausalDelivery.Outcome] {
        try await apply(verify(batch), from: source)
    }

    public func verify(_ batch: [SignedOperation]) async throws -> VerifiedBatch {
        let keys = try await read { try $0.keys() }
        return await CPUWork.run { VerifiedBatch(results: Verifier.verify(batch, keys: keys)) }
    }

    public func apply(_ batch: VerifiedBatch, from source: String) async throws -> [CausalDelivery.Outcome] {
        try await write { try $0.receive(batch.results, from: source) }
    }

    /// Verifies and applies operations in one transaction (see `Transaction.receive`).
    public func receive(_ batch: [SignedOperation], from source: String = "local") throws -> [CausalDelivery.Outcome] {
        try apply(verify(batch), from: source)
    }

    /// Checks signatures on every core without writing, so that a sync can verify
    /// the next page while the current one is written.
    public func verify(_ batch: [SignedOperation]) throws -> VerifiedBatch {
        let keys = try read { try $0.keys() }
        return VerifiedBatch(results: Verifier.verify(batch, keys: keys))
    }

    /// Applies a verified batch in one transaction: all of it lands, or none of it does.
    public func apply(_ batch: VerifiedBatch, from source: String) throws -> [CausalDelivery.Outcome] {
        try write { try $0.receive(batch.results, from: source) }
    }

    /// The state digest, computed once per clock and then kept, so `status` on a
    /// large roster answers at once. A failure to keep it is not an error.
    public func digest() throws -> (clock: VectorClock, digest: String) {
        let (clock, cached, digest) = try read { snapshot in
            let cached = try snapshot.cachedDigest()
            return (try snapshot.clock(), cached, try cached ?? snapshot.computedDigest())
        }
        if cached == nil {
            try? write { transaction in
                guard try transaction.clock() == clock else { return }
                try transaction.db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('digest', ?), ('digest.clock', ?)",
                                           arguments: [digest, CanonicalJSON.string(clock.json)])
            }
        }
        return (clock, digest)
    }

    /// The state digest from async code: computed on a reader thread, kept once computed.
    public func digest() async throws -> (clock: VectorClock, digest: String) {
        let (clock, cached, digest) = try await read { snapshot in
            let cached = try snapshot.cachedDigest()
            return (try snapshot.clock(), cached, try cached ?? snapshot.computedDigest())
        }
        if cached == nil {
            _ = try? await write { transaction in
                guard try transaction.clock() == clock else { return }
                try transaction.db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('digest', ?), ('digest.clock', ?)",
                                           arguments: [digest, CanonicalJSON.string(clock.json)])
            }
        }
        return (clock, digest)
    }

    /// Parses lines of signed operations on every core; the first bad line throws with its number.
    public static func parse(_ lines: [[UInt8]]) throws -> [SignedOperation] {
        try Importer.parallelMap(Array(lines.enumerated())) { index, line in
            do {
                return try SignedOperation(parsing: line)
            } catch let error as RosterError {
                throw RosterError(error.code, "line \(index + 1): \(error.reason)")
            }
        }
    }

    /// Closes the database files; the store is unusable afterwards.
    public func close() throws {
        try pool.close()
    }
}

/// Turns SQLite's errors into one line a person can act on.
func storageErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as DatabaseError {
        throw storageError(error)
    }
}

func storageErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as DatabaseError {
        throw storageError(error)
    }
}

private func storageError(_ error: DatabaseError) -> RosterError {
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
