import Foundation
import RosterCore
import Synchronization

/// Carries a feed from the database's reader thread, which blocks, to the response
/// writer, which awaits. At most `depth` pieces wait between them, so a slow consumer
/// slows the read instead of filling memory; one that reads nothing for `patience`
/// seconds, or goes away, ends the read and frees its snapshot.
final class FeedStream: Sendable {
    private struct State {
        var queue: [String] = []
        var waiting: CheckedContinuation<String?, any Error>?
        var end: Result<String?, any Error>?
        var gone = false
    }

    private let state = Mutex(State())
    /// Room for pieces between the two sides: the reader thread waits on it.
    private let room: Room
    private let patience: Double

    init(depth: Int = 8, patience: Double = 30) {
        room = Room(depth)
        self.patience = patience
    }

    /// From the reader thread: waits while `depth` pieces are unread.
    func send(_ text: String) throws {
        switch room.take(within: patience) {
        case .taken: break
        case .timedOut: throw RosterError(.badInput, "the consumer read nothing for \(Int(patience)) s: the feed is cut")
        case .closed: throw RosterError(.badInput, "the consumer went away: the feed is cut")
        }
        let reader = state.withLock { state -> CheckedContinuation<String?, any Error>? in
            if let waiting = state.waiting {
                state.waiting = nil
                return waiting
            }
            state.queue.append(text)
            return nil
        }
        if let reader {
            room.give()
            reader.resume(returning: text)
        }
    }

    /// From the reader thread, once: the feed is whole, or `error` cut it.
    func finish(_ error: (any Error)?) {
        let end: Result<String?, any Error> = error.map { .failure($0) } ?? .success(nil)
        let reader = state.withLock { state in
            state.end = end
            defer { state.waiting = nil }
            return state.waiting
        }
        reader?.resume(with: end)
    }

    /// The next piece, or nil after the last.
    func next() async throws -> String? {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<String?, any Error>? = state.withLock { state in
                if !state.queue.isEmpty { return .success(state.queue.removeFirst()) }
                if let end = state.end { return end }
                state.waiting = continuation
                return nil
            }
            guard let ready else { return }
            if case .success(.some) = ready { room.give() }
            continuation.resume(with: ready)
        }
    }

    /// The consumer stopped: the reader ends at its next piece.
    func cancel() {
        room.close()
    }

    /// A count of free places with a blocking take, which, unlike a semaphore, may be
    /// dropped with places taken (a consumer that went away mid-feed).
    final class Room: @unchecked Sendable {
        enum Taken { case taken, timedOut, closed }

        private let condition = NSCondition()
        private var free: Int
        private var closed = false

        init(_ places: Int) { free = places }

        func take(within seconds: Double) -> Taken {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(seconds)
            while free == 0 && !closed {
                if !condition.wait(until: deadline) && free == 0 && !closed { return .timedOut }
            }
            if closed { return .closed }
            free -= 1
            return .taken
        }

        func give() {
            condition.lock()
            free += 1
            condition.signal()
            condition.unlock()
        }

        func close() {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
