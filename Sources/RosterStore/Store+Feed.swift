import Synchronization
import RosterCore

extension Store {
    /// A consumer feed (`Feed`) from one snapshot: `started` gets the clock of the
    /// entries that follow before the first byte is written (a server sends its
    /// validator from it), then `write` gets the text in pieces of about `chunk` bytes.
    /// `progress` hears how many entries are written, at each chunk and at the end.
    public func export(_ feed: Feed, chunk: Int = 1 << 16, started: @escaping @Sendable (VectorClock) throws -> Void = { _ in },
                       progress: @escaping @Sendable (Int) -> Void = { _ in },
                       write: @escaping @Sendable (String) throws -> Void) async throws {
        try await read { snapshot in
            var feed = feed
            let clock = try snapshot.clock()
            try started(clock)
            var pending = try feed.header(clock: clock, digest: { try snapshot.digest() })
            pending.reserveCapacity(chunk + 4096)
            let history = feed.format.carriesHistory
            var written = 0
            try snapshot.entries(EntryFilter(includeRevoked: history, byValue: feed.format.blocksResources)) { entry in
                pending += feed.add(entry, history: history ? try snapshot.history(of: entry.id) : nil)
                written += 1
                if pending.utf8.count >= chunk {
                    try write(pending)
                    pending = ""
                    progress(written)
                }
            }
            pending += feed.finish()
            try write(pending)
            progress(written)
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

extension Snapshot {
    /// When an entry was added and last changed, by the times its signed operations carry.
    func history(of id: Dot) throws -> Stix.History {
        let operations = try history(id)
        guard let add = operations.first(where: { $0.dot == id }) else {
            throw RosterError(.storage, "entry \(id) has no add in the database: run roster audit")
        }
        // A mirror changes when its original does: lifted by its revoke, under its amends.
        let original = try add.operation.original.map { try history($0) } ?? []
        let modified = (operations + original).map(\.operation.time).max() ?? add.operation.time
        return Stix.History(created: add.operation.time, modified: modified)
    }
}
