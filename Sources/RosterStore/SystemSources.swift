import Foundation
import RosterCore

/// The machine's clock and randomness: what the CLI and the server hand in to the
/// core, which reads neither itself.
extension WallClock {
    public static let system = WallClock { Timestamp(Date()) }
}

extension ReplicaKey {
    /// A new key from the operating system's generator.
    public static func generate() -> ReplicaKey {
        var system = SystemRandomNumberGenerator()
        return ReplicaKey(using: &system)
    }
}
