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
    private let credits: DispatchSemaphore
    private let patience: Double

    init(depth: Int = 8, patience: Double = 30) {
        credits = DispatchSemaphore(value: depth)
        self.patience = patience
    }

    /// From the reader thread: waits while `depth` pieces are unread.
    func send(_ text: String) throws {
        guard credits.wait(timeout: .now() + patience) == .success else {
            throw RosterError(.badInput, "the consumer read nothing for \(Int(patience)) s: the feed is cut")
        }
        let reader = try state.withLock { state -> CheckedContinuation<String?, any Error>? in
            if state.gone { throw RosterError(.badInput, "the consumer went away: the feed is cut") }
            if let waiting = state.waiting {
                state.waiting = nil
                return waiting
            }
            state.queue.append(text)
            return nil
        }
        if let reader {
            credits.signal()
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
            if case .success(.some) = ready { credits.signal() }
            continuation.resume(with: ready)
        }
    }

    /// The consumer stopped: the reader ends at its next piece.
    func cancel() {
        state.withLock { $0.gone = true }
        credits.signal()
    }
}
