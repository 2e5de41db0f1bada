import Dispatch
import RosterCore

/// Operations paired with the result of checking their signatures against the
/// keys the store held. Only `Store.verify` makes one, so nothing unverified can
/// be applied.
public struct VerifiedBatch: Sendable {
    let results: [Result<SignedOperation, RosterError>]

    /// The operations that verified.
    public var operations: [SignedOperation] { results.compactMap { try? $0.get() } }
}

/// Checks signatures on every core before anything touches the database.
enum Verifier {
    /// Pairs each operation with its verification result, in the order given.
    static func verify(_ batch: [SignedOperation], keys: [String: PublicKey]) -> [Result<SignedOperation, RosterError>] {
        let results = UnsafeResults<Result<SignedOperation, RosterError>>(count: batch.count)
        let chunk = 256
        let chunks = (batch.count + chunk - 1) / chunk
        BulkWork.shared.perform(iterations: chunks) { index in
            for position in index * chunk..<min(batch.count, (index + 1) * chunk) {
                results.set(position, check(batch[position], keys: keys))
            }
        }
        return results.values.map { $0! }
    }

    static func check(_ operation: SignedOperation, keys: [String: PublicKey]) -> Result<SignedOperation, RosterError> {
        guard let key = keys[operation.operation.origin] else {
            return .failure(RosterError(.unknownOrigin,
                "operation \(operation.dot) is signed by \(operation.operation.origin), which is not a known peer: add its descriptor with roster peers add"))
        }
        do {
            try operation.verify(with: key)
            return .success(operation)
        } catch let error as RosterError {
            return .failure(error)
        } catch {
            return .failure(RosterError(.badSignature, "\(error)"))
        }
    }
}

/// Slots written by disjoint indices from concurrent iterations.
final class UnsafeResults<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Value) { slots[index] = value }

    var values: [Value?] { Array(slots) }
}

/// Carries a closure the caller knows is safe to call from several threads.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
