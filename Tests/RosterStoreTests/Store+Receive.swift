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
