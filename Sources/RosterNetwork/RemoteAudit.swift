import Synchronization
import RosterCore
import RosterStore

/// An auditor's audit of a node it does not trust, from the outside: the node's
/// signed checkpoint, then every leaf of its log through the public entry tiles,
/// replayed from the agency root the auditor pinned (`LogReplay`), the root
/// recomputed and compared with the checkpoint's, and with the checkpoint the
/// auditor kept from its last audit, so that a rewritten history shows. Needs no
/// node of its own; memory stays flat as the log grows (`LogReplay`).
public enum RemoteAudit {
    public struct Request: Sendable {
        /// The node, or a cache or mirror of its log.
        public var url: LogURL
        /// The node's agency, as it publishes itself: its root key and key events.
        public var descriptor: PeerDescriptor
        /// The fingerprint of the agency's root key, confirmed out of band: needed
        /// until the state file pins the agency.
        public var trust: String?
        public var state: AuditState
        /// How old, in seconds, the newest checkpoint may be; nil for any age.
        public var maxAge: Int64?
        public var now: Timestamp

        public init(url: LogURL, descriptor: PeerDescriptor, trust: String?, state: AuditState, maxAge: Int64?, now: Timestamp) {
            self.url = url
            self.descriptor = descriptor
            self.trust = trust
            self.state = state
            self.maxAge = maxAge
            self.now = now
        }
    }

    public struct Outcome: Sendable {
        public var report: LogAuditReport
        public var checkpoint: Checkpoint
        /// The state to keep: moved on to this checkpoint when nothing was found.
        public var state: AuditState
    }

    /// The largest body a log route answers with: a bundle of 256 operations of the largest size.
    static let maximumTile = LogTile.width * (SignedOperation.maximumSize + 2)

    public static func run(_ request: Request, progress: @escaping @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> Outcome {
        let descriptor = request.descriptor
        let agency = descriptor.agency
        let root = try pinnedRoot(request)
        var pins = Trust()
        pins.pin(agency, root: root)
        let endorsed = try descriptor.verified(by: pins)

        // The descriptor's pin applies at the node's own endpoint; a mirror is read as it comes.
        let atNode = request.url.endpoint.map { descriptor.endpoints.compactMap(Endpoint.init).contains($0) } ?? false
        let client = PeerClient(log: request.url, pin: atNode ? descriptor.tlsPin : nil, maximumBody: maximumTile)
        defer { client.close() }

        let (note, checkpoint) = try await fetchCheckpoint(client)
        guard let replica = Checkpoint.replica(ofLog: checkpoint.origin), Origin.agency(of: replica) == agency else {
            throw RosterError(.badAnswer, "\(request.url) serves the log \(checkpoint.origin), which is not a node of \(agency): check the URL and the descriptor")
        }
        var replay = LogReplay(pins: [agency: root])
        // The signer is endorsed by the descriptor's key events, or else by the log's.
        var signatureChecked = false
        if let key = endorsed.replicas[replica]?.key {
            signatureChecked = true
            if !note.isSigned(by: checkpoint.origin, key: key) {
                replay.find("the checkpoint is not signed by \(replica), whose key \(agency)'s key events endorse: it is not the node's")
            }
        }
        if let maxAge = request.maxAge {
            if let time = checkpoint.time {
                let age = request.now.seconds - time.seconds
                if age > maxAge {
                    replay.find("the newest checkpoint was signed at \(time), \(age) s ago, more than --max-age \(maxAge) s: the log is frozen, withheld or stalled")
                }
            } else {
                replay.find("the checkpoint carries no time: its freshness cannot be told")
            }
        }
        let previous = request.state.checkpoints[checkpoint.origin].flatMap { try? Checkpoint(text: $0.text) }
        if let previous {
            if checkpoint.size < previous.size {
                replay.find("the log has \(checkpoint.size) leaves, fewer than the \(previous.size) of the checkpoint in the state file: the node rewrote its history")
            }
            if let before = previous.time, let now = checkpoint.time, now < before {
                replay.find("the checkpoint is dated \(now), before the one in the state file (\(before)): the node turned its clock back")
            }
        }

        try await stream(client, size: checkpoint.size, into: &replay, previous: previous, progress: progress)

        if replay.size == checkpoint.size && replay.root != checkpoint.root {
            replay.find("the log's \(replay.size) leaves give root \(Base64.encode(replay.root)), but the checkpoint states \(Base64.encode(checkpoint.root)): "
                + "the node serves a history other than the one it signed")
        }
        if !signatureChecked {
            if let key = replay.trust.replicas[replica]?.key {
                if !note.isSigned(by: checkpoint.origin, key: key) {
                    replay.find("the checkpoint is not signed by \(replica), whose key \(agency)'s key events in the log endorse: it is not the node's")
                }
            } else {
                replay.find("no key event of \(agency) enrols \(replica), which signs the log \(checkpoint.origin): its checkpoint cannot be verified")
            }
        }
        let report = replay.finish()
        var state = request.state
        if report.findings.isEmpty {
            state.roots[agency] = root
            state.checkpoints[checkpoint.origin] = note
        }
        return Outcome(report: report, checkpoint: checkpoint, state: state)
    }

    /// The agency root to pin: the one the state file keeps, or the one confirmed
    /// with `--trust`, which must be the descriptor's; both when both, and equal.
    static func pinnedRoot(_ request: Request) throws -> String {
        let agency = request.descriptor.agency
        let named = request.descriptor.root.fingerprint
        if let trust = request.trust, trust != named {
            throw RosterError(.untrustedAgency, "the descriptor of \(agency) names root key sha256 \(named), not the \(trust) given with --trust: "
                + "it is not the agency you confirmed")
        }
        if let kept = request.state.roots[agency] {
            if let trust = request.trust, trust != kept {
                throw RosterError(.untrustedAgency, "the state file pins \(agency) to root sha256 \(kept), not \(trust): "
                    + "an agency's root never changes; if you confirmed a new one, start a new state file")
            }
            guard kept == named else {
                throw RosterError(.untrustedAgency, "the descriptor of \(agency) names root key sha256 \(named), but the state file pins \(kept): "
                    + "it is not the agency you audited before")
            }
            return kept
        }
        guard let trust = request.trust else {
            throw RosterError(.untrustedAgency, "the state file does not pin \(agency) yet: confirm its root key with the agency out of band, "
                + "then pass --trust \(named) if that is the one")
        }
        return trust
    }

    static func fetchCheckpoint(_ client: PeerClient) async throws -> (SignedNote, Checkpoint) {
        let response = try await client.request(.GET, "/log/checkpoint")
        guard response.status == 200 else {
            throw RosterError(.badAnswer, "\(client.peer) answered \(response.status) for its checkpoint: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        guard response.body.count <= SignedNote.maximumSize, let text = String(validating: response.body, as: UTF8.self),
            let note = try? SignedNote(parsing: text), let checkpoint = try? Checkpoint(text: note.text)
        else {
            throw RosterError(.badAnswer, "\(client.peer) served a checkpoint that is not a signed note of a checkpoint")
        }
        return (note, checkpoint)
    }

    /// Reads the log's leaves through its entry bundles, a few ahead, verified on
    /// every core, into `replay`; checks the root at the size of `previous` as it
    /// passes. A bundle the node will not serve ends the reading with a finding.
    static func stream(_ client: PeerClient, size: Int64, into replay: inout LogReplay, previous: Checkpoint?,
                       progress: @escaping @Sendable (Int64, Int64) -> Void) async throws {
        let keys = Mutex<[String: PublicKey]>([:])
        let pipeline = Pipeline.source(depth: 4, state: Int64(0)) { (index: inout Int64) -> (Int64, [[UInt8]])? in
            let start = index * Int64(LogTile.width)
            guard start < size else { return nil }
            let tile = LogTile(level: nil, index: index, width: Int(min(Int64(LogTile.width), size - start)))
            let response = try await client.request(.GET, "/log/" + tile.path)
            guard response.status == 200 else {
                throw RosterError(.badAnswer, "\(client.peer) answered \(response.status) for /log/\(tile.path), which its checkpoint of size \(size) covers: "
                    + "it withholds its log")
            }
            let entries: [[UInt8]]
            do {
                entries = try EntryBundle.decode(response.body, count: tile.width)
            } catch let error as RosterError {
                throw RosterError(.badAnswer, "/log/\(tile.path) is not a bundle of \(tile.width) entries: \(error.reason)")
            }
            index += 1
            return (start, entries)
        }.then { start, entries in
            let known = keys.withLock { $0 }
            return (start, await CPUWork.run { Verifier.checkLeaves(entries, keys: known) })
        }
        do {
            while let (start, leaves) = try await pipeline.next() {
                guard start == replay.size else { throw RosterError(.badAnswer, "leaves came out of order") }
                for leaf in leaves {
                    replay.take(leaf.operation, leafHash: leaf.leafHash)
                    if let previous, previous.size > 0, replay.size == previous.size, replay.root != previous.root {
                        replay.find("the log's first \(previous.size) leaves give root \(Base64.encode(replay.root)), but the checkpoint of that size "
                            + "in the state file states \(Base64.encode(previous.root)): the node rewrote its history since")
                    }
                }
                let enrolled = replay.replicaKeys
                if keys.withLock({ $0.count }) != enrolled.count { keys.withLock { $0 = enrolled } }
                progress(replay.size, size)
            }
        } catch let error as RosterError {
            pipeline.cancel()
            replay.find("the audit stopped after \(replay.size) of \(size) leaves: \(error.reason)")
        }
        await pipeline.stopped()
    }
}
