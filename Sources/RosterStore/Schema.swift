import GRDB

/// The database layout, one migration per version. Signed operations are the
/// truth; `entry` and the heads in `origin` are derived and can be rebuilt.
/// `Schemas/roster.sql` is this schema as SQLite reports it; a test keeps them equal.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: version1)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: version2)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: version3)
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
}
