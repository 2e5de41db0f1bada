import Crypto

/// SHA-256, for the modules that must hash without depending on swift-crypto themselves.
public enum SHA256Digest {
    public static func of(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(of(bytes)) }
}
