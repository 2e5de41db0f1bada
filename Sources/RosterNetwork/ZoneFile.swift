import Foundation
import Logging
import RosterCore
import RosterStore
import ServiceLifecycle

/// `serve --rpz-zone-file`: keeps the RPZ in a file for a standard authoritative
/// server (BIND, Knot, NSD) to load and hand to every resolver of a country by zone
/// transfer, with NOTIFY. The node serves one primary, not each resolver. The file
/// is rewritten whole (`AtomicFile`) whenever the zone would change (an operation
/// applied, a day begun), then `notify` runs, e.g. `rndc reload rpz.roster`.
public struct ZoneFile: Service {
    let node: Node
    let path: String
    let feed: @Sendable (Timestamp) -> Feed
    /// A shell command, run after each write.
    let notify: String?
    /// Seconds between looks at the database.
    let interval: Double
    let logger: Logger

    /// A notify command that runs longer is stopped, and the next change runs it again.
    static let notifyTimeout = 60.0

    public init(node: Node, path: String, policy: BroadPolicy, notify: String?, interval: Double = 1, logger: Logger) {
        self.node = node
        self.path = path
        let (origin, agency) = (node.identity.origin, node.identity.agency)
        feed = { now in Feed(format: .rpz, origin: origin, agency: agency, policy: policy, now: now) }
        self.notify = notify
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var written: String?
            while !Task.isCancelled {
                do {
                    let feed = feed(node.store.wallClock.now())
                    let tag = feed.tag(clock: try await node.store.clock())
                    if tag != written {
                        let clock = try await node.store.export(feed, toFile: path)
                        // The tag of the snapshot written: a change read in between is written next time.
                        written = feed.tag(clock: clock)
                        logger.info("wrote the policy zone to \(path), serial \(RPZExport.serial(of: clock, today: feed.today))")
                        if let notify { await run(notify) }
                    }
                } catch let error where !Task.isCancelled {
                    // A busy database or a full disk: the file stays as it was, and the next look tries again.
                    logger.warning("could not write the zone file \(path): \(error)")
                } catch {}
                try? await Task.sleep(for: .seconds(interval))
            }
        }
    }

    /// Runs `command` in a session of its own, so that a timeout or shutdown stops
    /// whatever it started too.
    private func run(_ command: String) async {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", command]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            logger.warning("could not run --rpz-notify: \(error)")
            return
        }
        let deadline = Date().addingTimeInterval(Self.notifyTimeout)
        while process.isRunning && Date() < deadline && !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { break }
        }
        if process.isRunning {
            kill(-process.processIdentifier, SIGKILL)
            if !Task.isCancelled { logger.warning("--rpz-notify ran longer than \(Int(Self.notifyTimeout)) s and was stopped; the next change runs it again") }
            return
        }
        if process.terminationStatus != 0 {
            logger.warning("--rpz-notify exited with status \(process.terminationStatus); the next change runs it again")
        }
    }
}
