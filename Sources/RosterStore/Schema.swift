import GRDB

/// The database layout, one migration per version. Signed operations are the
/// truth; `entry` and the heads in `origin` are derived and can be rebuilt.
/// `Schemas/roster.sql` is this schema as SQLite reports it; a test keeps them equal.
enum Schema {
    /// Each version's SQL, in order; a migration is named by its place ("v1", "v2", …).
    static let versions = [version1, version2, version3, version4, version5, version6, version7, version8]

    /// The first migration of format 2 (agency keys): a database that has some
    /// migrations but not this one is of format 1 and is refused.
    static let firstOfFormat2 = "v8"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (index, sql) in versions.enumerated() {
            migrator.registerMigration("v\(index + 1)") { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    static let version1 = """
        -- Signers this node accepts operations from: itself and its peers' replicas.
        -- head_seq/head_hash are derived: the last applied operation of the origin.
        CREATE TABLE origin (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            public_key BLOB NOT NULL CHECK (length(public_key) = 32),
            alg TEXT NOT NULL DEFAULT 'ed25519',
            head_seq INTEGER NOT NULL DEFAULT 0,
            head_hash BLOB,
            equivocating INTEGER NOT NULL DEFAULT 0
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

        -- Verified operations waiting for what they depend on: never dropped.
        CREATE TABLE pending (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;

        -- The second operation of each equivocating pair, kept as proof.
        CREATE TABLE equivocation (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            body TEXT NOT NULL UNIQUE
        );

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
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX entry_value ON entry(value);

        -- Derived values worth keeping between runs (the state digest and the clock it was taken at).
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    static let version2 = """
        -- Agencies this node syncs with: the descriptor as added, its endpoint and the
        -- SHA-256 of its TLS public key (SPKI), the only identity mutual TLS accepts.
        CREATE TABLE peer (
            agency TEXT PRIMARY KEY NOT NULL,
            descriptor TEXT NOT NULL,
            endpoint TEXT,
            tls_spki_sha256 TEXT
        ) WITHOUT ROWID;
        """

    static let version3 = """
        CREATE TEMP TABLE agency_peer AS SELECT * FROM peer;
        DROP TABLE peer;
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
        INSERT INTO peer (id, agency, descriptor, endpoint, tls_spki_sha256)
            SELECT agency, agency, descriptor, endpoint, tls_spki_sha256 FROM agency_peer;
        DROP TABLE agency_peer;
        """

    static let version4 = """
        CREATE TEMP TABLE old_pending AS SELECT * FROM pending;
        DROP TABLE pending;
        -- Verified operations waiting for what they depend on, by the dot each waits for
        -- (the next dot of the origin it lacks), so that applying a dot touches only what
        -- it unblocks. source is who delivered it: a peer id, import or upgrade. Rows
        -- brought over from v3 have no wait yet; the store places them when it opens.
        CREATE TABLE pending (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            waits_origin TEXT,
            waits_seq INTEGER,
            source TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX pending_waits ON pending(waits_origin, waits_seq);
        CREATE INDEX pending_source ON pending(source);
        INSERT INTO pending (origin, seq, source, body) SELECT origin, seq, 'upgrade', body FROM old_pending;
        DROP TABLE old_pending;

        -- Operations and bytes pending per origin, per source and in total ('*'), kept
        -- by SQLite itself, so that the bounds are checked without scanning the table.
        CREATE TABLE pending_usage (
            scope TEXT PRIMARY KEY NOT NULL,
            operations INTEGER NOT NULL,
            bytes INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO pending_usage (scope, operations, bytes)
            SELECT '*', count(*), total(length(body)) FROM pending WHERE true
            UNION ALL SELECT 'origin ' || origin, count(*), total(length(body)) FROM pending GROUP BY origin
            UNION ALL SELECT 'source ' || source, count(*), total(length(body)) FROM pending GROUP BY source;
        DELETE FROM pending_usage WHERE operations = 0;
        CREATE TRIGGER pending_added AFTER INSERT ON pending BEGIN
            INSERT INTO pending_usage (scope, operations, bytes)
                VALUES ('*', 1, length(NEW.body)), ('origin ' || NEW.origin, 1, length(NEW.body)), ('source ' || NEW.source, 1, length(NEW.body))
                ON CONFLICT (scope) DO UPDATE SET operations = operations + 1, bytes = bytes + excluded.bytes;
        END;
        CREATE TRIGGER pending_removed AFTER DELETE ON pending BEGIN
            UPDATE pending_usage SET operations = operations - 1, bytes = bytes - length(OLD.body)
                WHERE scope IN ('*', 'origin ' || OLD.origin, 'source ' || OLD.source);
            DELETE FROM pending_usage WHERE operations <= 0;
        END;

        -- Operations refused because a pending bound was reached, per origin: shown by
        -- status and roster pending, so that an operator sees what did not wait.
        CREATE TABLE pending_refused (
            origin TEXT PRIMARY KEY NOT NULL,
            operations INTEGER NOT NULL,
            reason TEXT NOT NULL
        ) WITHOUT ROWID;

        -- One proof per dot: a second operation at a dot proves the fork; more prove nothing new.
        DELETE FROM equivocation WHERE id NOT IN (SELECT min(id) FROM equivocation GROUP BY origin, seq);
        CREATE UNIQUE INDEX equivocation_dot ON equivocation(origin, seq);
        """

    static let version5 = """
        -- The digest of every chunk of entries (1,024 seqs of one origin, see StateDigest),
        -- taken at the clock kept in meta as 'digest.clock': a digest at a later clock
        -- rehashes only the chunks changed since. Digests kept by v4 follow an earlier
        -- definition and are dropped.
        CREATE TABLE digest_chunk (
            origin TEXT NOT NULL,
            chunk INTEGER NOT NULL,
            digest BLOB NOT NULL,
            PRIMARY KEY (origin, chunk)
        ) WITHOUT ROWID;
        DELETE FROM meta WHERE key IN ('digest', 'digest.clock');
        """

    static let version6 = """
        -- An add may carry the broad flag (a public suffix or a wide network listed on purpose).
        ALTER TABLE entry ADD COLUMN broad INTEGER NOT NULL DEFAULT 0 CHECK (broad IN (0, 1));
        -- The kept digest moves to keys of its own (chunks.*), which no earlier version writes.
        DELETE FROM meta;
        DELETE FROM digest_chunk;
        """

    static let version7 = """
        -- An operation signed too far ahead of this node's clock waits for its time
        -- (Unix seconds) instead of a dot, and joins the first batch after it has come.
        ALTER TABLE pending ADD COLUMN waits_until INTEGER;
        CREATE INDEX pending_until ON pending(waits_until) WHERE waits_until IS NOT NULL;
        """

    static let version8 = """
        -- Agencies this node trusts, by the SHA-256 of the root key it pinned: their key
        -- events, and the replicas those enrol, are accepted; nothing else is. keys is the
        -- agency's current key set ({"keys": [...], "threshold": k}), derived from its
        -- applied key events; null before its first one. A distrusted agency's operations
        -- are refused and its entries leave the view; what it signed stays as history.
        CREATE TABLE agency (
            name TEXT PRIMARY KEY NOT NULL,
            root_sha256 TEXT NOT NULL,
            keys TEXT,
            distrusted INTEGER NOT NULL DEFAULT 0 CHECK (distrusted IN (0, 1))
        ) WITHOUT ROWID;

        -- Derived from enrol and retire: the agency origin's seq that enrolled the replica,
        -- and its last valid seq once retired (its operations past it are void).
        ALTER TABLE origin ADD COLUMN enrolled_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE origin ADD COLUMN retired_after INTEGER;

        -- What the operator changed in what this node trusts (pins, replaced pins,
        -- distrust), with the time and what was before: the node's history of trust.
        CREATE TABLE trust_event (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            agency TEXT NOT NULL,
            event TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        """
}
