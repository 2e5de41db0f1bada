import Foundation
import Logging
import RosterCore
import RosterStore
import ServiceLifecycle
import Synchronization

/// Keeps the RPZ of the roster as it stands in the feed cache (`FeedCache`), so that
/// even the first resolver to fetch a new version gets it from a file, with its
/// length, as fast as from a local zone. A version is written when the roster has
/// changed, and no sooner after the last than ten times what that one took: a node
/// that syncs without pause spends at most a tenth of a core on it.
public struct FeedWarmer: Service {
    let node: Node
    let cache: FeedCache
    let policy: BroadPolicy
    let logger: Logger
    /// Seconds between looks at the database.
    let interval: Double

    public init(node: Node, cache: FeedCache, policy: BroadPolicy, interval: Double = 2, logger: Logger) {
        (self.node, self.cache, self.policy, self.interval, self.logger) = (node, cache, policy, interval, logger)
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var rest = Duration.zero
            while !Task.isCancelled {
                let started = ContinuousClock.now
                if (try? await warm()) == true {
                    rest = (ContinuousClock.now - started) * 10
                    try? await Task.sleep(for: rest)
                }
                try? await Task.sleep(for: .seconds(interval))
            }
        }
    }

    /// Writes the current version when the cache lacks it and no consumer is writing it; true if it wrote one.
    func warm() async throws -> Bool {
        let feed = Feed(format: .rpz, origin: node.identity.origin, agency: node.identity.agency, policy: policy, now: node.store.wallClock.now())
        let tag = feed.tag(clock: try await node.store.clock())
        if let (handle, _) = cache.open(.rpz, tag: tag) {
            try? handle.close()
            return false
        }
        guard let copy = cache.writer(.rpz) else { return false }
        let read = Mutex<VectorClock?>(nil)
        do {
            try await node.store.export(feed, started: { clock in read.withLock { $0 = clock } }) { copy.write($0) }
        } catch {
            copy.abandon()
            logger.warning("could not keep the RPZ in the feed cache: \(error)")
            return false
        }
        guard let clock = read.withLock({ $0 }) else {
            copy.abandon()
            return false
        }
        copy.finish(tag: feed.tag(clock: clock))
        logger.info("kept the RPZ of clock \(clock) in the feed cache")
        return true
    }
}
