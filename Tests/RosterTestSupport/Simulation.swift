import Synchronization
import RosterCore

/// A seeded generator, so a failing property run can be replayed.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Replicas of two agencies that add, amend and revoke while syncing now and then:
/// produces the concurrent histories the merge rules must make converge. Each
/// agency enrols its replicas with real key events (`keyEvents`), which nodes
/// accept from the roots in `pins` and hold before any of `all` (see `start`).
public struct Simulation {
    public struct Writer {
        public let replica: Replica
        public var state: RosterState
    }

    public var writers: [Writer]
    public var all: [SignedOperation] = []
    /// Whether writers also list mirrors of their agency's entries (some of which
    /// their amends and revokes then target, decision fields included).
    public var mirrors = false
    var rng: SplitMix64
    /// Each agency's root and enrols, in order.
    public let keyEvents: [SignedOperation]
    /// Every agency pinned by its root, nothing else: what a node starts from.
    public let pins: Trust
    /// The roster that holds the pins and the key events: where every writer starts.
    public let start: RosterState
    /// Few distinct times, so that the (time, origin) tie-break is exercised.
    let times = try! ["2026-11-01T10:00:00Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:02Z"].map(Timestamp.init)

    public init(seed: UInt64, origins: [String] = ["kz-mvd/astana-1", "kz-mvd/almaty-1", "uz-iib/tashkent-1"]) {
        var rng = SplitMix64(seed: seed)
        func key() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let time = try! Timestamp("2026-11-01T10:00:00Z")
        var chains: [String: AgencyChain] = [:]
        var replicas: [Replica] = []
        var pins = Trust()
        for origin in origins {
            let replica = Replica(origin: origin, key: try! ReplicaKey(rawRepresentation: key()))
            if chains[replica.agency] == nil {
                let chain = try! AgencyChain(agency: replica.agency, keys: [try! AgencyKey(rawRepresentation: key())], time: time)
                pins.pin(replica.agency, root: chain.root.fingerprint)
                chains[replica.agency] = chain
            }
            try! chains[replica.agency]!.enrol(replica)
            replicas.append(replica)
        }
        keyEvents = chains.keys.sorted().flatMap { chains[$0]!.events }
        self.pins = pins
        self.rng = rng
        var start = RosterState(trust: pins)
        _ = try! start.receive(keyEvents)
        self.start = start
        writers = replicas.map { Writer(replica: $0, state: start) }
    }

    /// A run of `steps` in which writers list mirrors too.
    public static func withMirrors(seed: UInt64, steps: Int) -> Simulation {
        var simulation = Simulation(seed: seed)
        simulation.mirrors = true
        simulation.run(steps: steps)
        return simulation
    }

    /// The roster that holds every operation of the run.
    public func merged() throws -> RosterState {
        var state = start
        try state.receive(all)
        return state
    }

    /// A causal context that holds the key events (as every operation of a writer
    /// must, to have its enrolment in its past) and `counters`.
    public func context(_ counters: [String: UInt64] = [:]) -> VectorClock {
        VectorClock(start.clock.counters.merging(counters) { max($0, $1) })
    }

    static let category = Category.allCases
    public static let basis = try! LegalBasis(authority: "Court", reference: "R-1", decided: CalendarDate("2026-01-01"))

    public mutating func run(steps: Int) {
        for _ in 0..<steps {
            let index = Int.random(in: 0..<writers.count, using: &rng)
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll < 2 {
                // Sync: learn everything another writer holds.
                let other = Int.random(in: 0..<writers.count, using: &rng)
                _ = try! writers[index].state.receive(writers[other].state.applied)
                continue
            }
            let writer = writers[index]
            let own = writer.state.entries.filter { $0.agency == writer.replica.agency && $0.isLive }
            let payload: Operation.Payload
            let originals = own.filter { $0.mirrorOf == nil }
            if mirrors, roll == 5, let original = originals.randomElement(using: &rng) {
                let value = "copy\(Int.random(in: 0..<12, using: &rng)).example"
                let note: String? = Bool.random(using: &rng) ? "same shop" : nil
                payload = .mirror(resource: try! Resource(kind: .domain, value: value), fields: MirrorFields(original: original.id, note: note))
            } else if roll < 6 || own.isEmpty {
                let value = "site\(Int.random(in: 0..<12, using: &rng)).example"
                let scope: Resource.Scope = Bool.random(using: &rng) ? .exact : .subdomains
                // One value is listed as broad, so the flag travels through every merge test.
                let fields = EntryFields(category: Self.category.randomElement(using: &rng)!, basis: Self.basis, broad: value == "site7.example")
                payload = .add(resource: try! Resource(kind: .domain, value: value, scope: scope), fields: fields)
            } else if roll < 9 {
                let target = own.randomElement(using: &rng)!.id
                var changes = FieldChanges()
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: changes.category = Self.category.randomElement(using: &rng)!
                case 1: changes.note = .some("note \(Int.random(in: 0..<100, using: &rng))")
                default: changes.note = .some(nil)
                }
                payload = .amend(target: target, changes: changes)
            } else {
                payload = .revoke(target: own.randomElement(using: &rng)!.id, reason: "lifted")
            }
            let head = writer.state.heads[writer.replica.origin]
            let operation = try! writer.replica.make(payload, after: head, clock: writer.state.clock,
                                                time: times.randomElement(using: &rng)!)
            _ = try! writers[index].state.receive([operation])
            all.append(operation)
        }
    }
}

/// Unwraps or throws, for tests that read optional results.
public func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw RosterError(.badInput, message) }
    return value
}

extension ReplicaKey {
    /// A fresh key from the system's generator, where a test needs no replay.
    public static func random() -> ReplicaKey {
        var system = SystemRandomNumberGenerator()
        return ReplicaKey(using: &system)
    }
}

/// A wall clock that a test moves by hand, for what a node decides by time.
public final class TestClock: Sendable {
    private let time: Mutex<Timestamp>

    public init(_ start: Timestamp) { time = Mutex(start) }

    public var wallClock: WallClock { WallClock { self.time.withLock { $0 } } }

    public func set(_ new: Timestamp) { time.withLock { $0 = new } }
}
