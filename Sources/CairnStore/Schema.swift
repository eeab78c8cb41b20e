/// The SQLite schema. Committed tables are append-only, enforced by triggers; the pending pool
/// is the only table that changes in place.
enum Schema {
    /// 2: subtree rows are levels 1 and up, without a height column or index (schema 1 stored
    /// every leaf hash as a level-0 row and indexed each row by height).
    /// 3: the newest notices' index rows were kept in a tail, and moved into `notices` (keyed by
    /// id) when it was full.
    /// 4: every index row stays in `notices_log`, in arrival order, and a compact id index
    /// (`notices_ids`) finds them (see `log`).
    /// 5: the history index's condition is a chain of equalities (see `history`).
    static let version = 5

    static let committedTables = [
        "meta", "blocks", "seals", "leaves", "notices_log", "notices_ids", "notices_indexed", "nodes", "balances", "instances",
    ]

    static let create = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE blocks (
            height INTEGER PRIMARY KEY,
            hash BLOB NOT NULL UNIQUE,
            header BLOB NOT NULL,
            log_size INTEGER NOT NULL,
            checkpoint TEXT NOT NULL);
        CREATE INDEX blocks_by_log_size ON blocks(log_size, height);
        CREATE TABLE seals (
            height INTEGER NOT NULL, signer TEXT NOT NULL, key_id INTEGER NOT NULL, sig BLOB NOT NULL,
            PRIMARY KEY (height, signer, key_id)) WITHOUT ROWID;
        CREATE TABLE leaves (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
        \(log)
        \(ids)
        \(nodes)
        CREATE TABLE balances (
            account TEXT NOT NULL, height INTEGER NOT NULL, balance INTEGER NOT NULL,
            PRIMARY KEY (account, height)) WITHOUT ROWID;
        CREATE INDEX balances_by_height ON balances(height);
        CREATE TABLE instances (
            id TEXT NOT NULL, height INTEGER NOT NULL, contract TEXT NOT NULL, state BLOB,
            PRIMARY KEY (id, height)) WITHOUT ROWID;
        CREATE INDEX instances_by_height ON instances(height);
        """
        + pending
        + committedTables.map(appendOnly).joined(separator: "\n")

    /// The last statements of a migration: the schema record becomes `version`. `meta` is
    /// append-only, so its update trigger is lifted for this one update, in the migration's
    /// transaction.
    static func recordVersion(_ version: Int) -> String {
        """
        DROP TRIGGER IF EXISTS meta_no_update;
        UPDATE meta SET value = CAST('\(version)' AS BLOB) WHERE key = 'schema';
        CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'meta is append-only'); END;
        """
    }

    static func appendOnly(_ t: String) -> String {
        """
        CREATE TRIGGER \(t)_no_update BEFORE UPDATE ON \(t) BEGIN SELECT RAISE(ABORT, '\(t) is append-only'); END;
        CREATE TRIGGER \(t)_no_delete BEFORE DELETE ON \(t) BEGIN SELECT RAISE(ABORT, '\(t) is append-only'); END;

        """
    }

    /// The notice index: one row per notice a block committed or rejected, in arrival order, so a
    /// block appends its rows instead of writing a page of an id-keyed table at random for each
    /// notice. A row's `seq` is its block's height × 2^32 + its place among the block's rows, so
    /// a block's rows are one range of the table's own key and need no index by height.
    static let log = """
        CREATE TABLE notices_log (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL, status TEXT NOT NULL, height INTEGER NOT NULL,
            leaf_idx INTEGER, kind TEXT, code TEXT, message TEXT);
        \(history)
        """

    /// The leaves of the kinds that a ledger replays on open (key changes and deployed contracts)
    /// or that a contract's history lists. The condition is written as equalities joined by OR:
    /// SQLite evaluates `kind IN (three constants)` on every insert by building a temporary
    /// B-tree of the three (a sixteenth of the ledger thread's time at ingest), and a query for
    /// one kind cannot use an index whose condition is an IN list, so it scanned the whole log.
    static let history = """
        CREATE INDEX notices_log_history ON notices_log(kind, leaf_idx)
            WHERE kind = 'member.update' OR kind = 'contract.deploy' OR kind = 'contract.act';
        """

    /// Schema 4 to 5: the history index, rebuilt with its new condition.
    static let migrateFrom4 = """
        DROP INDEX notices_log_history;
        \(history)
        \(recordVersion(5))
        """

    /// Finding a row of `notices_log` by id. `notices_ids` holds, for every row up to the last
    /// block in `notices_indexed`, the id's first 8 bytes as a signed integer (`cairn_id_prefix`)
    /// and the row's `seq`: about 20 bytes a row, so the index of 10^6 notices fits in a
    /// connection's page cache. The rows after that block, the tail, are found through a map each
    /// process keeps (`TailIndex`). When the tail holds `SQLiteStore.tailLimit` rows, the block
    /// that fills it adds their entries, sorted, and records its height in `notices_indexed`.
    /// Two ids that share a prefix are told apart by the rows themselves.
    static let ids = """
        CREATE TABLE notices_ids (prefix INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (prefix, seq)) WITHOUT ROWID;
        CREATE TABLE notices_indexed (height INTEGER PRIMARY KEY);
        """

    /// Schema 2 to 3: an empty tail (schema 3's, which `migrateFrom3` turns into the log).
    static let migrateFrom2 = """
        CREATE TABLE notices_tail (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL, status TEXT NOT NULL, height INTEGER NOT NULL,
            leaf_idx INTEGER, kind TEXT, code TEXT, message TEXT);
        \(recordVersion(3))
        """

    /// Schema 3 to 4, in the transaction that opens the ledger: the tail becomes the log; the rows
    /// schema 3 had moved into `notices` join it, each block's in id order (a block's rows all
    /// moved together, before any row of the tail), and get their entries in the id index.
    static let migrateFrom3 = """
        DROP TRIGGER IF EXISTS notices_tail_no_update;
        DROP INDEX IF EXISTS notices_tail_history;
        ALTER TABLE notices_tail RENAME TO notices_log;
        CREATE INDEX notices_log_history ON notices_log(kind, leaf_idx)
            WHERE kind IN ('member.update', 'contract.deploy', 'contract.act');
        INSERT INTO notices_log (seq, id, status, height, leaf_idx, kind, code, message)
            SELECT height << 32 | (ROW_NUMBER() OVER (PARTITION BY height ORDER BY id) - 1),
                id, status, height, leaf_idx, kind, code, message
            FROM notices;
        \(ids)
        INSERT INTO notices_indexed (height) SELECT height FROM notices ORDER BY height DESC LIMIT 1;
        INSERT INTO notices_ids (prefix, seq)
            SELECT cairn_id_prefix(id), seq FROM notices_log
            WHERE seq < (SELECT (height + 1) << 32 FROM notices_indexed) ORDER BY 1, 2;
        DROP TABLE notices;
        \(appendOnly("notices_log"))
        \(appendOnly("notices_ids"))
        \(appendOnly("notices_indexed"))
        \(recordVersion(4))
        """

    /// Complete subtree hashes of two or more leaves, by (level, index). The block that completed
    /// a row follows from its position: the one whose leaves include the subtree's last leaf.
    static let nodes = """
        CREATE TABLE nodes (
            level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
            PRIMARY KEY (level, idx)) WITHOUT ROWID;
        """

    /// Schema 1 to 2, in the transaction that opens the ledger: the subtree rows move to the new
    /// table without their leaf hashes (level 0), which are recomputed from the leaves, and the
    /// schema version is bumped. The append-only triggers of the two tables are lifted only inside
    /// this transaction.
    static let migrateFrom1 = """
        DROP TRIGGER IF EXISTS nodes_no_update;
        DROP TRIGGER IF EXISTS nodes_no_delete;
        ALTER TABLE nodes RENAME TO nodes_v1;
        DROP INDEX IF EXISTS nodes_by_height;
        \(nodes)
        INSERT INTO nodes (level, idx, hash) SELECT level, idx, hash FROM nodes_v1 WHERE level > 0;
        DROP TABLE nodes_v1;
        \(appendOnly("nodes"))
        \(recordVersion(2))
        """

    /// The pending pool, in arrival order (`seq` is the rowid, so rows append and a block's rows
    /// leave from the front); a notice's envelope is looked up by its id through a small index.
    static let pending = """
        CREATE TABLE pending (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, envelope BLOB NOT NULL, complete INTEGER NOT NULL,
            expires_at INTEGER NOT NULL);
        CREATE INDEX pending_complete ON pending(seq) WHERE complete = 1;
        CREATE INDEX pending_expiry ON pending(expires_at) WHERE complete = 0;

        """

    /// Moves a pool of the first layout (keyed by id, which made every write land on a random
    /// page) into the current one, keeping arrival order. The pool is outside the chain.
    static let migratePending = """
        ALTER TABLE pending RENAME TO pending_v1;
        DROP INDEX IF EXISTS pending_complete;
        DROP INDEX IF EXISTS pending_expiry;
        \(pending)
        INSERT INTO pending (seq, id, envelope, complete, expires_at)
            SELECT seq, id, envelope, complete, expires_at FROM pending_v1 ORDER BY seq;
        DROP TABLE pending_v1;
        """

    /// Tables outside the chain, added without a schema change (created if missing on open):
    /// witness cosignatures, which anyone can check against genesis, and the node's record of
    /// responses by `Idempotency-Key`, with when each was recorded (Unix seconds), so that
    /// records past the node's retention can be dropped.
    static let sideTables = """
        CREATE TABLE IF NOT EXISTS cosignatures (
            height INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL,
            PRIMARY KEY (height, witness)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS idempotency (
            member TEXT NOT NULL, key TEXT NOT NULL, request BLOB NOT NULL, status INTEGER NOT NULL, response BLOB NOT NULL,
            created_at INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (member, key)) WITHOUT ROWID;
        """

    /// The idempotency records by age, for dropping those past the retention. Created after
    /// `sideTables` has added `created_at` to a table of an earlier build (its rows get 0, so
    /// they are the first dropped).
    static let idempotencyByTime = "CREATE INDEX IF NOT EXISTS idempotency_by_time ON idempotency(created_at)"
}
