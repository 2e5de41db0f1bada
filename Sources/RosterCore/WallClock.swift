/// Where the time of day comes from. Core reads no clock: the CLI and the server
/// hand in the system's (`WallClock.system`, in RosterStore), tests a fixed time,
/// so that what an operation says and what a node decides by time can be replayed.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Timestamp

    public init(_ read: @escaping @Sendable () -> Timestamp) { self.read = read }

    /// Always `time`: for tests, benchmarks and replays.
    public static func fixed(_ time: Timestamp) -> WallClock { WallClock { time } }

    public func now() -> Timestamp { read() }
}
