import Dispatch
import Foundation

/// The one model for CPU work on other people's bytes (parsing pages, verifying
/// signatures): `map` spreads a batch over one thread per core and keeps its order,
/// `run` moves a whole job off Swift's cooperative pool, which has one thread per
/// core too: a handler that verified a page on it would stall every other request.
public enum CPUWork {
    /// Runs `work` on a Dispatch thread and resumes the caller with its result.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work` on one of the bulk threads (`BulkThreads`, nice 10) and resumes the
    /// caller with its result: for a stage of bulk work that should yield its core to
    /// the stage it feeds (an import's reading and encoding, ahead of its signing),
    /// and to the requests the node answers. `work` must not call `map`.
    static func background<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            BulkThreads.shared.post { continuation.resume(with: Result { try work() }) }
        }
    }

    /// `transform` of every item, in order, computed `chunk` items at a time on the
    /// bulk threads (`BulkThreads`): as wide as the cores, never wider, whoever asks.
    /// Blocks until all are done; call it from synchronous code off the cooperative
    /// pool (inside `run`, a database transaction, a CLI command).
    static func map<T, U>(_ items: [T], chunk: Int, _ transform: @escaping @Sendable (T) -> U) -> [U] {
        let results = UnsafeResults<U>(count: items.count)
        let input = UncheckedBox(items)
        let chunks = (items.count + chunk - 1) / chunk
        BulkThreads.shared.perform(iterations: chunks) { index in
            for position in index * chunk..<min(input.value.count, (index + 1) * chunk) {
                results.set(position, transform(input.value[position]))
            }
        }
        // Every slot was set: each index in 0..<chunks ran before perform returned.
        return results.values.map { $0! }
    }

    /// The same for a transform that throws: the first error by position is thrown,
    /// so a bad line is reported by the same number whatever the scheduling.
    static func map<T, U>(_ items: [T], chunk: Int, _ transform: @escaping @Sendable (T) throws -> U) throws -> [U] {
        try map(items, chunk: chunk) { item in Result { try transform(item) } }.map { try $0.get() }
    }
}

/// One thread per core at a lower CPU priority (nice 10) for `CPUWork.map`. With
/// cores to spare they run at full speed; on a busy machine the requests the node
/// answers (`check`, peers' pulls) come first, so a first sync or a hostile peer's
/// flood does not stall consumers. (The nice value is set on Linux, where it is
/// per thread.) Work is posted from outside these threads only: a bulk thread that
/// waited for bulk work could wait for ever.
/// Unchecked Sendable: `condition` (an NSCondition) guards `jobs`.
private final class BulkThreads: @unchecked Sendable {
    static let shared = BulkThreads(threads: max(1, ProcessInfo.processInfo.activeProcessorCount))

    private static let threadName = "roster-bulk"
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init(threads: Int) {
        for _ in 0..<threads {
            Thread { [self] in run() }.start()
        }
    }

    private func run() {
        #if os(Linux)
        // On Linux the nice value is per thread: this one only.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        Thread.current.name = Self.threadName
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `job` on one of these threads, later.
    func post(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` for every index in `0..<iterations` on these threads and returns
    /// when all have run.
    func perform(iterations: Int, _ body: @escaping @Sendable (Int) -> Void) {
        precondition(Thread.current.name != Self.threadName, "bulk work is posted from outside the bulk threads")
        guard iterations > 0 else { return }
        let group = DispatchGroup()
        condition.lock()
        for index in 0..<iterations {
            group.enter()
            jobs.append {
                body(index)
                group.leave()
            }
        }
        condition.broadcast()
        condition.unlock()
        group.wait()
    }
}

/// Slots written by disjoint indices from concurrent iterations. Unchecked
/// Sendable without a lock: each slot has one writer, and the caller reads only
/// after the iterations have joined (`BulkThreads.perform` returns).
final class UnsafeResults<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Value) { slots[index] = value }

    var values: [Value?] { Array(slots) }
}

/// Carries a value the caller knows is safe to share between threads (read only
/// while they run). Unchecked Sendable without a lock: that is the caller's claim,
/// made where it is boxed.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
