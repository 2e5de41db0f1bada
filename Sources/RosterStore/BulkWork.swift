import Dispatch
import Foundation

/// Threads at a lower CPU priority (nice 10) for the bulk work a node does on other
/// nodes' bytes: parsing and verifying the pages of a sync or a push. With cores to
/// spare they run at full speed; on a busy machine the requests the node answers
/// (`check`, peers' pulls) come first, so a first sync or a hostile peer's flood
/// does not stall consumers. (The nice value is set on Linux, where it is per
/// thread.) Work is posted from outside these threads only: a bulk thread that
/// waited for bulk work could wait for ever.
/// Unchecked Sendable: `condition` (an NSCondition) guards `jobs`.
final class BulkWork: @unchecked Sendable {
    static let shared = BulkWork(threads: max(1, ProcessInfo.processInfo.activeProcessorCount))

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
