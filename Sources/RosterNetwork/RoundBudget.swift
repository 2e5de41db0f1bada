import Synchronization

/// What one round of sync may still spend (`SyncLimits.roundPages` requests, until
/// `SyncLimits.roundSeconds`), and what it spent in bytes: the pages pulled ahead by
/// the round's pipeline count against it from their task as they are asked for.
final class RoundBudget: Sendable {
    struct Spent {
        var pages = 0
        var bytesSent = 0
        var bytesReceived = 0
    }

    private let deadline: ContinuousClock.Instant
    private let spent = Mutex(Spent())

    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }

    /// Takes one request from the budget, if any is left.
    func take() -> Bool {
        spent.withLock { spent in
            guard spent.pages < SyncLimits.roundPages, ContinuousClock.now < deadline else { return false }
            spent.pages += 1
            return true
        }
    }

    /// Whether another request would be within the budget.
    var isLeft: Bool {
        spent.withLock { $0.pages < SyncLimits.roundPages } && ContinuousClock.now < deadline
    }

    func count(sent: Int, received: Int) {
        spent.withLock { spent in
            spent.bytesSent += sent
            spent.bytesReceived += received
        }
    }

    var total: Spent { spent.withLock { $0 } }
}
