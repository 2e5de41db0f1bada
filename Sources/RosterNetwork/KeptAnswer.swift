import RosterCore

/// An answer that costs a pass over the roster (the page's counts, a scrape's), kept
/// while it is fresh and read once for everyone who asks at the same moment, so that
/// public routes cannot be made to count a large roster again and again.
actor KeptAnswer<Value: Sendable> {
    let maximumAge: Duration
    let read: @Sendable () async throws -> Value
    var held: (value: Value, version: VectorClock?, taken: ContinuousClock.Instant)?
    var running: Task<Value, any Error>?

    init(maximumAge: Duration, read: @escaping @Sendable () async throws -> Value) {
        (self.maximumAge, self.read) = (maximumAge, read)
    }

    /// The kept answer while it is younger than `maximumAge`, or was read at `version`.
    func value(version: VectorClock? = nil) async throws -> Value {
        if let held, (version != nil && held.version == version) || ContinuousClock.now - held.taken < maximumAge { return held.value }
        if let running { return try await running.value }
        let task = Task { try await read() }
        running = task
        defer { running = nil }
        let value = try await task.value
        held = (value, version, .now)
        return value
    }
}
