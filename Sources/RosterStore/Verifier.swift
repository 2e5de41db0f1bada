import Dispatch
import NationalSuites
import RosterCore

/// Operations paired with the result of checking their signatures against the
/// keys the store held. Only `Store.verify` makes one, so nothing unverified can
/// be applied.
public struct VerifiedBatch: Sendable {
    let results: [Result<CausalDelivery.Incoming, RosterError>]

    /// The operations that verified, or wait for the plan to verify them.
    public var operations: [SignedOperation] { results.compactMap { try? $0.get().operation } }

    /// Replica operations left to the plan because their enrol was not held yet.
    var unchecked: [Int] {
        results.indices.filter { index in
            guard case .success(let incoming) = results[index] else { return false }
            return incoming.checkedKey == nil && !incoming.operation.operation.isKeyEvent
        }
    }

    /// Checks again, on every core, what was left unchecked, with trust read since
    /// (a page verified ahead while the page holding the enrols was being written).
    func rechecked(with trust: Trust) -> VerifiedBatch {
        let indices = unchecked
        guard !indices.isEmpty else { return self }
        var results = self.results
        let again = Verifier.verify(indices.compactMap { try? self.results[$0].get().operation }, trust: trust)
        for (index, result) in zip(indices, again) { results[index] = result }
        return VerifiedBatch(results: results)
    }
}

/// Checks signatures on every core before anything touches the database. A key
/// event, and an operation of a replica that an enrol in the same batch names, are
/// left to the plan (`CausalDelivery`), which verifies them against the agency's
/// keys in causal order; the enrolled replica's operations are checked here with
/// the key the enrol names, and the plan confirms that key is the enrolled one.
public enum Verifier {
    /// Pairs each operation with its verification result, in the order given.
    static func verify(_ batch: [SignedOperation], trust: Trust) -> [Result<CausalDelivery.Incoming, RosterError>] {
        let known = trust.replicas.mapValues(\.key)
        var keys = known
        for operation in batch {
            if case .enrol(let replica, let key, _) = operation.operation.payload, keys[replica] == nil { keys[replica] = key }
        }
        // A key only an unverified enrol in the batch names proves nothing when it fails:
        // the plan decides, once it knows which enrol holds.
        return zip(batch, verify(batch, keys: keys)).map { operation, result in
            if case .failure = result, !operation.operation.isKeyEvent, known[operation.operation.origin] == nil {
                return .success(CausalDelivery.Incoming(operation))
            }
            return result
        }
    }

    static func verify(_ batch: [SignedOperation], keys: [String: PublicKey]) -> [Result<CausalDelivery.Incoming, RosterError>] {
        CPUWork.map(batch, chunk: 256) { check($0, keys: keys) }
    }

    static func check(_ operation: SignedOperation, keys: [String: PublicKey]) -> Result<CausalDelivery.Incoming, RosterError> {
        // A key event binds only keys that can verify: OpenSSL checks each whole.
        do {
            for key in boundKeys(operation.operation) where NationalSuites.isAvailable(key.suite) { try key.checkUsable() }
        } catch {
            let reason = (error as? RosterError)?.reason ?? "\(error)"
            return .failure(RosterError(.badKey, "key event \(operation.dot) names a key this node refuses: \(reason)"))
        }
        if let suite = unverifiableSuite(of: operation) {
            // Of a replica whose key is held, an alg other than its key's suite is a
            // forgery, whether or not this machine verifies either suite.
            if !operation.operation.isKeyEvent, let key = keys[operation.operation.origin], key.suite.rawValue != operation.operation.alg {
                return .failure(RosterError(.badSignature, "operation \(operation.dot) says alg \(Text.printable(operation.operation.alg, limit: 40)), and \(operation.operation.origin)'s key is \(key.suite.rawValue): forged"))
            }
            return .success(CausalDelivery.Incoming(operation, unverifiable: suite))
        }
        guard !operation.operation.isKeyEvent, let key = keys[operation.operation.origin] else {
            return .success(CausalDelivery.Incoming(operation))
        }
        do {
            try operation.verify(with: key)
            return .success(CausalDelivery.Incoming(operation, checkedKey: key))
        } catch let error as RosterError {
            return .failure(error)
        } catch {
            return .failure(RosterError(.badSignature, "\(error)"))
        }
    }
}

extension Verifier {
    /// The keys a key event binds to the agency or a replica.
    static func boundKeys(_ operation: Operation) -> [PublicKey] {
        switch operation.payload {
        case .rotate(let keys): return keys.keys
        case .enrol(_, let key, let logKey): return [key] + (logKey.map { [$0] } ?? [])
        case .add, .mirror, .amend, .revoke, .retire: return []
        }
    }

    /// A suite `operation` is signed with (its `alg`, or a key event's signers' keys)
    /// that this machine cannot verify now; nil when it can verify them all.
    static func unverifiableSuite(of operation: SignedOperation) -> Suite? {
        let suites = [Suite(rawValue: operation.operation.alg)].compactMap { $0 } + operation.endorsements.map(\.key.suite)
        return suites.first { !NationalSuites.isAvailable($0) }
    }

    /// A log's leaves, each parsed, checked to be an operation's canonical bytes and
    /// verified with its replica's key in `keys` (a key event, or a replica not in
    /// `keys`, is left to the caller), with its leaf hash: on every core, in order.
    /// Blocks: call it off the cooperative pool (`CPUWork.run`).
    public static func checkLeaves(_ leaves: [[UInt8]], keys: [String: PublicKey])
        -> [(operation: Result<CausalDelivery.Incoming, RosterError>, leafHash: MerkleTree.Hash)] {
        CPUWork.map(leaves, chunk: 128) { leaf in
            let leafHash = MerkleTree.leafHash(leaf)
            do {
                let operation = try SignedOperation(parsing: leaf)
                guard operation.bytes == leaf else {
                    return (.failure(RosterError(.malformedOperation, "\(operation.dot) is not logged in its canonical bytes")), leafHash)
                }
                return (check(operation, keys: keys), leafHash)
            } catch let error as RosterError {
                return (.failure(error), leafHash)
            } catch {
                return (.failure(RosterError(.malformedOperation, "\(error)")), leafHash)
            }
        }
    }
}
