import Foundation
import Logging
import NIOHTTP1
import RosterCore
import RosterStore

/// What one round with a peer moved.
public struct SyncReport: Sendable {
    /// The peer's id.
    public let peer: String
    public var pulled = 0
    public var pushed = 0
    public var pending = 0
    public var rejected: [String] = []
    /// HTTP bodies sent and received, and the round's duration: what a round costs.
    public var bytesSent = 0
    public var bytesReceived = 0
    public var seconds = 0.0
    /// False when the round stopped at its budget with more to move: the next round goes on.
    public var complete = true
    /// Connections the round opened: none when it ran over the one kept from the last round.
    public var connections = 0
}

/// One round of anti-entropy with a peer: pull what this node lacks, page by page,
/// each page committed in one transaction; then push what the peer lacks. Clocks
/// advance only with what was committed, so a round cut anywhere resumes cleanly.
/// A round ends when the peer has nothing more, when nothing moved, or when its
/// budget (`SyncLimits.roundSeconds`, `roundPages`) is spent; it stops at once
/// when its task is cancelled.
public enum Synchronizer {
    /// `progress` hears the round's report after each page applied: a first sync moves a whole roster.
    public static func sync(node: Node, with peer: Peer, tls: NodeTLS, logger: Logger,
                            progress: @escaping @Sendable (SyncReport) -> Void = { _ in }) async throws -> SyncReport {
        let client = try client(for: peer, tls: tls)
        defer { client.close() }
        return try await sync(node: node, with: peer, over: client, logger: logger, progress: progress)
    }

    /// A client for the peer's endpoint and pin, to keep across rounds.
    public static func client(for peer: Peer, tls: NodeTLS) throws -> PeerClient {
        guard let endpoint = peer.endpoint, let pin = peer.tlsPin else {
            throw RosterError(.invalidField, "peer \(peer.id) has no endpoint and TLS pin in its descriptor")
        }
        return PeerClient(peer: peer.id, endpoint: endpoint, pin: pin, tls: tls)
    }

    /// One round over `client`, whose connection stays open for the next round.
    public static func sync(node: Node, with peer: Peer, over client: PeerClient, logger: Logger,
                            progress: @escaping @Sendable (SyncReport) -> Void = { _ in }) async throws -> SyncReport {
        let connectionsBefore = client.connections
        var report = SyncReport(peer: peer.id)
        // A node proven to have shown two histories of its log is not synced from.
        if let replica = peer.descriptor.node, let conflict = try await node.conflicts().first(where: {
            $0.origin == Checkpoint.origin(of: replica) && !$0.acknowledged
        }) {
            throw RosterError(.equivocation, "\(conflict.description) (roster audit shows the proof): not syncing with \(peer.id) "
                + "until an operator has looked into it and runs roster peers resume \(peer.id)")
        }
        let started = ContinuousClock.now
        let budget = RoundBudget(deadline: started + .seconds(SyncLimits.roundSeconds))

        // Only the agencies this node trusts are asked for, so refused operations are not sent again and again.
        let trust = try await node.store.trust()
        let trusted = trust.agencies.keys.filter { trust.isTrusted($0) }.sorted()
        let agencies = trusted.count <= SyncLimits.maximumOrigins ? trusted : nil

        // Pull: pages are fetched and parsed, then verified, by a pipeline ahead of the
        // page being written. Each is asked for with the clock this node will hold if
        // the pages before it apply whole; when one does not (pending or rejected
        // operations), the pages pulled ahead are dropped and the pull starts again
        // from the clock this node holds.
        var theirs = VectorClock()
        var proofs: String?
        var holding = try await node.store.clock()
        // Whether the peer has more than what was pulled when the pull stopped.
        var more = false
        pulling: while true {
            let pipeline = pages(from: client, holding: holding, agencies: agencies, store: node.store, budget: budget)
            var restart = false
            do {
                while let (page, verified) = try await pipeline.next() {
                    let receipt = try await node.store.apply(verified, from: peer.id)
                    NodeMetrics.record(receipt.outcomes)
                    (theirs, proofs, more) = (page.theirs, page.proofs, page.more)
                    for (operation, outcome) in zip(verified.operations, receipt.outcomes) {
                        switch outcome {
                        case .applied: report.pulled += 1
                        case .pending: report.pending += 1
                        case .duplicate: break
                        case .rejected(let error): report.rejected.append("\(operation.dot): \(error.reason)")
                        }
                    }
                    progress(report)
                    // A page that moved nothing ends the round: asking again would bring the same.
                    guard page.more, receipt.clock != page.asked else {
                        more = false
                        break
                    }
                    if receipt.clock != page.expected {
                        (holding, restart) = (receipt.clock, true)
                        break
                    }
                }
            } catch {
                // Nothing of the round runs on after it ends: the pages in flight are awaited.
                pipeline.cancel()
                await pipeline.stopped()
                throw error
            }
            pipeline.cancel()
            await pipeline.stopped()
            guard restart else { break pulling }
        }
        // The pipeline stops asking when the budget is spent; what the peer has left, the next round pulls.
        if more && !budget.isLeft { report.complete = false }

        // Proofs of equivocation, when the peer holds others than this node: both
        // operations of each pair, verified and planned like any, so that the
        // equivocating replica is quarantined here too.
        if let theirs = proofs, try await theirs != node.store.proofsDigest(agencies: agencies.map(Set.init)) {
            var request: [String: JSON] = agencies.map { ["agencies": .array($0.map(JSON.string))] } ?? [:]
            // Page by page, within what is left of the round: a page is as bounded as a pull's.
            while budget.take() {
                let response = try await client.request(.POST, "/v1/sync/proofs", body: CanonicalJSON.encode(.object(request)))
                try expectSuccess(response, from: peer.id)
                budget.count(sent: 0, received: response.body.count)
                let lines = response.body.split(separator: 0x0A)
                guard lines.count <= SyncLimits.maximumPage, lines.allSatisfy({ $0.count <= SyncLimits.maximumOperation }) else {
                    throw RosterError(.badAnswer, "\(peer.id) sent more proofs, or larger, than a page may hold")
                }
                let operations = try await CPUWork.run {
                    do {
                        return try Store.parse(lines.map(Array.init))
                    } catch let error as RosterError {
                        throw RosterError(error.code, "\(peer.id) sent proofs that do not parse: \(error.reason)")
                    }
                }
                let receipt = try await node.store.receive(operations, from: peer.id)
                NodeMetrics.record(receipt.outcomes)
                let proven = receipt.outcomes.filter { if case .rejected(let error) = $0 { return error.code == .equivocation } else { return false } }
                if !proven.isEmpty { logger.warning("\(peer.id) handed over \(proven.count) proofs of equivocation: run roster audit") }
                guard response.header("Roster-More") == "true" else { break }
                guard let next = response.header("Roster-After").flatMap(Int64.init), next > request["after"]?.integer ?? 0 else {
                    throw RosterError(.badAnswer, "\(peer.id) said more proofs remain but gave no Roster-After past the last page")
                }
                request["after"] = .integer(next)
            }
        }

        // Push, against the peer's own account of what it holds: its clock came with the
        // last page pulled and comes back with each push, so an idle round is one request.
        // A peer that claims to apply what it was sent must show it in its clock, or the
        // round stops: otherwise a lying peer would be sent the same page for ever.
        while true {
            try Task.checkCancellation()
            let held = theirs
            let delta = try await node.store.delta(missingFrom: held, limit: SyncLimits.maximumPage, bytes: SyncLimits.maximumPageBytes)
            let (bodies, more) = (delta.bodies, delta.more)
            guard !bodies.isEmpty else { break }
            guard budget.take() else {
                report.complete = false
                break
            }
            let body = Array((bodies.joined(separator: "\n") + "\n").utf8)
            let response = try await client.request(.POST, "/v1/sync/push", body: body, contentType: "application/x-ndjson")
            budget.count(sent: body.count, received: response.body.count)
            try expectSuccess(response, from: peer.id)
            let answer = try JSONParser.parse(response.body)
            guard let results = answer["results"]?.array, let clockJSON = answer["clock"], let answered = try? VectorClock(json: clockJSON) else {
                throw RosterError(.badAnswer, "\(peer.id) answered a push without results and clock")
            }
            guard results.count == bodies.count else {
                throw RosterError(.badAnswer, "\(peer.id) answered \(results.count) results for \(bodies.count) operations pushed")
            }
            var moved = 0
            for result in results {
                switch result["outcome"]?.string {
                case "applied": moved += 1
                case "rejected":
                    report.rejected.append("\(Text.printable(result["dot"]?.string ?? "?", limit: 100)) at \(peer.id): \(Text.printable(result["reason"]?.string ?? ""))")
                default: break
                }
            }
            let advanced = answered.counters.contains { $0.value > held[$0.key] }
            if moved > 0 && !advanced {
                throw RosterError(.badAnswer, "\(peer.id) says it applied \(moved) operations, but its clock did not advance: stopping this round")
            }
            theirs = answered
            report.pushed += moved
            progress(report)
            guard more, moved > 0 else { break }
        }
        try await gossip(node: node, with: peer, over: client, budget: budget, logger: logger)
        (report.bytesSent, report.bytesReceived) = (budget.total.bytesSent, budget.total.bytesReceived)
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        report.connections = client.connections - connectionsBefore
        let cut = report.complete ? "" : "; the round's budget is spent, the next round goes on"
        let over = report.connections == 0 ? "over the kept connection" : "over \(report.connections) new connection\(report.connections == 1 ? "" : "s")"
        logger.info("sync with \(peer.id): pulled \(report.pulled), pushed \(report.pushed), pending \(report.pending), rejected \(report.rejected.count), \(over)\(cut)",
                    metadata: ["peer": "\(peer.id)", "pulled": "\(report.pulled)", "pushed": "\(report.pushed)", "pending": "\(report.pending)",
                               "rejected": "\(report.rejected.count)", "complete": "\(report.complete)"])
        return report
    }

    /// Gossip of logs, once a round: this node's checkpoints and proofs of conflict for
    /// the peer's (`Node.gossip`, `Node.hear`), so that a node showing two peers two
    /// histories is caught by either. A peer that does not gossip yet answers 404.
    static func gossip(node: Node, with peer: Peer, over client: PeerClient, budget: RoundBudget, logger: Logger) async throws {
        let body = CanonicalJSON.encode(try await node.gossip().json)
        let response = try await client.request(.POST, "/v1/sync/checkpoints", body: body)
        budget.count(sent: body.count, received: response.body.count)
        guard response.status != 404 else { return }
        try expectSuccess(response, from: peer.id)
        let theirs: LogGossip
        do {
            theirs = try LogGossip(json: JSONParser.parse(response.body))
        } catch let error as RosterError {
            throw RosterError(.badAnswer, "\(peer.id) gossiped what is not checkpoints and conflicts: \(error.reason)")
        }
        for origin in try await node.hear(theirs) {
            logger.warning("\(peer.id) handed over a proof that \(origin) showed two histories of its log: run roster audit")
        }
    }

    /// One page of a pull: parsed, not yet verified nor written.
    struct Page: Sendable {
        let asked: VectorClock
        let theirs: VectorClock
        let more: Bool
        /// The digest of the proofs of equivocation the peer holds.
        let proofs: String?
        let operations: [SignedOperation]

        /// The clock this node holds once the page is applied, if all of it applies.
        var expected: VectorClock {
            var counters = asked.counters
            for operation in operations {
                counters[operation.dot.origin] = max(counters[operation.dot.origin] ?? 0, operation.dot.seq)
            }
            return VectorClock(counters)
        }
    }

    /// The pull's pipeline: pages fetched and parsed, each asked for with the clock
    /// the one before leads to, then verified on every core; while the budget lasts
    /// and the peer says more remain.
    static func pages(from client: PeerClient, holding clock: VectorClock, agencies: [String]?, store: Store,
                      budget: RoundBudget) -> Pipeline<(Page, VerifiedBatch)> {
        Pipeline.source(depth: 1, state: Optional(clock)) { next in
            guard let asking = next, budget.take() else { return nil }
            let page = try await pull(from: client, holding: asking, agencies: agencies, budget: budget)
            next = page.more ? page.expected : nil
            return page
        }.then(depth: 1) { page in
            (page, try await store.verify(page.operations))
        }
    }

    static func pull(from client: PeerClient, holding clock: VectorClock, agencies: [String]?, budget: RoundBudget) async throws -> Page {
        var request: [String: JSON] = ["clock": clock.json, "limit": .integer(Int64(SyncLimits.maximumPage))]
        if let agencies { request["agencies"] = .array(agencies.map(JSON.string)) }
        let body = CanonicalJSON.encode(.object(request))
        let response = try await client.request(.POST, "/v1/sync/pull", body: body)
        budget.count(sent: body.count, received: response.body.count)
        try expectSuccess(response, from: client.peer)
        guard let clockText = response.header("Roster-Clock"), let theirs = try? VectorClock(json: JSONParser.parse(clockText)) else {
            throw RosterError(.badAnswer, "\(client.peer) answered a pull without its clock (Roster-Clock)")
        }
        let lines = response.body.split(separator: 0x0A)
        if let large = lines.firstIndex(where: { $0.count > SyncLimits.maximumOperation }) {
            throw RosterError(.badAnswer, "\(client.peer) sent an operation larger than \(SyncLimits.maximumOperation) bytes (line \(large + 1))")
        }
        guard lines.count <= SyncLimits.maximumPage else {
            throw RosterError(.badAnswer, "\(client.peer) sent \(lines.count) operations in one page, more than the \(SyncLimits.maximumPage) asked for")
        }
        let peer = client.peer
        let operations = try await CPUWork.run {
            do {
                return try Store.parse(lines.map(Array.init))
            } catch let error as RosterError {
                throw RosterError(error.code, "\(peer) sent a page that does not parse: \(error.reason)")
            }
        }
        return Page(asked: clock, theirs: theirs, more: response.header("Roster-More") == "true",
                    proofs: response.header("Roster-Proofs").flatMap { Hex.isSHA256($0) ? $0 : nil }, operations: operations)
    }

    static func expectSuccess(_ response: PeerClient.Response, from agency: String) throws {
        guard response.status == 200 else {
            let message = Text.printable(String(decoding: response.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            throw RosterError(.peerRefused, "\(agency) refused (HTTP \(response.status)): \(message)")
        }
    }
}
