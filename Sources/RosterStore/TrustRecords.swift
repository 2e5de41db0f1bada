import Foundation
import GRDB
import RosterCore

extension AgencyKeys {
    var json: JSON {
        var members: [String: JSON] = ["keys": .array(keys.map { .string($0.base64) }), "threshold": .integer(Int64(threshold))]
        if isCertified { members["chains"] = chainsJSON }
        return .object(members)
    }

    init(json: JSON) throws {
        guard let list = json["keys"]?.array, let threshold = json["threshold"]?.integer, threshold <= AgencyKeys.maximumKeys else {
            throw Cell.unreadable("an agency's keys")
        }
        let keys = try list.map { try PublicKey(base64: $0.string ?? "") }
        try self.init(keys, threshold: Int(threshold), chains: try json["chains"].map { try AgencyKeys.chains($0, keys: keys) } ?? [:])
    }
}

extension DatabaseReading {
    /// The pins and enrolments this node holds (see `Trust`).
    func trust() throws -> Trust {
        var agencies: [String: Trust.Agency] = [:]
        for record in try AgencyRecord.all(db) { agencies[record.name] = try record.agency }
        var replicas: [String: Trust.Enrolment] = [:]
        for origin in try OriginRecord.all(db) where !Origin.isAgencyOrigin(origin.name) {
            replicas[origin.name] = try origin.enrolment()
        }
        return Trust(agencies: agencies, replicas: replicas, forks: try forks())
    }

    /// Each equivocating replica's lowest proven fork (see `Trust.forks`).
    func forks() throws -> [String: UInt64] {
        var forks: [String: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin, min(seq) AS fork FROM equivocation GROUP BY origin") {
            let name = try row.requireText("origin", "an equivocating origin")
            guard !Origin.isAgencyOrigin(name) else { continue }
            guard let seq = row.seq("fork") else { throw Cell.unreadable("the fork of \(name)") }
            forks[name] = seq
        }
        return forks
    }

    /// Each retired or quarantined replica's last valid seq (`Trust.lastValid`).
    func retirements() throws -> [String: UInt64] {
        // The retirement column only, as `heads` reads its own.
        var result: [String: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, retired_after FROM origin WHERE retired_after IS NOT NULL") {
            let name = try row.requireText("name", "an origin's name")
            result[name] = try row.optionalSeq("retired_after", "the retirement of \(name)")
        }
        for (origin, fork) in try forks() { result[origin] = min(result[origin] ?? .max, fork - 1) }
        return result
    }

    /// SHA-256 over the hashes of the kept proofs, sorted: equal on two nodes that hold the same proofs.
    func proofsDigest(agencies: Set<String>?) throws -> String {
        let hashes = try EquivocationRecord.all(db)
            .filter { proof in agencies.map { $0.contains(Origin.agency(of: proof.origin)) } ?? true }
            .map { SHA256Digest.hex(Array($0.body.utf8)) }.sorted()
        return SHA256Digest.hex(Array(hashes.joined(separator: "\n").utf8))
    }

    func viewRules() throws -> ViewRules {
        ViewRules(retired: try retirements(), distrusted: try distrustedAgencies())
    }

    /// Agencies whose entries leave the view.
    func distrustedAgencies() throws -> Set<String> {
        Set(try AgencyRecord.all(db, AgencyRecord.filter(AgencyRecord.CodingKeys.distrusted == true)).map(\.name))
    }
}

extension DatabaseReading {
    /// The trust that the signed key events give from `pins` (the trust account's): each key
    /// event replayed in applied order and verified with the agency keys of its time,
    /// forks as the kept proofs show them, then the account's distrust. What is not
    /// derived from either is nowhere in it. A key event that does not hold is
    /// skipped and described in `refusals`.
    /// A key event signed with a suite this machine cannot verify is taken as stored,
    /// and counted in `unverified`: a node that lacks a suite rebuilds what it held
    /// instead of voiding an agency's replicas.
    func replayedTrust(_ pins: [String: TrustAccount.Pin], forks: [String: UInt64]) throws
        -> (trust: Trust, refusals: [String], unverified: [Suite: Int]) {
        var trust = Trust(agencies: pins.mapValues { Trust.Agency(root: $0.root) }, forks: forks)
        var refusals: [String] = []
        var unverified: [Suite: Int] = [:]
        let disputed = (try? unresolvedKeyEventForks()) ?? [:]
        let bodies = try String.fetchCursor(db, sql: """
            SELECT body FROM operation JOIN origin ON origin.id = origin_id WHERE origin.name LIKE '%/agency' ORDER BY position
            """)
        while let body = try bodies.next() {
            guard let operation = try? SignedOperation(parsing: Array(body.utf8)), operation.operation.isKeyEvent else { continue }
            // Quarantined: from an unresolved fork of its agency on (`KeyEventForks`).
            if let fork = disputed[operation.operation.origin], operation.operation.seq >= fork { continue }
            if let refusal = trust.refusal(of: operation, checkedKey: nil) {
                if refusal.code == .suiteUnavailable, let suite = Verifier.unverifiableSuite(of: operation) {
                    unverified[suite, default: 0] += 1
                } else {
                    refusals.append("key event \(operation.dot): \(refusal.reason)")
                    continue
                }
            }
            _ = trust.apply(operation.operation)
        }
        for (name, pin) in pins where pin.distrusted { trust.distrust(name) }
        // A replica that only a quarantined key event, or one that lost a fork, enrolled
        // signs nothing that counts: it stays, void from its first seq.
        // Cell by cell: a row edited into another type is skipped here, for audit to name.
        for row in try Row.fetchAll(db, sql: "SELECT name, public_key FROM origin") {
            guard let name = row.text("name"), !Origin.isAgencyOrigin(name), trust.replicas[name] == nil,
                let raw = row.blob("public_key"), let key = try? PublicKey(raw: raw) else { continue }
            trust.enrol(name, key: key, at: 0, voidFrom: 1)
        }
        return (trust, refusals, unverified)
    }
}

/// What trust takes out of the view, as the derived tables apply it: each retired
/// or quarantined replica's last valid seq, and the distrusted agencies.
struct ViewRules {
    let retired: [String: UInt64]
    let distrusted: Set<String>

    func isVoid(_ dot: Dot) -> Bool { retired[dot.origin].map { dot.seq > $0 } ?? false }
}

extension Transaction {
    /// Trusts an agency by its root key's fingerprint. A different pin for a trusted
    /// agency is refused unless `replacing`; every change goes through the trust
    /// account (`TrustAccount`), which sets the agency's pin.
    func pin(_ agency: String, root: String, replacing: Bool = false) throws {
        guard Hex.isSHA256(root) else { throw RosterError(.invalidField, "--trust takes the agency key's SHA-256 in lower-case hex (64 digits)") }
        if let known = try trust().agencies[agency] {
            if known.root == root {
                // Trusted again after a distrust: what it signed comes back into the view.
                guard known.distrusted else { return }
                try record(agency, "trust again", "root sha256 \(root)", root: root, distrusted: false)
                try rebuild()
                return
            }
            guard replacing else {
                throw RosterError(.badKey, "agency \(agency) is trusted with root key sha256 \(known.root), not \(root): "
                    + "check with the agency out of band, then run roster peers trust \(agency) --replace \(root)")
            }
            let held = try Int.fetchOne(db, sql: "SELECT count(*) FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?)",
                                        arguments: [Origin.agencyOrigin(of: agency)]) ?? 0
            guard held == 0 else {
                throw RosterError(.badKey, "this node holds \(held) key events of \(agency) under root sha256 \(known.root): a new root cannot take their place; "
                    + "a rotate signed by the old keys moves the agency to new keys")
            }
            try record(agency, "replace", "root sha256 \(known.root) replaced by \(root)", root: root, distrusted: known.distrusted)
            return
        }
        try record(agency, "trust", "root sha256 \(root)", root: root, distrusted: false)
    }

    func distrust(_ agency: String) throws -> Int {
        guard let known = try trust().agencies[agency], !known.distrusted else {
            throw RosterError(.invalidField, "\(agency) is not an agency this node trusts: roster agency show lists them")
        }
        let pattern = agency.replacingOccurrences(of: "_", with: "\\_") + "/%"
        try db.execute(sql: "DELETE FROM pending WHERE origin LIKE ? ESCAPE '\\'", arguments: [pattern])
        try db.execute(sql: "DELETE FROM entry WHERE origin LIKE ? ESCAPE '\\'", arguments: [pattern])
        let removed = db.changesCount
        try dropKeptDigest()
        try record(agency, "distrust", "\(removed) entries left the view", root: known.root, distrusted: true)
        return removed
    }

    /// Restores the agency table from the trust account and the key events, and the
    /// enrolments in the origin table from the key events (see `replayedTrust`).
    func rebuildTrust() throws {
        let account = try TrustAccount(db)
        // An account that does not hold together (an edited or unreadable event) is no
        // ground to change a pin or lift a distrust: the pins stay as they are, and
        // audit names what is wrong.
        var pins = account.pins
        if !account.findings.isEmpty {
            logger.warning("the trust account does not hold together (\(account.findings[0])): the agencies' pins are kept as they are")
            pins = try self.trust().agencies.mapValues { TrustAccount.Pin(root: $0.root, distrusted: $0.distrusted) }
        }
        let (trust, _, _) = try replayedTrust(pins, forks: try forks())
        try AgencyRecord.deleteAll(db)
        for (name, pin) in pins {
            let agency = Trust.Agency(root: pin.root, keys: trust.agencies[name]?.keys, distrusted: pin.distrusted)
            try AgencyRecord(name: name, agency: agency).insert(db)
        }
        for (name, enrolment) in trust.replicas {
            try db.execute(sql: """
                INSERT INTO origin (name, public_key, alg, log_key, enrolled_at, retired_after) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET public_key = excluded.public_key, alg = excluded.alg, log_key = excluded.log_key,
                        enrolled_at = excluded.enrolled_at, retired_after = excluded.retired_after
                """, arguments: [name, Data(enrolment.key.raw), enrolment.key.suite.rawValue,
                                 enrolment.logKey == enrolment.key ? nil : Data(enrolment.logKey.raw), Int64(clamping: enrolment.enrolledAt), enrolment.retiredAfter.map { Int64(clamping: $0) }])
        }
    }

    /// Writes what a key event changes: the agency's keys, a replica's enrolment, a
    /// retirement and the derived rows it voids.
    func applyKeyEvent(_ operation: RosterCore.Operation) throws {
        switch operation.payload {
        case .rotate(let keys):
            try AgencyRecord.filter(key: operation.agency).updateAll(db, AgencyRecord.CodingKeys.keys.set(to: CanonicalJSON.string(keys.json)))
        case .enrol(let replica, let key, let logKey):
            var origin = OriginRecord(name: replica, key: key, logKey: logKey, enrolledAt: operation.seq)
            try origin.insert(db)
        case .retire(let replica, let after, _):
            // The plan's retirements void what follows (`void`), once the batch is written.
            let named = OriginRecord.filter(OriginRecord.CodingKeys.name == replica)
            guard var origin = try OriginRecord.all(db, named).first else { break }
            origin.retiredAfter = Int64(clamping: min(try origin.enrolment().retiredAfter ?? after, after))
            try origin.update(db, columns: [OriginRecord.CodingKeys.retiredAfter])
        case .add, .mirror, .amend, .revoke:
            break
        }
    }

    /// Takes out of the view what a replica signed after `after`: the entries it added
    /// leave, the entries it changed are resolved again without its changes. The
    /// operations stay, as history.
    func void(_ replica: String, after: UInt64) throws {
        let targets = try String.fetchAll(db, sql: """
            SELECT DISTINCT target FROM operation WHERE origin_id = (SELECT id FROM origin WHERE name = ?) AND seq > ? AND target IS NOT NULL
            """, arguments: [replica, Int64(clamping: after)])
        // The entries whose mirrors may change with them: those it added, and those it changed.
        var originals = try Row.fetchAll(db, sql: "SELECT seq FROM entry WHERE origin = ? AND seq > ?", arguments: [replica, Int64(clamping: after)])
            .map { row in
                guard let seq = row.seq("seq") else { throw Cell.unreadable("an entry's seq") }
                return Dot(origin: replica, seq: seq)
            }
        try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq > ?", arguments: [replica, Int64(clamping: after)])
        let rules = try viewRules()
        for text in targets {
            let id = try Dot(text)
            originals.append(id)
            try db.execute(sql: "DELETE FROM entry WHERE origin = ? AND seq = ?", arguments: [id.origin, Int64(id.seq)])
            if let entry = try resolveEntry(id, rules: rules) { try db.execute(sql: EntryRecord.insertSQL, arguments: EntryRecord.arguments(entry)) }
        }
        try resolveMirrors(of: originals, rules: rules)
        // Chunks and the check index follow changes by dot; these went by retire.
        try dropKeptDigest()
    }
}
