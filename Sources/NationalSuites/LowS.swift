import COpenSSL
import RosterCore

/// ECDSA signatures in one form: with s at most half the group order, as Bitcoin's
/// BIP 62 and many verifiers ask. Otherwise anyone could turn a replica's signature
/// (r, s) into (r, n − s), which verifies too, and a node would take the two copies of
/// one operation for a replica that signed two histories. The signer writes the low
/// form; the verifier refuses the high one.
enum LowS {
    /// The order of P-256's group, and half of it: made once, only read after (unsafe as OpenSSL types are not Sendable).
    nonisolated(unsafe) private static let order: OpaquePointer? = {
        var number: OpaquePointer? = nil
        _ = BN_hex2bn(&number, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
        return number
    }()
    nonisolated(unsafe) private static let half: OpaquePointer? = {
        guard let order, let half = BN_dup(order) else { return nil }
        _ = BN_rshift1(half, half)
        return half
    }()

    /// The signature (DER) with s replaced by n − s if s is the high one; nil if it is no ECDSA signature.
    static func normalized(_ signature: [UInt8]) -> [UInt8]? {
        guard let parsed = parse(signature), let order, let half else { return nil }
        defer { ECDSA_SIG_free(parsed) }
        var r: OpaquePointer? = nil, s: OpaquePointer? = nil
        ECDSA_SIG_get0(parsed, &r, &s)
        guard let r, let s else { return nil }
        guard BN_cmp(s, half) > 0 else { return signature }
        guard let low = BN_new() else { return nil }
        guard BN_sub(low, order, s) == 1, let copy = BN_dup(r), let rebuilt = ECDSA_SIG_new() else {
            BN_free(low)
            return nil
        }
        defer { ECDSA_SIG_free(rebuilt) }
        guard ECDSA_SIG_set0(rebuilt, copy, low) == 1 else { return nil }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let count = i2d_ECDSA_SIG(rebuilt, &buffer)
        guard count > 0, let buffer else { return nil }
        defer { CRYPTO_free(buffer, nil, 0) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(count)))
    }

    /// Whether a DER ECDSA signature has the low s.
    static func isLow(_ signature: [UInt8]) -> Bool {
        guard let parsed = parse(signature), let half else { return false }
        defer { ECDSA_SIG_free(parsed) }
        var r: OpaquePointer? = nil, s: OpaquePointer? = nil
        ECDSA_SIG_get0(parsed, &r, &s)
        guard let s else { return false }
        return BN_cmp(s, half) <= 0
    }

    private static func parse(_ signature: [UInt8]) -> OpaquePointer? {
        signature.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
    }
}
