import Synchronization
import RosterCore

extension Store {
    /// A consumer feed (`Feed`) from one snapshot: `started` gets the clock of the
    /// entries that follow before the first byte is written (a server sends its
    /// validator from it), then `write` gets the text in pieces of about `chunk` bytes.
    public func export(_ feed: Feed, chunk: Int = 1 << 16, started: @escaping @Sendable (VectorClock) throws -> Void = { _ in },
                       write: @escaping @Sendable (String) throws -> Void) async throws {
        try await read { snapshot in
            var feed = feed
            let clock = try snapshot.clock()
            try started(clock)
            var pending = try feed.header(clock: clock, digest: { try snapshot.digest() })
            pending.reserveCapacity(chunk + 4096)
            try snapshot.entries(EntryFilter(byValue: feed.format.blocksResources)) { entry in
                pending += feed.add(entry)
                if pending.utf8.count >= chunk {
                    try write(pending)
                    pending = ""
                }
            }
            pending += feed.finish()
            try write(pending)
        }
    }
}

extension Store {
    /// Writes a feed to `path` whole or not at all (`AtomicFile`), and returns the
    /// clock it was read at.
    public func export(_ feed: Feed, toFile path: String) async throws -> VectorClock {
        let file = try AtomicFile(path, mode: 0o644)
        let clock = Mutex<VectorClock?>(nil)
        try await export(feed, started: { read in clock.withLock { $0 = read } }, write: { try file.write(Array($0.utf8)) })
        try file.commit()
        return clock.withLock { $0 } ?? VectorClock()
    }
}
