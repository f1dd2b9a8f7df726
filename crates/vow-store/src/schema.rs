//! The schema, as numbered migrations per backend, applied in order at start inside one transaction.
//! A migration once released never changes: add a new one.
//!
//! The subjects' wrapped data keys live apart from everything else — in SQLite a second file
//! (`keys.db`), in PostgreSQL a second schema — so that erasing a subject deletes its key from a place a
//! copy of the main database does not contain: a backup of the data taken before an erasure cannot be
//! read after it. Back the key store up separately, and keep those backups no longer than the erasure
//! promise allows.

pub(crate) const SQLITE: &[&str] = &[
    // 1: subjects, sealed items, API keys, the access log; the subjects' wrapped data keys in the
    // separate key database (attached as `keys`).
    "CREATE TABLE keys.subject_keys (
        subject_id TEXT PRIMARY KEY,
        wrapped_key BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE subjects (
        id TEXT PRIMARY KEY,
        external_id TEXT UNIQUE,
        kind TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        erased_ms INTEGER
    );
    CREATE TABLE items (
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        sealed BLOB NOT NULL,
        blind_index BLOB,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (subject_id, category)
    ) WITHOUT ROWID;
    CREATE INDEX items_lookup ON items (category, blind_index) WHERE blind_index IS NOT NULL;
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        digest BLOB NOT NULL UNIQUE,
        role TEXT NOT NULL,
        label TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        role TEXT NOT NULL,
        source TEXT NOT NULL,
        subject_id TEXT,
        action TEXT NOT NULL,
        categories TEXT NOT NULL,
        reason TEXT,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
    );",
    // 2: what the key store remembers apart from the data: the public half of the key file's audit
    // key (so a vault refuses a key file that is not its own) and the newest signed head of the log
    // (so a database rolled back, or cut short together with its checkpoint file, is caught).
    "CREATE TABLE keys.vault_meta (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE keys.signed_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash BLOB NOT NULL,
        at_ms INTEGER NOT NULL,
        signature BLOB NOT NULL
    );",
    // 3: consent. The ledger of changes (append-only; evidence sealed under the subject's key), the
    // current state it leads to, the result notices sent, children waiting for a guardian, and the
    // outbox of events for the application (written in the same transaction as the change).
    "ALTER TABLE subjects ADD COLUMN minor INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE consent_events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        purpose TEXT NOT NULL,
        channel TEXT NOT NULL,
        night INTEGER NOT NULL,
        change TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        recorded_ms INTEGER NOT NULL,
        policy_version TEXT NOT NULL,
        by_guardian INTEGER NOT NULL,
        evidence BLOB NOT NULL,
        key_id TEXT NOT NULL,
        notice_due_ms INTEGER
    );
    CREATE INDEX consent_events_subject ON consent_events (subject_id, seq);
    CREATE INDEX consent_events_notice ON consent_events (notice_due_ms) WHERE notice_due_ms IS NOT NULL;
    CREATE TABLE consent_notices (
        event_id TEXT PRIMARY KEY REFERENCES consent_events(id),
        sent_ms INTEGER NOT NULL,
        key_id TEXT NOT NULL
    );
    CREATE TABLE consent_state (
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        purpose TEXT NOT NULL,
        channel TEXT NOT NULL,
        night INTEGER NOT NULL,
        granted INTEGER NOT NULL,
        since_ms INTEGER NOT NULL,
        changed_ms INTEGER NOT NULL,
        PRIMARY KEY (subject_id, purpose, channel, night)
    ) WITHOUT ROWID;
    CREATE INDEX consent_state_due ON consent_state (purpose, since_ms) WHERE granted = 1;
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        lease_ms INTEGER,
        delivered_ms INTEGER,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox (subject_id, seq) WHERE delivered_ms IS NULL;",
    // 4: retention. Records (many per subject and category, each with its own time), the events
    // that start retention clocks, separated storage (분리보관: rows moved out of `items` and
    // `records`, so no ordinary query reaches them), the destruction ledger (파기 관리대장, no
    // values), rights requests, uploads (their keys; the encrypted files live in a directory), the provision log (what went to which recipient, never values), and
    // the marks that rectification and restriction set.
    "CREATE TABLE records (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        sealed BLOB NOT NULL,
        at_ms INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        contested INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX records_subject ON records (subject_id, category, at_ms);
    CREATE TABLE retention_events (
        seq INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        event TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        recorded_ms INTEGER NOT NULL
    );
    CREATE INDEX retention_events_subject ON retention_events (subject_id, event);
    CREATE TABLE separated (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        binding TEXT NOT NULL,
        sealed BLOB NOT NULL,
        at_ms INTEGER NOT NULL,
        rule TEXT NOT NULL,
        until_ms INTEGER NOT NULL,
        moved_ms INTEGER NOT NULL
    );
    CREATE INDEX separated_subject ON separated (subject_id);
    CREATE TABLE destructions (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        subject_id TEXT NOT NULL,
        category TEXT NOT NULL,
        storage TEXT NOT NULL,
        count INTEGER NOT NULL,
        rule TEXT NOT NULL,
        basis TEXT NOT NULL,
        law TEXT,
        cause TEXT NOT NULL,
        method TEXT NOT NULL,
        by_key TEXT NOT NULL
    );
    CREATE TABLE rights_requests (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        due_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX rights_requests_open ON rights_requests (state, due_ms);
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        sealed_key BLOB NOT NULL,
        bytes INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        processed_ms INTEGER,
        keep INTEGER NOT NULL DEFAULT 0,
        contested INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX uploads_subject ON uploads (subject_id);
    CREATE TABLE provisions (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        recipient_kind TEXT NOT NULL,
        categories TEXT NOT NULL,
        purpose TEXT,
        count INTEGER NOT NULL,
        subject_id TEXT,
        key_id TEXT NOT NULL,
        role TEXT NOT NULL
    );
    ALTER TABLE subjects ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE items ADD COLUMN contested INTEGER NOT NULL DEFAULT 0;",
    // 5: the end of a subject's use: when the account closed (or the subject was erased), and when an
    // erasure ended it; for a child, the earliest day they can have been born, sealed (a guardian's
    // consent cannot be older). Accounts closed before this migration are closed from their closure event.
    "ALTER TABLE subjects ADD COLUMN closed_ms INTEGER;
    ALTER TABLE subjects ADD COLUMN erasure_ms INTEGER;
    ALTER TABLE subjects ADD COLUMN born_sealed BLOB;
    UPDATE subjects SET closed_ms = (SELECT MIN(at_ms) FROM retention_events e
        WHERE e.subject_id = subjects.id AND e.event = 'account_closure')
    WHERE erased_ms IS NULL;",
    // 6: the console's people (users apart from API keys, sessions as token digests), the grant
    // history of users and keys (never deleted), the officer's sign-offs and review findings; rights
    // requests paged by (due, id) and found by subject.
    "CREATE TABLE console_users (
        id TEXT PRIMARY KEY,
        email_index BLOB NOT NULL UNIQUE,
        email_sealed BLOB NOT NULL,
        role TEXT NOT NULL,
        password_phc TEXT,
        totp_sealed BLOB,
        totp_last_step INTEGER NOT NULL DEFAULT 0,
        enrol_digest BLOB UNIQUE,
        enrol_expires_ms INTEGER,
        created_ms INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        enrolled_ms INTEGER,
        disabled_ms INTEGER
    );
    CREATE TABLE console_sessions (
        digest BLOB PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX console_sessions_user ON console_sessions (user_id);
    CREATE INDEX console_sessions_seen ON console_sessions (last_seen_ms);
    CREATE TABLE access_grants (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        grantee TEXT NOT NULL,
        role TEXT NOT NULL,
        change TEXT NOT NULL
    );
    CREATE TABLE sign_offs (
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        by_user TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (kind, period)
    ) WITHOUT ROWID;
    CREATE TABLE review_findings (
        period TEXT NOT NULL,
        entry_seq INTEGER NOT NULL,
        by_user TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (period, entry_seq)
    ) WITHOUT ROWID;
    CREATE INDEX rights_requests_due ON rights_requests (due_ms, id);
    CREATE INDEX rights_requests_open_due ON rights_requests (due_ms, id)
        WHERE state NOT IN ('completed', 'refused');
    CREATE INDEX rights_requests_subject ON rights_requests (subject_id, received_ms);",
    // 7: the privacy center's one-time secrets (codes, links, sessions, download links), kept only as
    // keyed digests; the subject id is the only thing they point to.
    "CREATE TABLE privacy_tokens (
        digest BLOB PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id TEXT,
        request_id TEXT,
        secret BLOB,
        detail TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        used_ms INTEGER,
        tries INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX privacy_tokens_expiry ON privacy_tokens (expires_ms);
    CREATE INDEX privacy_tokens_subject ON privacy_tokens (subject_id, kind);",
    // 8: the cuts of the access log: each run of entries moved out to an archive, as the audit key
    // signed it; the log left behind must continue from the newest.
    "CREATE TABLE audit_cuts (
        to_seq INTEGER PRIMARY KEY,
        from_seq INTEGER NOT NULL,
        prev_hash BLOB NOT NULL,
        head_hash BLOB NOT NULL,
        entries INTEGER NOT NULL,
        first_at_ms INTEGER NOT NULL,
        last_at_ms INTEGER NOT NULL,
        signature BLOB NOT NULL
    );",
    // 9: the key store remembers a checkpoint of several chains with its heads (JSON; NULL for a
    // checkpoint of chain 0 alone). SQLite has one writer, so its log is chain 0 alone.
    // A review finding names its entry's chain too (always 0 here).
    "ALTER TABLE keys.signed_head ADD COLUMN heads TEXT;
    ALTER TABLE review_findings ADD COLUMN entry_chain INTEGER NOT NULL DEFAULT 0;",
];

/// `{keys}` is replaced by the key schema's name.
pub(crate) const POSTGRES: &[&str] = &[
    // 1: as SQLite's 1.
    "CREATE TABLE {keys}.subject_keys (
        subject_id TEXT PRIMARY KEY,
        wrapped_key BYTEA NOT NULL
    );
    CREATE TABLE subjects (
        id TEXT PRIMARY KEY,
        external_id TEXT UNIQUE,
        kind TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        erased_ms BIGINT
    );
    CREATE TABLE items (
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        sealed BYTEA NOT NULL,
        blind_index BYTEA,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (subject_id, category)
    );
    CREATE INDEX items_lookup ON items (category, blind_index) WHERE blind_index IS NOT NULL;
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        digest BYTEA NOT NULL UNIQUE,
        role TEXT NOT NULL,
        label TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        revoked_ms BIGINT
    );
    CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        key_id TEXT NOT NULL,
        role TEXT NOT NULL,
        source TEXT NOT NULL,
        subject_id TEXT,
        action TEXT NOT NULL,
        categories TEXT NOT NULL,
        reason TEXT,
        prev_hash BYTEA NOT NULL,
        hash BYTEA NOT NULL
    );",
    // 2: as SQLite's 2.
    "CREATE TABLE {keys}.vault_meta (
        name TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    CREATE TABLE {keys}.signed_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        at_ms BIGINT NOT NULL,
        signature BYTEA NOT NULL
    );",
    // 3: as SQLite's 3.
    "ALTER TABLE subjects ADD COLUMN minor BOOLEAN NOT NULL DEFAULT false;
    CREATE TABLE consent_events (
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        purpose TEXT NOT NULL,
        channel TEXT NOT NULL,
        night BOOLEAN NOT NULL,
        change TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        recorded_ms BIGINT NOT NULL,
        policy_version TEXT NOT NULL,
        by_guardian BOOLEAN NOT NULL,
        evidence BYTEA NOT NULL,
        key_id TEXT NOT NULL,
        notice_due_ms BIGINT
    );
    CREATE INDEX consent_events_subject ON consent_events (subject_id, seq);
    CREATE INDEX consent_events_notice ON consent_events (notice_due_ms) WHERE notice_due_ms IS NOT NULL;
    CREATE TABLE consent_notices (
        event_id TEXT PRIMARY KEY REFERENCES consent_events(id),
        sent_ms BIGINT NOT NULL,
        key_id TEXT NOT NULL
    );
    CREATE TABLE consent_state (
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        purpose TEXT NOT NULL,
        channel TEXT NOT NULL,
        night BOOLEAN NOT NULL,
        granted BOOLEAN NOT NULL,
        since_ms BIGINT NOT NULL,
        changed_ms BIGINT NOT NULL,
        PRIMARY KEY (subject_id, purpose, channel, night)
    );
    CREATE INDEX consent_state_due ON consent_state (purpose, since_ms) WHERE granted;
    CREATE TABLE outbox (
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject_id TEXT,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_ms BIGINT NOT NULL,
        lease_ms BIGINT,
        delivered_ms BIGINT,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox (subject_id, seq) WHERE delivered_ms IS NULL;",
    // 4: as SQLite's 4. Records (many per subject and category, each with its own time), the events
    // that start retention clocks, separated storage (분리보관: rows moved out of `items` and
    // `records`, so no ordinary query reaches them), the destruction ledger (파기 관리대장, no
    // values), rights requests, the provision log (what went to which recipient, never values), and
    // the marks that rectification and restriction set.
    "CREATE TABLE records (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        sealed BYTEA NOT NULL,
        at_ms BIGINT NOT NULL,
        created_ms BIGINT NOT NULL,
        contested BOOLEAN NOT NULL DEFAULT false
    );
    CREATE INDEX records_subject ON records (subject_id, category, at_ms);
    CREATE TABLE retention_events (
        seq BIGINT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        event TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        recorded_ms BIGINT NOT NULL
    );
    CREATE INDEX retention_events_subject ON retention_events (subject_id, event);
    CREATE TABLE separated (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        binding TEXT NOT NULL,
        sealed BYTEA NOT NULL,
        at_ms BIGINT NOT NULL,
        rule TEXT NOT NULL,
        until_ms BIGINT NOT NULL,
        moved_ms BIGINT NOT NULL
    );
    CREATE INDEX separated_subject ON separated (subject_id);
    CREATE TABLE destructions (
        seq BIGINT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        subject_id TEXT NOT NULL,
        category TEXT NOT NULL,
        storage TEXT NOT NULL,
        count BIGINT NOT NULL,
        rule TEXT NOT NULL,
        basis TEXT NOT NULL,
        law TEXT,
        cause TEXT NOT NULL,
        method TEXT NOT NULL,
        by_key TEXT NOT NULL
    );
    CREATE TABLE rights_requests (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        received_ms BIGINT NOT NULL,
        due_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX rights_requests_open ON rights_requests (state, due_ms);
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        category TEXT NOT NULL,
        sealed_key BYTEA NOT NULL,
        bytes BIGINT NOT NULL,
        media_type TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        processed_ms BIGINT,
        keep BOOLEAN NOT NULL DEFAULT false,
        contested BOOLEAN NOT NULL DEFAULT false
    );
    CREATE INDEX uploads_subject ON uploads (subject_id);
    CREATE TABLE provisions (
        seq BIGINT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        recipient TEXT NOT NULL,
        recipient_kind TEXT NOT NULL,
        categories TEXT NOT NULL,
        purpose TEXT,
        count BIGINT NOT NULL,
        subject_id TEXT,
        key_id TEXT NOT NULL,
        role TEXT NOT NULL
    );
    ALTER TABLE subjects ADD COLUMN restricted BOOLEAN NOT NULL DEFAULT false;
    ALTER TABLE items ADD COLUMN contested BOOLEAN NOT NULL DEFAULT false;",
    // 5: as SQLite's 5.
    "ALTER TABLE subjects ADD COLUMN closed_ms BIGINT;
    ALTER TABLE subjects ADD COLUMN erasure_ms BIGINT;
    ALTER TABLE subjects ADD COLUMN born_sealed BYTEA;
    UPDATE subjects SET closed_ms = (SELECT MIN(at_ms) FROM retention_events e
        WHERE e.subject_id = subjects.id AND e.event = 'account_closure')
    WHERE erased_ms IS NULL;",
    // 6: as SQLite's 6.
    "CREATE TABLE console_users (
        id TEXT PRIMARY KEY,
        email_index BYTEA NOT NULL UNIQUE,
        email_sealed BYTEA NOT NULL,
        role TEXT NOT NULL,
        password_phc TEXT,
        totp_sealed BYTEA,
        totp_last_step BIGINT NOT NULL DEFAULT 0,
        enrol_digest BYTEA UNIQUE,
        enrol_expires_ms BIGINT,
        created_ms BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        enrolled_ms BIGINT,
        disabled_ms BIGINT
    );
    CREATE TABLE console_sessions (
        digest BYTEA PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL
    );
    CREATE INDEX console_sessions_user ON console_sessions (user_id);
    CREATE INDEX console_sessions_seen ON console_sessions (last_seen_ms);
    CREATE TABLE access_grants (
        seq BIGSERIAL PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        grantee TEXT NOT NULL,
        role TEXT NOT NULL,
        change TEXT NOT NULL
    );
    CREATE TABLE sign_offs (
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        by_user TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (kind, period)
    );
    CREATE TABLE review_findings (
        period TEXT NOT NULL,
        entry_seq BIGINT NOT NULL,
        by_user TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (period, entry_seq)
    );
    CREATE INDEX rights_requests_due ON rights_requests (due_ms, id);
    CREATE INDEX rights_requests_open_due ON rights_requests (due_ms, id)
        WHERE state NOT IN ('completed', 'refused');
    CREATE INDEX rights_requests_subject ON rights_requests (subject_id, received_ms);",
    // 7: the privacy center's one-time secrets (codes, links, sessions, download links), kept only as
    // keyed digests; the subject id is the only thing they point to.
    "CREATE TABLE privacy_tokens (
        digest BYTEA PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id TEXT,
        request_id TEXT,
        secret BYTEA,
        detail TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL,
        used_ms BIGINT,
        tries BIGINT NOT NULL
    );
    CREATE INDEX privacy_tokens_expiry ON privacy_tokens (expires_ms);
    CREATE INDEX privacy_tokens_subject ON privacy_tokens (subject_id, kind);",
    // 8: as SQLite's 8.
    "CREATE TABLE audit_cuts (
        to_seq BIGINT PRIMARY KEY,
        from_seq BIGINT NOT NULL,
        prev_hash BYTEA NOT NULL,
        head_hash BYTEA NOT NULL,
        entries BIGINT NOT NULL,
        first_at_ms BIGINT NOT NULL,
        last_at_ms BIGINT NOT NULL,
        signature BYTEA NOT NULL
    );",
    // 9: one chain per writer: each server's committer extends a chain of its own, so servers
    // never wait for each other; entries are identified by (chain, seq), and so are cuts. The key
    // store remembers a checkpoint of several chains with its heads (as SQLite's 9).
    // The column keeps no default: a vow from before chains still running during the upgrade
    // (inserting without it, into what it takes for the one chain) fails loudly instead of writing
    // into chain 0 after another chain's head.
    "ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audit_log ALTER COLUMN chain DROP DEFAULT;
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
    ALTER TABLE audit_log ADD PRIMARY KEY (chain, seq);
    ALTER TABLE audit_cuts ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audit_cuts DROP CONSTRAINT audit_cuts_pkey;
    ALTER TABLE audit_cuts ADD PRIMARY KEY (chain, to_seq);
    ALTER TABLE {keys}.signed_head ADD COLUMN heads TEXT;
    ALTER TABLE review_findings ADD COLUMN entry_chain INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE review_findings DROP CONSTRAINT review_findings_pkey;
    ALTER TABLE review_findings ADD PRIMARY KEY (period, entry_chain, entry_seq);",
];

/// Encodes the categories of a log entry for its column (JSON, so any category text survives).
pub(crate) fn encode_categories(categories: &[String]) -> String {
    serde_json::to_string(categories).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) fn decode_categories(text: &str) -> Result<Vec<String>, crate::StoreError> {
    serde_json::from_str(text).map_err(|e| crate::StoreError::Corrupt {
        table: "audit_log",
        reason: format!("categories: {e}"),
    })
}

pub(crate) fn encode_action(action: &vow_audit::Action) -> String {
    match serde_json::to_value(action) {
        Ok(serde_json::Value::String(text)) => text,
        _ => format!("{action:?}"),
    }
}

pub(crate) fn decode_action(text: &str) -> Result<vow_audit::Action, crate::StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|e| {
        crate::StoreError::Corrupt {
            table: "audit_log",
            reason: format!("action {text:?}: {e}"),
        }
    })
}

pub(crate) fn hash32(bytes: &[u8], column: &str) -> Result<[u8; 32], crate::StoreError> {
    bytes.try_into().map_err(|_| crate::StoreError::Corrupt {
        table: "audit_log",
        reason: format!("{column} is {} bytes, not 32", bytes.len()),
    })
}

/// Rows per multi-row INSERT into the log (11 parameters each, far under SQLite's limit).
pub(crate) const AUDIT_ROWS_PER_STATEMENT: usize = 64;

/// [`audit_insert_sql`] for SQLite (`?n`) and PostgreSQL (`$n`), made once per row count: every batch
/// that logs needs one, and building it was a measurable share of a logged read.
pub(crate) fn audit_insert_sql_cached(rows: usize, postgres: bool) -> &'static str {
    static SQLITE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let (cell, mark) = if postgres {
        (&POSTGRES, '$')
    } else {
        (&SQLITE, '?')
    };
    let all = cell.get_or_init(|| {
        (0..=AUDIT_ROWS_PER_STATEMENT)
            .map(|n| audit_insert_sql(n, postgres, |i| format!("{mark}{i}")))
            .collect()
    });
    all.get(rows).map_or("", String::as_str)
}

/// `INSERT INTO audit_log (...) VALUES (..), (..)` for `rows` rows, placeholders from `placeholder(n)`;
/// with `chain` (PostgreSQL, where each writer has a chain) the chain is the first of 12 columns.
pub(crate) fn audit_insert_sql(
    rows: usize,
    chain: bool,
    placeholder: impl Fn(usize) -> String,
) -> String {
    let columns = if chain { 12 } else { 11 };
    let mut sql = String::from(if chain {
        "INSERT INTO audit_log (chain, seq, at_ms, key_id, role, source, subject_id, action, categories, reason, prev_hash, hash) VALUES "
    } else {
        "INSERT INTO audit_log (seq, at_ms, key_id, role, source, subject_id, action, categories, reason, prev_hash, hash) VALUES "
    });
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// The log's columns in the order `entry_from` reads them: SQLite's log is chain 0 alone.
macro_rules! log_select_sqlite {
    () => {
        "SELECT seq, at_ms, key_id, role, source, subject_id, action, categories, reason, prev_hash, hash, 0 FROM audit_log "
    };
}
macro_rules! log_select_postgres {
    () => {
        "SELECT seq, at_ms, key_id, role, source, subject_id, action, categories, reason, prev_hash, hash, chain::bigint FROM audit_log "
    };
}

/// SQLite's newest log entry.
pub(crate) const LOG_LAST_SQLITE: &str = concat!(log_select_sqlite!(), "ORDER BY seq DESC LIMIT 1");
/// One chain's newest entry.
pub(crate) const LOG_CHAIN_HEAD_POSTGRES: &str = concat!(
    log_select_postgres!(),
    "WHERE chain = $1 ORDER BY seq DESC LIMIT 1"
);
/// Every chain's newest entry, by chain: a loose index scan over the (chain, seq) key, so it
/// costs one probe per chain however long the log.
pub(crate) const LOG_HEADS_POSTGRES: &str = "WITH RECURSIVE chains AS (
        (SELECT chain FROM audit_log ORDER BY chain LIMIT 1)
        UNION ALL
        SELECT (SELECT a.chain FROM audit_log a WHERE a.chain > chains.chain ORDER BY a.chain LIMIT 1)
        FROM chains WHERE chains.chain IS NOT NULL
    )
    SELECT e.* FROM chains, LATERAL (
        SELECT seq, at_ms, key_id, role, source, subject_id, action, categories, reason, prev_hash, hash,
               chain::bigint
        FROM audit_log WHERE audit_log.chain = chains.chain ORDER BY seq DESC LIMIT 1
    ) e WHERE chains.chain IS NOT NULL";
/// A page of the log after a position, in each backend's placeholders.
pub(crate) const LOG_PAGE_SQLITE: &str =
    concat!(log_select_sqlite!(), "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
pub(crate) const LOG_PAGE_POSTGRES: &str = concat!(
    log_select_postgres!(),
    "WHERE (chain, seq) > ($1, $2) ORDER BY chain, seq LIMIT $3"
);
/// One log entry by its position, in each backend's placeholders.
pub(crate) const LOG_ENTRY_SQLITE: &str = concat!(log_select_sqlite!(), "WHERE seq = ?1");
pub(crate) const LOG_ENTRY_POSTGRES: &str =
    concat!(log_select_postgres!(), "WHERE chain = $1 AND seq = $2");
