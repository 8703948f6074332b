-- Accounts: a household on one server. Every per-reader table gains user_id;
-- what a single-reader data folder already holds (keys, progress, status,
-- stats, credentials, Hardcover links and log) goes to its first admin,
-- created here when there is anything to own. Tables are rebuilt child-first
-- so that no foreign key cascade fires while a parent is replaced.
-- progress.seq orders "latest" by commit, not by the one-second clock.

CREATE TABLE users (
    id TEXT PRIMARY KEY,                  -- UUID text
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,    -- NFC + case folded: what uniqueness and sign-in compare
    role TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
    can_upload INTEGER NOT NULL DEFAULT 0,
    password_hash BLOB,                   -- bcrypt; NULL: signs in with a key only
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_role ON users (role, created_at);

INSERT INTO users (id, username, username_key, role, can_upload, created_at, updated_at)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)
       || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-'
       || lower(hex(randomblob(6))),
       'admin', 'admin', 'admin', 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
WHERE EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM progress) OR EXISTS (SELECT 1 FROM reading_history)
   OR EXISTS (SELECT 1 FROM reading_state) OR EXISTS (SELECT 1 FROM document_links)
   OR EXISTS (SELECT 1 FROM credentials WHERE service <> 'google_books') OR EXISTS (SELECT 1 FROM hardcover_links)
   OR EXISTS (SELECT 1 FROM hardcover_log) OR EXISTS (SELECT 1 FROM hardcover_sync_state)
   OR EXISTS (SELECT 1 FROM reading_finishes) OR EXISTS (SELECT 1 FROM reading_activity);

-- API keys and the browser sessions opened with them (sessions first: they are the child).
CREATE TABLE ui_sessions_old AS SELECT * FROM ui_sessions;
DROP TABLE ui_sessions;
CREATE TABLE api_keys_new (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
INSERT INTO api_keys_new (id, user_id, label, key_hash, created_at, last_used_at)
SELECT id, (SELECT id FROM users), label, key_hash, created_at, last_used_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- A session belongs to an account; key_id is set when it was opened with a key
-- (deleting that key ends it) and NULL when opened with a password.
CREATE TABLE ui_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id TEXT REFERENCES api_keys (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
INSERT INTO ui_sessions (token_hash, user_id, key_id, csrf, created_at, expires_at)
SELECT token_hash, (SELECT id FROM users), key_id, csrf, created_at, expires_at FROM ui_sessions_old;
DROP TABLE ui_sessions_old;
CREATE INDEX ui_sessions_key ON ui_sessions (key_id);
CREATE INDEX ui_sessions_user ON ui_sessions (user_id);

-- Each account's own opds, kosync and hardcover credentials; google_books stays
-- server-wide in credentials. A user name is unique per service across accounts.
CREATE TABLE account_credentials (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service TEXT NOT NULL CHECK (service IN ('opds', 'kosync', 'hardcover')),
    username TEXT,
    secret BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, service)
);
CREATE UNIQUE INDEX account_credentials_username ON account_credentials (service, username)
    WHERE username IS NOT NULL;
INSERT INTO account_credentials (user_id, service, username, secret, created_at, updated_at)
SELECT (SELECT id FROM users), service, username, secret, created_at, updated_at FROM credentials
WHERE service IN ('opds', 'kosync', 'hardcover');
DELETE FROM credentials WHERE service IN ('opds', 'kosync', 'hardcover');

-- KOReader positions: per account, and seq (commit order) decides which is latest.
CREATE TABLE progress_new (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device TEXT NOT NULL,
    percentage REAL NOT NULL,
    progress TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    metadata TEXT,
    has_device_id INTEGER NOT NULL DEFAULT 1,
    seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, document, device_id)
);
INSERT INTO progress_new (user_id, document, device_id, device, percentage, progress, timestamp, metadata,
                          has_device_id, seq)
SELECT (SELECT id FROM users), document, device_id, device, percentage, progress, timestamp, metadata, has_device_id,
       row_number() OVER (ORDER BY timestamp, rowid)
FROM progress;
DROP TABLE progress;
ALTER TABLE progress_new RENAME TO progress;
CREATE INDEX progress_user_document_seq ON progress (user_id, document, seq DESC);
CREATE INDEX progress_document ON progress (document);
CREATE INDEX progress_seq ON progress (seq);

-- The history: AUTOINCREMENT so an id is never reused and id order is commit order.
CREATE TABLE reading_history_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device TEXT NOT NULL,
    percentage REAL NOT NULL,
    progress TEXT NOT NULL,
    timestamp INTEGER NOT NULL
);
INSERT INTO reading_history_new (id, user_id, document, device_id, device, percentage, progress, timestamp)
SELECT id, (SELECT id FROM users), document, device_id, device, percentage, progress, timestamp
FROM reading_history ORDER BY timestamp, id;
DROP TABLE reading_history;
ALTER TABLE reading_history_new RENAME TO reading_history;
CREATE INDEX reading_history_document ON reading_history (user_id, document, id);
CREATE INDEX reading_history_device_time ON reading_history (user_id, device_id, timestamp);
CREATE INDEX reading_history_time ON reading_history (user_id, timestamp);

CREATE TABLE document_links_new (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document TEXT NOT NULL,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, document)
);
INSERT INTO document_links_new SELECT (SELECT id FROM users), document, book_id, method, created_at FROM document_links;
DROP TABLE document_links;
ALTER TABLE document_links_new RENAME TO document_links;
CREATE INDEX document_links_book ON document_links (user_id, book_id);
CREATE INDEX document_links_document ON document_links (document);

CREATE TABLE reading_state_new (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    percentage REAL,
    last_read_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    manual_status TEXT CHECK (manual_status IN ('unread', 'reading', 'finished', 'paused')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, book_id)
);
INSERT INTO reading_state_new
SELECT (SELECT id FROM users), book_id, percentage, last_read_at, started_at, finished_at, manual_status, updated_at
FROM reading_state;
DROP TABLE reading_state;
ALTER TABLE reading_state_new RENAME TO reading_state;
CREATE INDEX reading_state_last_read ON reading_state (user_id, last_read_at);
CREATE INDEX reading_state_book ON reading_state (book_id);

CREATE TABLE reading_finishes_new (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    started_at INTEGER,
    finished_at INTEGER NOT NULL
);
INSERT INTO reading_finishes_new SELECT id, (SELECT id FROM users), book_id, started_at, finished_at FROM reading_finishes;
DROP TABLE reading_finishes;
ALTER TABLE reading_finishes_new RENAME TO reading_finishes;
CREATE INDEX reading_finishes_time ON reading_finishes (user_id, finished_at);
CREATE INDEX reading_finishes_book ON reading_finishes (user_id, book_id, finished_at);

CREATE TABLE reading_activity_new (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    bucket INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    gain REAL NOT NULL,
    updates INTEGER NOT NULL,
    PRIMARY KEY (user_id, bucket)
);
INSERT INTO reading_activity_new SELECT (SELECT id FROM users), bucket, seconds, gain, updates FROM reading_activity
WHERE EXISTS (SELECT 1 FROM users);
DROP TABLE reading_activity;
ALTER TABLE reading_activity_new RENAME TO reading_activity;

-- Hardcover: each account links, pushes and logs with its own token.
CREATE TABLE hardcover_links_new (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    hardcover_book_id INTEGER,
    edition_id INTEGER,
    pages INTEGER,
    method TEXT NOT NULL,
    confidence REAL,
    user_set INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    fingerprint TEXT,
    candidates TEXT,
    PRIMARY KEY (user_id, book_id)
);
INSERT INTO hardcover_links_new
SELECT (SELECT id FROM users), book_id, hardcover_book_id, edition_id, pages, method, confidence, user_set, created_at,
       updated_at, fingerprint, candidates
FROM hardcover_links;
DROP TABLE hardcover_links;
ALTER TABLE hardcover_links_new RENAME TO hardcover_links;
CREATE INDEX hardcover_links_book ON hardcover_links (book_id);

CREATE TABLE hardcover_sync_state_new (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    user_book_id INTEGER,
    user_book_read_id INTEGER,
    sent_state TEXT,
    last_synced_at TEXT,
    PRIMARY KEY (user_id, book_id)
);
INSERT INTO hardcover_sync_state_new
SELECT (SELECT id FROM users), book_id, user_book_id, user_book_read_id, sent_state, last_synced_at
FROM hardcover_sync_state;
DROP TABLE hardcover_sync_state;
ALTER TABLE hardcover_sync_state_new RENAME TO hardcover_sync_state;
CREATE INDEX hardcover_sync_state_book ON hardcover_sync_state (book_id);

CREATE TABLE hardcover_log_new (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    book_id TEXT,
    hardcover_book_id INTEGER,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    last_synced_at TEXT NOT NULL,
    UNIQUE (user_id, book_id, action)
);
INSERT INTO hardcover_log_new
SELECT id, (SELECT id FROM users), book_id, hardcover_book_id, action, status, message, last_synced_at FROM hardcover_log;
DROP TABLE hardcover_log;
ALTER TABLE hardcover_log_new RENAME TO hardcover_log;
CREATE INDEX hardcover_log_recent ON hardcover_log (user_id, last_synced_at DESC, id DESC);

-- The last run's outcome was one pair of kv rows; it is the first admin's now.
UPDATE kv SET key = key || '.' || (SELECT id FROM users)
WHERE key IN ('hardcover.last_sync_at', 'hardcover.last_error') AND EXISTS (SELECT 1 FROM users);
