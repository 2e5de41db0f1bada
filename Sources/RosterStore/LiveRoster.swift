import GRDB
import RosterCore
import Synchronization

/// The roster's live entries in memory, so that a server answers `check` at
/// resolver rates: a resource no entry lists (most of what resolvers ask) is
/// answered without touching the database; a listed one is read from it, by the
/// same rules as `roster check`. `catchUp` follows what other processes applied.
/// Until `load` has run, every check asks the database.
public final class LiveRoster: Sendable {
    struct State {
        var loaded = false
        var clock = VectorClock()
        /// Advanced by what changes entries other than by dot (a retire, a distrust, a rebuild).
        var generation: String?
        var index = RosterIndex()
        var indexed: [Dot: Resource] = [:]
        var caughtUp = ContinuousClock.now
        var catchingUp = false
    }

    let store: Store
    private let state = Mutex(State())

    /// An index not loaded yet: until `load` has run, `check` asks the database.
    public init(store: Store) {
        self.store = store
    }

    /// Reads every live entry of the store: seconds for a million, so a server
    /// starts answering first and loads this beside.
    public func load() async throws {
        let loaded = try await store.read { snapshot in try Self.loadAll(snapshot) }
        state.withLock { $0 = loaded }
    }

    /// Every live entry of one snapshot, with the clock and generation it was read at.
    static func loadAll(_ snapshot: Snapshot) throws -> State {
        var state = State()
        state.loaded = true
        state.clock = try snapshot.clock()
        state.generation = try snapshot.keptMeta().base.generation
        try snapshot.entries { entry in
            state.index.insert(entry.resource, id: entry.id)
            state.indexed[entry.id] = entry.resource
        }
        return state
    }

    public var count: Int { state.withLock { $0.index.count } }

    /// Takes in the entries that operations applied since the last call added,
    /// amended or revoked. Cheap when nothing moved: one read of the heads.
    public func catchUp() async throws {
        guard let (known, generation) = state.withLock({ $0.loaded ? ($0.clock, $0.generation) : nil }) else { return }
        // A retire or a distrust voids entries without a dot of theirs: then the index is read again whole.
        let (clock, changed, reloaded) = try await store.read { snapshot -> (VectorClock, [Entry], State?) in
            if try snapshot.keptMeta().base.generation != generation { return (known, [], try Self.loadAll(snapshot)) }
            let clock = try snapshot.clock()
            return (clock, clock == known ? [] : try snapshot.entries(changedSince: known), nil)
        }
        if let reloaded {
            state.withLock { $0 = reloaded }
            return
        }
        guard clock != known else { return }
        state.withLock { state in
            for entry in changed {
                if let resource = state.indexed.removeValue(forKey: entry.id) { state.index.remove(resource, id: entry.id) }
                if entry.revocation == nil {
                    state.index.insert(entry.resource, id: entry.id)
                    state.indexed[entry.id] = entry.resource
                }
            }
            state.clock = clock
        }
    }

    /// The live, unexpired entries that list `resource`, nearest match first; first
    /// catches up if that was last done longer than `freshness` ago.
    public func check(_ resource: Resource, today: CalendarDate, freshness: Duration = .milliseconds(500)) async throws -> [Entry] {
        let now = ContinuousClock.now
        let due = state.withLock { state in
            guard !state.catchingUp, now - state.caughtUp >= freshness else { return false }
            state.catchingUp = true
            return true
        }
        if due {
            defer { state.withLock { $0.catchingUp = false; $0.caughtUp = now } }
            try await catchUp()
        }
        guard state.withLock({ !$0.loaded || !$0.index.check(resource).isEmpty }) else { return [] }
        return try await store.read { try $0.check(resource, today: today) }
    }
}
