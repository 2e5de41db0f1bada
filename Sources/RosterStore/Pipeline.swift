import Foundation

/// The one shape of bulk work (an import, a first sync): stages that each take one
/// chunk at a time, in order, joined by bounded channels, so that reading, parsing,
/// verifying or signing the next chunks overlaps writing this one, and at most
/// `depth` chunks wait between two stages however large the input. Each stage is a
/// task; a stage whose work is CPU-heavy runs it through `CPUWork.run`, off the
/// cooperative pool. A stage that fails, or a consumer that stops (`cancel`),
/// stops every stage before it: once the work in hand ends, nothing runs on.
public struct Pipeline<Output: Sendable>: Sendable {
    let channel: Channel<Output>
    /// Every stage's task, first to last.
    let stages: [Task<Void, Never>]
    /// Closes every channel, first to last.
    let closers: [@Sendable () -> Void]

    /// A first stage: `produce` is called for chunk after chunk until it returns nil.
    public static func source(depth: Int = 2, _ produce: @escaping @Sendable () async throws -> Output?) -> Pipeline {
        source(depth: depth, state: ()) { _ in try await produce() }
    }

    /// A first stage that keeps `state` from one chunk to the next (where to read
    /// from, what to ask for next): its task alone holds it.
    public static func source<State: Sendable>(depth: Int = 2, state: State,
                                               _ produce: @escaping @Sendable (inout State) async throws -> Output?) -> Pipeline {
        let output = Channel<Output>(capacity: depth)
        let stage = Task {
            var state = state
            do {
                while !output.isClosed, let item = try await produce(&state) { try await output.send(item) }
                output.finish()
            } catch {
                output.finish(throwing: error)
            }
        }
        return Pipeline(channel: output, stages: [stage], closers: [output.close])
    }

    /// A next stage: `transform` of each chunk of this one, in order.
    public func then<Next: Sendable>(depth: Int = 2, _ transform: @escaping @Sendable (Output) async throws -> Next) -> Pipeline<Next> {
        let (input, output) = (channel, Channel<Next>(capacity: depth))
        let stage = Task {
            do {
                while let item = try await input.next() {
                    // A consumer that gave up gets no more work done for it.
                    guard !output.isClosed else { throw CancellationError() }
                    try await output.send(transform(item))
                }
                output.finish()
            } catch {
                input.close()
                output.finish(throwing: error)
            }
        }
        return Pipeline<Next>(channel: output, stages: stages + [stage], closers: closers + [output.close])
    }

    /// The next chunk out of the last stage; nil once every stage is done. The first
    /// error of any stage is thrown after the chunks that came before it. A consumer
    /// whose task is cancelled abandons the pipeline (`abandon`).
    public func next() async throws -> Output? {
        try await withTaskCancellationHandler {
            try await channel.next()
        } onCancel: {
            abandon()
        }
    }

    /// The same for a consumer that must not leave its thread: a write transaction,
    /// which holds the database's writer while the stages before it run as tasks.
    func waitForNext() throws -> Output? {
        try channel.waitForNext()
    }

    /// Stops every stage: what they hold is dropped, and each stops once the work
    /// in hand ends (a request in flight completes, so its connection stays usable).
    public func cancel() {
        for close in closers { close() }
    }

    /// Stops every stage at once, for a consumer whose own task was cancelled (a
    /// node shutting down): their tasks are cancelled too, a request in flight with them.
    public func abandon() {
        cancel()
        for stage in stages { stage.cancel() }
    }

    /// Returns once every stage has ended: after `cancel`, nothing of this pipeline
    /// runs on (a connection it used is free again).
    public func stopped() async {
        for stage in stages { await stage.value }
    }
}

/// A bounded queue from one stage to the next: one sender, one receiver. It holds
/// at most `capacity` items: a sender with one more waits, parked with it; the
/// receiver waits while it is empty, suspended (`next`) or blocked (`waitForNext`).
/// Unchecked Sendable: `condition` (an NSCondition) guards every stored var.
final class Channel<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Item] = []
    private var finished = false
    private var failure: Error?
    private var closed = false
    private var parked: (item: Item, sender: CheckedContinuation<Void, Error>)?
    private var receiver: CheckedContinuation<Item?, Error>?

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Whether the receiver has given up: a stage then produces nothing more.
    var isClosed: Bool { condition.withLock { closed } }

    /// Hands over `item`, waiting while the channel is full. Throws
    /// `CancellationError` once the receiver has closed it.
    func send(_ item: Item) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            condition.lock()
            if closed {
                condition.unlock()
                continuation.resume(throwing: CancellationError())
            } else if let receiver {
                self.receiver = nil
                condition.unlock()
                receiver.resume(returning: item)
                continuation.resume()
            } else if items.count < capacity {
                items.append(item)
                condition.broadcast()
                condition.unlock()
                continuation.resume()
            } else {
                parked = (item, continuation)
                condition.unlock()
            }
        }
    }

    /// No more items; `error`, if any, reaches the receiver after those sent before it.
    func finish(throwing error: Error? = nil) {
        condition.lock()
        guard !finished else { return condition.unlock() }
        finished = true
        failure = error
        let waiting = receiver
        receiver = nil
        condition.broadcast()
        condition.unlock()
        if let error { waiting?.resume(throwing: error) } else { waiting?.resume(returning: nil) }
    }

    /// The receiver gives up: items are dropped and the sender's `send` throws.
    func close() {
        condition.lock()
        closed = true
        items.removeAll()
        let (waitingSender, waitingReceiver) = (parked?.sender, receiver)
        (parked, receiver) = (nil, nil)
        condition.broadcast()
        condition.unlock()
        waitingSender?.resume(throwing: CancellationError())
        waitingReceiver?.resume(throwing: CancellationError())
    }

    func next() async throws -> Item? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Item?, Error>) in
            condition.lock()
            switch take() {
            case .some(let (result, released)):
                condition.unlock()
                released?.resume()
                continuation.resume(with: result)
            case .none:
                receiver = continuation
                condition.unlock()
            }
        }
    }

    func waitForNext() throws -> Item? {
        condition.lock()
        while true {
            if let (result, released) = take() {
                condition.unlock()
                released?.resume()
                return try result.get()
            }
            condition.wait()
        }
    }

    /// What the receiver gets now, or nil if it must wait, and the parked sender
    /// whose item took the freed place. Called with the lock held.
    private func take() -> (Result<Item?, Error>, CheckedContinuation<Void, Error>?)? {
        if closed { return (.failure(CancellationError()), nil) }
        if !items.isEmpty {
            let item = items.removeFirst()
            guard let (waiting, sender) = parked else { return (.success(item), nil) }
            items.append(waiting)
            parked = nil
            return (.success(item), sender)
        }
        guard finished else { return nil }
        return (failure.map { .failure($0) } ?? .success(nil), nil)
    }
}
