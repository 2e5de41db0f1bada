/// The store's async calls, as blocking ones for tests written as straight-line code.
/// Production has one form of each; these run the same transactions on the test's thread.
@testable import RosterStore
import RosterCore

extension Store {
    /// `receive` for tests written as straight-line code: the same verification and
    /// the same transaction, on the calling thread, without the receipt's clock.
    func receive(_ batch: [SignedOperation], from source: String = "local") throws -> [CausalDelivery.Outcome] {
        let trust = try read { try $0.trust() }
        let results = Verifier.verify(batch, trust: trust)
        return try write { try $0.receive(results, from: source) }
    }
}

extension Store {
    /// The state digest and each agency's, for tests written as straight-line code:
    /// the same computation as `digests`, kept the same way.
    func digests() throws -> (clock: VectorClock, digest: String, agencies: [String: String]) {
        let (cache, agencies) = try read { snapshot in
            let cache = try snapshot.keptDigest()
            return (cache, try snapshot.agencyDigests(cache))
        }
        if cache.isNew { try? write { try $0.keep(cache) } }
        return (cache.clock, cache.digest, agencies)
    }

    func digest() throws -> (clock: VectorClock, digest: String) {
        let (clock, digest, _) = try digests()
        return (clock, digest)
    }

    func status() throws -> Status {
        let (clock, digest, agencies) = try digests()
        let (counts, equivocating) = try read { (try $0.counts(), try $0.equivocatingOrigins()) }
        return Status(clock: clock, digest: digest, agencies: agencies, counts: counts, equivocating: equivocating)
    }
}
