import GRDB

/// The database layout: one schema, format 2, created whole by one migration.
/// Signed operations are the truth; `entry`, the heads in `origin` and the agencies'
/// keys are derived from them and can be rebuilt, the agencies' pins from
/// `trust_event`. `Schemas/roster.sql` is this schema; a test keeps them equal.
enum Schema {
    /// The one migration's name. A database that lacks it was made by an earlier
    /// version (format 1, or a development build of format 2 with migrations v1 to v8).
    static let format2 = "format 2"

    /// The log of every applied operation (`Log.swift`), added to format 2: a
    /// database made before it gets the log of what it holds, in the order applied.
    static let log = "log"

    /// What this node has seen of its peers' logs as their witness, and the proofs of
    /// a node that showed two histories (`Store+Witness.swift`), added after the log.
    static let witness = "witness"

    /// When each leaf of the log was appended (`log_added`, written by `Store.write`), for feeds that
    /// hand out what was added after a time (TAXII), added after the witnesses.
    static let added = "added"

    /// Which entries are mirrors of which (`entry.mirror_of`), added after `added`:
    /// a database made before it held no mirror.
    static let mirrors = "mirrors"

    /// Keys of every suite (`Suite`) and the national CAs that certify them
    /// (`national_ca`): an origin's key may be a SubjectPublicKeyInfo,
    /// `alg` names its suite, and `log_key` is the Ed25519 key of the checkpoints of
    /// a replica whose key is of another suite. Added after `mirrors`; the table is made anew, as
    /// SQLite changes no CHECK in place, with every id kept.
    static let suites = "suites"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(format2) { db in try db.execute(sql: sql) }
        migrator.registerMigration(log) { db in
            try db.execute(sql: logSQL)
            try LogAppender.logEveryOperation(db)
        }
        migrator.registerMigration(witness) { db in try db.execute(sql: witnessSQL) }
        migrator.registerMigration(added) { db in try db.execute(sql: addedSQL) }
        migrator.registerMigration(mirrors) { db in try db.execute(sql: mirrorsSQL) }
        migrator.registerMigration(suites) { db in try db.execute(sql: suitesSQL) }
        return migrator
    }

    static let logSQL = """
        -- The node's transparency log (RFC 6962): every operation it applied, in the order
        -- applied, one leaf each; a leaf's entry is the operation's canonical text. log_leaf
        -- names the operation row of each leaf (0-based); body is the logged text when that
        -- row holds another since (a fork of an agency's key events resolved the other way,
        -- whose operation then became a new leaf).
        CREATE TABLE log_leaf (
            leaf INTEGER PRIMARY KEY,
            position INTEGER NOT NULL,
            body TEXT
        );
        -- The log's tree as C2SP tlog-tiles serves it: tile idx of tile level L holds the
        -- hashes of the tree's level 8L, positions 256·idx on, 32 bytes each, up to 256 (fewer
        -- in the tile at the log's right edge). id is L · 2^56 + idx. The hashes of the levels
        -- in between are computed from the tile below when read (LogAppender), so that a leaf
        -- costs 32 bytes and appending one never rehashes the log.
        CREATE TABLE log_tile (
            id INTEGER PRIMARY KEY,
            hashes BLOB NOT NULL CHECK (length(hashes) BETWEEN 32 AND 8192 AND length(hashes) % 32 = 0)
        );
        -- The checkpoints this node signed, in order: the latest is what /log/checkpoint
        -- serves; all of them are what it stated, at which size, when.
        CREATE TABLE log_checkpoint (
            id INTEGER PRIMARY KEY,
            size INTEGER NOT NULL,
            time TEXT NOT NULL,
            note TEXT NOT NULL
        );
        """

    static let addedSQL = """
        -- When this node appended its log's leaves: one row per write transaction that
        -- appended, naming its first leaf and the time in milliseconds since 1970, each
        -- later than the one before (by 1 ms within one millisecond). A leaf
        -- was added at the time of the row with the greatest first leaf not after it
        -- (leaves logged before this table existed: at 0). TAXII's added_after reads it.
        CREATE TABLE log_added (
            leaf INTEGER PRIMARY KEY,
            time INTEGER NOT NULL
        );
        CREATE INDEX log_added_time ON log_added(time);
        """

    static let suitesSQL = """
        CREATE TABLE origin_of_any_suite (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            public_key BLOB NOT NULL CHECK (length(public_key) BETWEEN 32 AND 1100),
            alg TEXT NOT NULL DEFAULT 'ed25519'
                CHECK (alg IN ('ed25519', 'ecdsa-p256-sha256', 'rsa-pss-sha256', 'gost2012-256', 'gost2012-512')),
            log_key BLOB CHECK (log_key IS NULL OR length(log_key) = 32),
            head_seq INTEGER NOT NULL DEFAULT 0,
            head_hash BLOB,
            equivocating INTEGER NOT NULL DEFAULT 0,
            enrolled_at INTEGER NOT NULL DEFAULT 0,
            retired_after INTEGER
        );
        INSERT INTO origin_of_any_suite (id, name, public_key, alg, head_seq, head_hash, equivocating, enrolled_at, retired_after)
            SELECT id, name, public_key, alg, head_seq, head_hash, equivocating, enrolled_at, retired_after FROM origin;
        DROP TABLE origin;
        ALTER TABLE origin_of_any_suite RENAME TO origin;
        -- National CA certificates this node trusts per jurisdiction (roster peers trust-ca):
        -- a key event of an agency of that jurisdiction must certify its keys to one of them.
        CREATE TABLE national_ca (
            sha256 TEXT PRIMARY KEY NOT NULL,
            jurisdiction TEXT NOT NULL CHECK (length(jurisdiction) = 2),
            certificate BLOB NOT NULL
        ) WITHOUT ROWID;
        """

    static let mirrorsSQL = """
        -- A mirror's row names its original; its category, basis, jurisdiction, expiry and,
        -- once the original is revoked, revocation repeat the original's (Entry.inheriting),
        -- so that every reader of entries sees what is in force without a join. The index
        -- finds the mirrors a change of their original rewrites.
        ALTER TABLE entry ADD COLUMN mirror_of TEXT;
        CREATE INDEX entry_mirror_of ON entry(mirror_of) WHERE mirror_of IS NOT NULL;
        """

    static let witnessSQL = """
        -- What this node has seen of each peer's log, as its witness: the last checkpoint
        -- it cosigned (C2SP tlog-witness), and the largest any peer showed it (the gossip
        -- of sync), each as the signed note it was shown.
        CREATE TABLE log_view (
            origin TEXT PRIMARY KEY,
            cosigned TEXT,
            seen TEXT
        );
        -- Proofs that a node showed two histories of its log: two checkpoints of one size
        -- with different roots, both signed by its key. One a log is proof enough. This node
        -- cosigns nothing more of that log, and syncs with its node only once an operator
        -- has acknowledged the proof (roster peers resume).
        CREATE TABLE log_conflict (
            origin TEXT PRIMARY KEY,
            first TEXT NOT NULL,
            second TEXT NOT NULL,
            acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1))
        );
        """

    static let sql = """
        -- Signers this node accepts operations from: the replicas its trusted agencies
        -- enrolled (public_key as enrolled), and each agency origin (public_key: its root).
        -- head_seq/head_hash are derived: the last applied operation of the origin.
        -- enrolled_at/retired_after are derived from enrol and retire: the agency origin's
        -- seq that enrolled the replica, and its last valid seq once retired.
        CREATE TABLE origin (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            public_key BLOB NOT NULL CHECK (length(public_key) = 32),
            alg TEXT NOT NULL DEFAULT 'ed25519',
            head_seq INTEGER NOT NULL DEFAULT 0,
            head_hash BLOB,
            equivocating INTEGER NOT NULL DEFAULT 0,
            enrolled_at INTEGER NOT NULL DEFAULT 0,
            retired_after INTEGER
        );

        -- Applied operations; position is the causal order in which they were applied.
        -- The origin is referenced by number: a million rows need not repeat its name.
        CREATE TABLE operation (
            position INTEGER PRIMARY KEY,
            origin_id INTEGER NOT NULL REFERENCES origin(id),
            seq INTEGER NOT NULL,
            target TEXT,
            body TEXT NOT NULL,
            UNIQUE (origin_id, seq)
        );
        CREATE INDEX operation_target ON operation(target) WHERE target IS NOT NULL;

        -- Verified operations waiting for what they depend on, by the dot each waits for
        -- (the next dot of the origin it lacks), or for its time (waits_until, Unix seconds)
        -- when it was signed too far ahead of this node's clock, so that applying a dot touches only what
        -- it unblocks. source is who delivered it: a peer id, import or descriptor. Bounded by
        -- PendingLimits (docs/sync.md); an accepted pending operation is never dropped.
        CREATE TABLE pending (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            waits_origin TEXT,
            waits_seq INTEGER,
            source TEXT NOT NULL,
            body TEXT NOT NULL,
            waits_until INTEGER,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX pending_waits ON pending(waits_origin, waits_seq);
        CREATE INDEX pending_source ON pending(source);
        -- An operation signed too far ahead of this node's clock waits for its time (Unix seconds).
        CREATE INDEX pending_until ON pending(waits_until) WHERE waits_until IS NOT NULL;

        -- Operations and bytes pending per origin, per agency, per source and in total ('*'), kept
        -- by SQLite itself, so that the bounds are checked without scanning the table.
        CREATE TABLE pending_usage (
            scope TEXT PRIMARY KEY NOT NULL,
            operations INTEGER NOT NULL,
            bytes INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER pending_added AFTER INSERT ON pending BEGIN
            INSERT INTO pending_usage (scope, operations, bytes)
                VALUES ('*', 1, length(NEW.body)), ('origin ' || NEW.origin, 1, length(NEW.body)), ('source ' || NEW.source, 1, length(NEW.body)),
                    ('agency ' || substr(NEW.origin, 1, instr(NEW.origin, '/') - 1), 1, length(NEW.body))
                ON CONFLICT (scope) DO UPDATE SET operations = operations + 1, bytes = bytes + excluded.bytes;
        END;
        CREATE TRIGGER pending_removed AFTER DELETE ON pending BEGIN
            UPDATE pending_usage SET operations = operations - 1, bytes = bytes - length(OLD.body)
                WHERE scope IN ('*', 'origin ' || OLD.origin, 'source ' || OLD.source, 'agency ' || substr(OLD.origin, 1, instr(OLD.origin, '/') - 1));
            DELETE FROM pending_usage WHERE operations <= 0;
        END;

        -- Operations refused because a pending bound was reached, per origin.
        CREATE TABLE pending_refused (
            origin TEXT PRIMARY KEY NOT NULL,
            operations INTEGER NOT NULL,
            reason TEXT NOT NULL
        ) WITHOUT ROWID;

        -- The second operation of each equivocating pair, kept as proof.
        CREATE TABLE equivocation (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            body TEXT NOT NULL UNIQUE
        );
        -- One proof per dot: a second operation at a dot proves the fork; more prove nothing new.
        CREATE UNIQUE INDEX equivocation_dot ON equivocation(origin, seq);

        -- Derived: every entry as its add and the changes targeting it resolve.
        CREATE TABLE entry (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            scope TEXT,
            category TEXT NOT NULL,
            authority TEXT NOT NULL,
            reference TEXT NOT NULL,
            decided TEXT NOT NULL,
            statute TEXT,
            jurisdiction TEXT,
            expires TEXT,
            evidence TEXT,
            note TEXT,
            revoked_by TEXT,
            revoked_reason TEXT,
            revoked_time TEXT,
            broad INTEGER NOT NULL DEFAULT 0 CHECK (broad IN (0, 1)),
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX entry_value ON entry(value);

        -- Derived values worth keeping between runs (the state digest and the clock it was taken at).
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- The digest of every chunk of entries (1,024 seqs of one origin, see StateDigest),
        -- taken at the clock kept in meta as 'chunks.clock': a digest at a later clock
        -- rehashes only the chunks changed since.
        CREATE TABLE digest_chunk (
            origin TEXT NOT NULL,
            chunk INTEGER NOT NULL,
            digest BLOB NOT NULL,
            PRIMARY KEY (origin, chunk)
        ) WITHOUT ROWID;

        -- Nodes this node syncs with, by id: the origin of the replica that runs the node
        -- (so that two nodes of one agency are two peers), or the agency for a descriptor
        -- that names no node. The descriptor as added, its endpoint and the SHA-256 of its
        -- TLS public key (SPKI), the only identity mutual TLS accepts.
        CREATE TABLE peer (
            id TEXT PRIMARY KEY NOT NULL,
            agency TEXT NOT NULL,
            descriptor TEXT NOT NULL,
            endpoint TEXT,
            tls_spki_sha256 TEXT
        ) WITHOUT ROWID;
        -- A sync request is matched to its peer by the client key's pin.
        CREATE INDEX peer_pin ON peer(tls_spki_sha256);

        -- Agencies this node trusts, by the SHA-256 of the root key it pinned: their key
        -- events, and the replicas those enrol, are accepted; nothing else is. keys is the
        -- agency's current key set ({"keys": [...], "threshold": k}), derived from its
        -- applied key events; null before its first one. A distrusted agency's operations
        -- are refused and its entries leave the view; what it signed stays as history.
        -- root_sha256 and distrusted are derived from trust_event, keys from key events.
        CREATE TABLE agency (
            name TEXT PRIMARY KEY NOT NULL,
            root_sha256 TEXT NOT NULL,
            keys TEXT,
            distrusted INTEGER NOT NULL DEFAULT 0 CHECK (distrusted IN (0, 1))
        ) WITHOUT ROWID;

        -- What the operator changed in what this node trusts (trust, replace, distrust,
        -- trust again), in the order made, with the pin and distrust each leaves: the
        -- account that the agency table's pins are checked against and rebuilt from.
        -- hash chains each event to the one before (SHA-256 of that hash and the event's
        -- canonical JSON, see TrustAccount), so that an edit in the middle is found.
        CREATE TABLE trust_event (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            agency TEXT NOT NULL,
            event TEXT NOT NULL,
            detail TEXT NOT NULL,
            root_sha256 TEXT NOT NULL,
            distrusted INTEGER NOT NULL CHECK (distrusted IN (0, 1)),
            hash BLOB NOT NULL CHECK (length(hash) = 32)
        );
        """
}
