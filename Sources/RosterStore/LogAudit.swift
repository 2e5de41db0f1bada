import Synchronization
import RosterCore

/// Where an auditor reads a node's log: the node's tiles over HTTPS (or a cache's),
/// or a bundle file handed over for an air-gapped audit.
public protocol LogSource: Sendable {
    /// Names the source in messages.
    var name: String { get }
    /// The node's signed checkpoint, as served.
    func checkpoint() async throws -> SignedNote
    /// Leaves `start` up to `start + count`, asked for in order, 256 at a time.
    func leaves(from start: Int64, count: Int) async throws -> [[UInt8]]
    /// Throws if the source holds more than the leaves read (a bundle with lines past its size).
    func end() async throws
}

extension LogSource {
    public func end() async throws {}
}

/// An auditor's audit of a node it does not trust, from the outside: the node's
/// signed checkpoint, then every leaf of its log, replayed from the agency root the
/// auditor pinned (`LogReplay`), the root recomputed and compared with the
/// checkpoint's, and with the checkpoint the auditor kept from its last audit, so
/// that a rewritten history shows. Needs no node of its own; memory stays flat as
/// the log grows (`LogReplay`).
public enum LogAudit {
    public struct Request: Sendable {
        /// The node's agency, as it publishes itself: its root key and key events.
        public var descriptor: PeerDescriptor
        /// The fingerprint of the agency's root key, confirmed out of band: needed
        /// until the state file pins the agency.
        public var trust: String?
        public var state: AuditState
        /// How old, in seconds, the newest checkpoint may be; nil for any age.
        public var maxAge: Int64?
        /// How many other agencies' nodes must have cosigned the checkpoint.
        public var witnesses: Int
        /// Other agencies' root fingerprints the auditor confirmed: only agencies pinned
        /// here or in the state file count as witnesses, never ones the log introduces.
        public var witnessRoots: [String: String]
        public var now: Timestamp

        public init(descriptor: PeerDescriptor, trust: String?, state: AuditState, maxAge: Int64?, witnesses: Int = 0,
                    witnessRoots: [String: String] = [:], now: Timestamp) {
            self.witnesses = witnesses
            self.witnessRoots = witnessRoots
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

    public static func run(_ request: Request, source: some LogSource, progress: @escaping @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> Outcome {
        let descriptor = request.descriptor
        let agency = descriptor.agency
        let root = try pinnedRoot(request)
        var pins = Trust()
        pins.pin(agency, root: root)
        let endorsed = try descriptor.verified(by: pins)
        var roots = request.state.roots
        for (other, fingerprint) in request.witnessRoots {
            if let kept = roots[other], kept != fingerprint {
                throw RosterError(.untrustedAgency, "the state file pins \(other) to root sha256 \(kept), not \(fingerprint) given with --witness: "
                    + "an agency's root never changes; if you confirmed a new one, start a new state file")
            }
            roots[other] = fingerprint
        }
        roots[agency] = root

        let note = try await source.checkpoint()
        guard let checkpoint = try? Checkpoint(text: note.text) else {
            throw RosterError(.badInput, "\(source.name) holds a signed note that is not a checkpoint")
        }
        guard let replica = Checkpoint.replica(ofLog: checkpoint.origin), Origin.agency(of: replica) == agency else {
            throw RosterError(.badInput, "\(source.name) holds the log \(checkpoint.origin), which is not a node of \(agency): check the URL and the descriptor")
        }
        var replay = LogReplay(pins: roots)
        // The signer is endorsed by the descriptor's key events, or else by the log's.
        var signatureChecked = false
        if let key = endorsed.replicas[replica]?.logKey {
            signatureChecked = true
            guard note.isSigned(by: checkpoint.origin, key: key) else {
                // Nothing it states can be taken: its size least of all, which a forger could make endless.
                replay.find("the checkpoint is not signed by \(replica), whose key \(agency)'s key events endorse: it is not the node's")
                return Outcome(report: replay.finish(), checkpoint: checkpoint, state: request.state)
            }
        }
        if let time = checkpoint.time, time.seconds > request.now.seconds + CausalDelivery.maximumSkew {
            replay.find("the checkpoint is dated \(time), ahead of this machine's clock: check both clocks; a node that dates ahead escapes --max-age")
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
            if previous.time != nil && checkpoint.time == nil {
                replay.find("the checkpoint carries no time, as the one in the state file did: its freshness cannot be told")
            }
        }

        try await stream(source, size: checkpoint.size, into: &replay, previous: previous, progress: progress)
        if replay.size == checkpoint.size {
            do {
                try await source.end()
            } catch let error as RosterError {
                replay.find(error.reason)
            }
        }
        // The descriptor's key events are the log's first key events of the agency, as they
        // are. One the log lacks may be later than its checkpoint: the next one shows it.
        for event in descriptor.keyEvents {
            if let logged = replay.keyEventHash(event.dot), logged != event.hash {
                replay.find("key event \(event.dot) differs between the descriptor and the log: the agency signed two, or one of them was rewritten")
            }
        }

        if replay.size == checkpoint.size && replay.root != checkpoint.root {
            replay.find("the log's \(replay.size) leaves give root \(Base64.encode(replay.root)), but the checkpoint states \(Base64.encode(checkpoint.root)): "
                + "these leaves are not the history the node signed")
        }
        if !signatureChecked {
            if let key = replay.trust.replicas[replica]?.logKey {
                if !note.isSigned(by: checkpoint.origin, key: key) {
                    replay.find("the checkpoint is not signed by \(replica), whose key \(agency)'s key events in the log endorse: it is not the node's")
                }
            } else {
                replay.find("no key event of \(agency) enrols \(replica), which signs the log \(checkpoint.origin): its checkpoint cannot be verified")
            }
        }
        let cosigners = witnesses(of: note, agency: agency, trust: replay.trust, now: request.now)
        let counted = cosigners.filter { roots[$0] != nil }
        if counted.count < request.witnesses {
            let unpinned = cosigners.filter { roots[$0] == nil }
            replay.find("the checkpoint is cosigned by the nodes of \(counted.count) other agencies you pinned"
                + (counted.isEmpty ? "" : " (\(counted.joined(separator: ", ")))") + ", fewer than --witnesses \(request.witnesses)"
                + (unpinned.isEmpty ? "" : "; \(unpinned.joined(separator: ", ")) cosigned too, but only the log vouches for their keys: pin them with --witness AGENCY=SHA256"))
        }
        var report = replay.finish()
        report.witnesses = cosigners
        report.pinnedWitnesses = counted
        var state = request.state
        if report.findings.isEmpty {
            state.roots = roots
            state.checkpoints[checkpoint.origin] = note
        }
        return Outcome(report: report, checkpoint: checkpoint, state: state)
    }

    /// The agencies other than `agency` whose nodes cosigned the checkpoint (C2SP
    /// `tlog-cosignature`), each with the key its agency's key events enrolled for that
    /// node and not retired, at a time not ahead of `now`. Agencies, not nodes, are
    /// counted: two nodes of one agency are one witness.
    static func witnesses(of note: SignedNote, agency: String, trust: Trust, now: Timestamp) -> [String] {
        var agencies: Set<String> = []
        for signature in note.signatures {
            guard let replica = Cosignature.replica(ofWitness: signature.name), Origin.agency(of: replica) != agency,
                let enrolment = trust.replicas[replica], enrolment.retiredAfter == nil,
                let time = Cosignature.time(of: signature, text: note.text, name: signature.name, key: enrolment.logKey),
                time <= UInt64(max(0, now.seconds + CausalDelivery.maximumSkew))
            else { continue }
            agencies.insert(Origin.agency(of: replica))
        }
        return agencies.sorted()
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

    /// Reads the log's leaves, a few batches ahead, verified on every core, into
    /// `replay`; checks the root at the size of `previous` as it passes. Leaves the
    /// source will not give end the reading with a finding.
    static func stream(_ source: some LogSource, size: Int64, into replay: inout LogReplay, previous: Checkpoint?,
                       progress: @escaping @Sendable (Int64, Int64) -> Void) async throws {
        let keys = Mutex<[String: PublicKey]>([:])
        let pipeline = Pipeline.source(depth: 4, state: Int64(0)) { (index: inout Int64) -> (Int64, [[UInt8]])? in
            let start = index * Int64(LogTile.width)
            guard start < size else { return nil }
            let entries = try await source.leaves(from: start, count: Int(min(Int64(LogTile.width), size - start)))
            index += 1
            return (start, entries)
        }.then { start, entries in
            let known = keys.withLock { $0 }
            return (start, await CPUWork.run { Verifier.checkLeaves(entries, keys: known) })
        }
        do {
            while let (start, leaves) = try await pipeline.next() {
                guard start == replay.size else { throw RosterError(.badInput, "leaves came out of order") }
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
                if replay.isFull {
                    // A log this wrong is not read to its end: its size may be a forger's.
                    pipeline.cancel()
                    replay.stop("the audit stopped after \(replay.size) of \(size) leaves: too many findings")
                    break
                }
            }
        } catch let error as RosterError {
            pipeline.cancel()
            replay.stop("the audit stopped after \(replay.size) of \(size) leaves: \(error.reason)")
        } catch is CancellationError {
            pipeline.cancel()
            throw CancellationError()
        } catch {
            pipeline.cancel()
            replay.stop("the audit stopped after \(replay.size) of \(size) leaves: \(error)")
        }
        await pipeline.stopped()
    }
}
