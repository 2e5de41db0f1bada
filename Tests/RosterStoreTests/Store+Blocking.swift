/// The store's async calls, as blocking ones for tests written as straight-line code.
/// Production has one form of each; these run the same transactions on the test's thread.
@testable import RosterStore
import GRDB
import RosterCore

extension Store {
    /// `write` on the test's thread: the same transaction, with the same errors.
    func blockingWrite<T>(_ body: (Transaction) throws -> T) throws -> T {
        do {
            return try pool.write { db in
                let transaction = Transaction(db: db, logger: logger, now: wallClock.now())
                let result = try body(transaction)
                try transaction.log.flush(db)
                return result
            }
        } catch let error as DatabaseError {
            throw storageError(error)
        }
    }

    /// `read` on the test's thread, from one snapshot.
    func blockingRead<T>(_ body: (Snapshot) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(Snapshot(db: db)) }
        } catch let error as DatabaseError {
            throw storageError(error)
        }
    }
}

extension Store {
    /// `receive` for tests written as straight-line code: the same verification and
    /// the same transaction, on the calling thread, without the receipt's clock.
    func blockingReceive(_ batch: [SignedOperation], from source: String = "local") throws -> [CausalDelivery.Outcome] {
        let trust = try blockingRead { try $0.trust() }
        let results = Verifier.verify(batch, trust: trust)
        return try blockingWrite { try $0.receive(results, from: source) }
    }
}

extension Store {
    /// The state digest and each agency's, for tests written as straight-line code:
    /// the same computation as `digests`, kept the same way.
    func blockingDigests() throws -> (clock: VectorClock, digest: String, agencies: [String: String]) {
        let (cache, agencies) = try blockingRead { snapshot in
            let cache = try snapshot.keptDigest()
            return (cache, try snapshot.agencyDigests(cache))
        }
        if cache.isNew { try? blockingWrite { try $0.keep(cache) } }
        return (cache.clock, cache.digest, agencies)
    }

    func blockingDigest() throws -> (clock: VectorClock, digest: String) {
        let (clock, digest, _) = try blockingDigests()
        return (clock, digest)
    }

    func blockingStatus() throws -> Status {
        let (clock, digest, agencies) = try blockingDigests()
        let (counts, equivocating) = try blockingRead { (try $0.counts(), try $0.equivocatingOrigins()) }
        return Status(clock: clock, digest: digest, agencies: agencies, counts: counts, equivocating: equivocating)
    }
}
