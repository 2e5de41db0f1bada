/// A C2SP `tlog-cosignature` (v1, Ed25519): a witness's statement that, as of its
/// time, this checkpoint is the largest consistent one it has seen of the log. A
/// Roster node witnesses its peers' logs with its replica key, under the name
/// `roster-witness/AGENCY/REPLICA`, so that an auditor who follows the agency's key
/// events to that key can count the witness. The signed message begins with
/// `cosignature/v1`, so it can never be read as a checkpoint or an operation.
public enum Cosignature {
    /// The signature type byte of an Ed25519 cosignature in its key id.
    static let type: UInt8 = 0x04

    public static func name(of replica: String) -> String { "roster-witness/" + replica }

    /// The replica whose key makes cosignatures under `name`, if it is a Roster witness's.
    public static func replica(ofWitness name: String) -> String? {
        guard name.hasPrefix("roster-witness/") else { return nil }
        let replica = String(name.dropFirst("roster-witness/".count))
        return Origin.isValid(replica) && !Origin.isAgencyOrigin(replica) ? replica : nil
    }

    public static func keyID(name: String, key: PublicKey) -> UInt32 {
        SHA256Digest.of(Array(name.utf8) + [0x0A, type] + key.raw).prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func message(_ text: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n\(text)".utf8)
    }

    /// `key`'s cosignature of the checkpoint `text` at `time` (seconds since the epoch).
    public static func sign(_ text: String, name: String, key: ReplicaKey, time: UInt64) throws -> SignedNote.Signature {
        guard key.suite == .ed25519 else {
            throw RosterError(.badKey, "a cosignature is signed with an Ed25519 key, not \(key.suite.rawValue): witness with the log key")
        }
        let timestamp = (0..<8).map { UInt8(truncatingIfNeeded: time >> (56 - 8 * $0)) }
        return SignedNote.Signature(name: name, keyID: keyID(name: name, key: key.publicKey),
                                    bytes: timestamp + (try key.sign(message(text, time: time))))
    }

    /// The time of `signature` if it is `key`'s cosignature of `text` under `name`; nil if not.
    public static func time(of signature: SignedNote.Signature, text: String, name: String, key: PublicKey) -> UInt64? {
        guard key.suite == .ed25519, signature.name == name, signature.keyID == keyID(name: name, key: key), signature.bytes.count == 72 else { return nil }
        let time = signature.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard time <= UInt64(Int64.max), (try? key.isValidSignature(Array(signature.bytes.dropFirst(8)), for: message(text, time: time))) == true else {
            return nil
        }
        return time
    }
}
