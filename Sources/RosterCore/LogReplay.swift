/// Reads a node's log leaf by leaf, as the node applied it, and checks that it
/// could have been applied so: every operation chains to its origin's previous one,
/// comes after its causal past and verifies with keys that the agencies' key events
/// before it endorse, starting from the roots the auditor pinned. Pure: the caller
/// fetches the leaves, parses and verifies them ahead on every core (`replicaKeys`
/// says with which keys), and compares `root` with the checkpoint's.
///
/// Memory grows by about 12 bytes an operation (what is counted of each add) plus
/// the amends and revokes, never by the operations themselves.
public struct LogReplay: Sendable {
    /// What is counted of one operation: for an add, its category, the authority its
    /// basis names (interned), the day it was listed and whether its basis is complete.
    struct Counted: Sendable {
        var authority: UInt32
        var listedDay: Int32
        var category: UInt8
        var flags: UInt8

        static let add: UInt8 = 1
        static let incomplete: UInt8 = 2
        /// A mirror's add: its decision is its original's (`mirrors`).
        static let mirror: UInt8 = 4
        static let other = Counted(authority: 0, listedDay: 0, category: 0, flags: 0)
        var isAdd: Bool { flags & Self.add != 0 }
    }

    public private(set) var trust = Trust()
    private var heads: [String: CausalDelivery.Head] = [:]
    /// Each agency origin's key events' hashes, by seq: a second one under a number is an equivocation.
    private var keyEvents: [String: [[UInt8]]] = [:]
    private var frontier = MerkleFrontier()
    private var counted: [String: [Counted]] = [:]
    private var changes: [Dot: [Operation]] = [:]
    /// Each mirror's original.
    private var mirrors: [Dot: Dot] = [:]
    private var authorities: [String] = []
    private var authorityIndex: [String: UInt32] = [:]
    private var report = LogAuditReport()

    /// `pins` maps agencies to the fingerprint of the root key the auditor trusts.
    /// An agency not pinned is taken from its first key event in the log, and the
    /// report names the keys it was taken with.
    public init(pins: [String: String]) {
        for (agency, root) in pins { trust.pin(agency, root: root) }
    }

    /// The replica keys enrolled so far: later leaves can be verified ahead with them.
    public var replicaKeys: [String: PublicKey] { trust.replicas.mapValues(\.key) }

    public var size: Int64 { frontier.size }
    /// The root of the log read so far.
    public var root: MerkleTree.Hash { frontier.root }

    public mutating func find(_ finding: String) { report.find(finding) }

    /// Why the reading stopped before the log's end: said after the findings, past their bound.
    public mutating func stop(_ reason: String) { report.findings.append(reason) }

    /// Whether the findings reached their bound: reading on would tell no more.
    public var isFull: Bool { report.findings.count > LogAuditReport.maximumFindings }

    /// The hash of the key event logged at `dot`, if the log holds one there.
    public func keyEventHash(_ dot: Dot) -> [UInt8]? {
        guard let events = keyEvents[dot.origin], dot.seq >= 1, dot.seq <= UInt64(events.count) else { return nil }
        return events[Int(dot.seq) - 1]
    }

    /// Takes the next leaf: its operation as parsed (and verified, when its replica's
    /// key was known) or why it did not parse, and its leaf hash.
    public mutating func take(_ parsed: Result<CausalDelivery.Incoming, RosterError>, leafHash: MerkleTree.Hash) {
        let leaf = frontier.size
        frontier.append(leafHash: leafHash)
        report.operations += 1
        let incoming: CausalDelivery.Incoming
        switch parsed {
        case .success(let value): incoming = value
        case .failure(let error): return find("leaf \(leaf) is not a valid operation: \(error.reason)")
        }
        let signed = incoming.operation
        let op = signed.operation
        report.agencies[op.agency, default: .init()].operations += 1
        let head = heads[op.origin]
        if op.isKeyEvent, let earlier = keyEvents[op.origin], op.seq <= UInt64(earlier.count) {
            if earlier[Int(op.seq) - 1] == signed.hash {
                find("leaf \(leaf) logs \(op.dot) a second time")
            } else {
                report.equivocations.append("\(op.agency) signed two different key events numbered \(op.dot)")
                find("\(op.agency) equivocated: two different key events are both numbered \(op.dot) (leaf \(leaf))")
            }
            return
        }
        if let head, op.seq <= head.seq {
            return find("leaf \(leaf) logs \(op.dot) after \(op.origin):\(head.seq): logged twice, or two operations under one number")
        }
        if let missing = CausalDelivery.missing(op, heads: heads, trust: trust) {
            find("leaf \(leaf): \(op.dot) is logged before \(missing), which it follows: no node applies operations in this order")
        } else if op.prev != head?.hash {
            find("leaf \(leaf): \(op.dot) does not chain to \(op.origin):\(op.seq - 1) (prev hash differs)")
        }
        if op.isKeyEvent, op.seq == 1, trust.agencies[op.agency] == nil, case .rotate(let keys) = op.payload {
            trust.pin(op.agency, root: "")
            report.agencies[op.agency, default: .init()].learnedRoots = keys.keys.map(\.fingerprint)
        }
        let refusal = trust.refusal(of: signed, checkedKey: incoming.checkedKey)
        if let refusal {
            find("leaf \(leaf): \(refusal.reason)")
        } else if op.isKeyEvent {
            _ = trust.apply(op)
        }
        // Only the chains of signers the key events made known are followed: a stranger's
        // leaves are findings, and hold no memory.
        guard trust.replicas[op.origin] != nil || (op.isKeyEvent && trust.agencies[op.agency] != nil) else { return }
        heads[op.origin] = CausalDelivery.Head(seq: op.seq, hash: signed.hash)
        if op.isKeyEvent { keyEvents[op.origin, default: []].append(signed.hash) }
        count(op, leaf: leaf, verified: refusal == nil)
    }

    /// Counts what an operation does to the roster; one that does not verify holds its
    /// place in its origin's chain but counts for nothing.
    private mutating func count(_ op: Operation, leaf: Int64, verified: Bool) {
        var entry = Counted.other
        if verified {
            switch op.payload {
            case .add(_, let fields):
                let listed = CalendarDate(daysSinceEpoch: Int(op.time.seconds.floorDivided(by: 86_400)))
                entry = Counted(authority: intern(fields.basis.authority), listedDay: Int32(clamping: listed.daysSinceEpoch),
                                category: Self.categoryCode(fields.category), flags: Counted.add)
                if Self.isIncomplete(fields.basis, listed: listed) { entry.flags |= Counted.incomplete }
            case .mirror(_, let fields):
                let index = Int(clamping: fields.original.seq) - 1
                if let chain = counted[fields.original.origin], index >= 0, index < chain.count, chain[index].isAdd,
                    chain[index].flags & Counted.mirror == 0 {
                    entry = Counted(authority: 0, listedDay: 0, category: 0, flags: Counted.add | Counted.mirror)
                    mirrors[op.dot] = fields.original
                } else {
                    find("leaf \(leaf): \(op.dot) is a mirror of \(fields.original), which is not an add (nor a mirror) logged before it")
                }
            case .amend(let target, _), .revoke(let target, _):
                let index = Int(clamping: target.seq) - 1
                if let chain = counted[target.origin], index >= 0, index < chain.count, chain[index].isAdd {
                    changes[target, default: []].append(op)
                } else {
                    find("leaf \(leaf): \(op.dot) changes \(target), which is not an add logged before it")
                }
            case .enrol, .retire, .rotate:
                break
            }
        }
        // Counted by seq: an operation off its chain (a finding already) is not.
        if counted[op.origin, default: []].count == Int(clamping: op.seq) - 1 { counted[op.origin, default: []].append(entry) }
    }

    /// A basis is complete when it names the statute the decision applies and the
    /// decision is not dated after the entry was listed.
    static func isIncomplete(_ basis: LegalBasis, listed: CalendarDate) -> Bool {
        basis.statute == nil || basis.decided > listed
    }

    private static let categories = Category.allCases
    private static func categoryCode(_ category: Category) -> UInt8 { UInt8(categories.firstIndex(of: category) ?? 0) }

    private mutating func intern(_ authority: String) -> UInt32 {
        if let index = authorityIndex[authority] { return index }
        let index = UInt32(authorities.count)
        authorities.append(authority)
        authorityIndex[authority] = index
        return index
    }

    /// The report once every leaf is taken: the roster the log gives (void operations
    /// left out, as a node leaves them out), counted.
    public func finish() -> LogAuditReport {
        var report = report
        report.size = frontier.size
        /// What an original's add and changes come to; nil for what lists nothing (void).
        func resolved(_ dot: Dot) -> (category: String, authority: String, incomplete: Bool, revocation: Entry.Revocation?)? {
            let index = Int(clamping: dot.seq) - 1
            guard let chain = counted[dot.origin], index >= 0, index < chain.count, UInt64(index + 1) <= trust.lastValid(dot.origin) ?? .max
            else { return nil }
            let summary = chain[index]
            let outcome = Entry.Outcome(of: (changes[dot] ?? []).filter { !trust.isVoid($0.dot) })
            var category = Self.categories[Int(summary.category)].rawValue
            var authority = authorities.indices.contains(Int(summary.authority)) ? authorities[Int(summary.authority)] : ""
            var incomplete = summary.flags & Counted.incomplete != 0
            for (name, change) in outcome.standing {
                if name == "category", let value = change.category { category = value.rawValue }
                if name == "basis", let basis = change.basis {
                    authority = basis.authority
                    incomplete = Self.isIncomplete(basis, listed: CalendarDate(daysSinceEpoch: Int(summary.listedDay)))
                }
            }
            return (category, authority, incomplete, outcome.revocation)
        }
        for (origin, chain) in counted.sorted(by: { $0.key < $1.key }) {
            let last = trust.lastValid(origin) ?? .max
            if UInt64(chain.count) > last { report.void += chain.count - Int(last) }
            for (index, summary) in chain.enumerated() where summary.isAdd && UInt64(index + 1) <= last {
                let dot = Dot(origin: origin, seq: UInt64(index + 1))
                // A mirror: its original's decision, lifted by its original's revoke or its own.
                let state: (category: String, authority: String, incomplete: Bool, revocation: Entry.Revocation?)
                if summary.flags & Counted.mirror != 0 {
                    guard let original = mirrors[dot], let inherited = resolved(original) else { continue }
                    let own = Entry.Outcome(of: (changes[dot] ?? []).filter { !trust.isVoid($0.dot) }).revocation
                    state = (inherited.category, inherited.authority, inherited.incomplete,
                             own.map { mine in inherited.revocation.map { Entry.first(mine, $0) } ?? mine } ?? inherited.revocation)
                } else {
                    guard let own = resolved(dot) else { continue }
                    state = own
                }
                let (category, authority, incomplete) = (state.category, state.authority, state.incomplete)
                report.entries += 1
                report.agencies[dot.agency, default: .init()].entries += 1
                if let revocation = state.revocation {
                    report.revoked += 1
                    report.agencies[dot.agency, default: .init()].revoked += 1
                    report.revocationReasons[revocation.reason, default: 0] += 1
                    continue
                }
                report.categories[category, default: 0] += 1
                report.authorities[authority, default: 0] += 1
                if incomplete {
                    report.incompleteBasis += 1
                    if report.incompleteExamples.count < 20 { report.incompleteExamples.append(dot.description) }
                }
            }
        }
        return report
    }
}
