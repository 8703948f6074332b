-- bookshelf schema, version 1: every table API.md needs.
-- Lists (authors, genres, tags) are JSON arrays on the book row for display,
-- mirrored into link tables for facets and OPDS navigation.

CREATE TABLE books (
    num INTEGER PRIMARY KEY,              -- stable rowid for the FTS index (survives VACUUM)
    id TEXT NOT NULL UNIQUE,              -- UUID used by the API
    status TEXT NOT NULL CHECK (status IN ('processing', 'review', 'organized', 'failed')),
    stage TEXT CHECK (stage IN ('parsing', 'fetching_metadata', 'organizing')),
    title TEXT NOT NULL DEFAULT '',
    sort_title TEXT NOT NULL DEFAULT '',
    subtitle TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    author_sort TEXT NOT NULL DEFAULT '',
    series TEXT,
    series_index REAL,
    isbn10 TEXT,
    isbn13 TEXT,
    identifiers TEXT NOT NULL DEFAULT '{}',
    publisher TEXT,
    published_year INTEGER,
    language TEXT,
    description TEXT,
    page_count INTEGER,
    genres TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    rating REAL,
    cover_sha256 TEXT,
    possible_duplicate_of TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    organized_at TEXT
);
CREATE INDEX books_status_created ON books (status, created_at);
CREATE INDEX books_status_sort_title ON books (status, sort_title);
CREATE INDEX books_status_author_sort ON books (status, author_sort, sort_title);
CREATE INDEX books_status_organized ON books (status, organized_at);
CREATE INDEX books_isbn13 ON books (isbn13) WHERE isbn13 IS NOT NULL;

CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    sort_name TEXT NOT NULL
);
CREATE TABLE book_authors (
    book_num INTEGER NOT NULL REFERENCES books (num) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES authors (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (book_num, author_id)
);
CREATE INDEX book_authors_author ON book_authors (author_id);

CREATE TABLE genres (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE book_genres (
    book_num INTEGER NOT NULL REFERENCES books (num) ON DELETE CASCADE,
    genre_id INTEGER NOT NULL REFERENCES genres (id),
    PRIMARY KEY (book_num, genre_id)
);
CREATE INDEX book_genres_genre ON book_genres (genre_id);

CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE book_series (
    book_num INTEGER PRIMARY KEY REFERENCES books (num) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES series (id)
);
CREATE INDEX book_series_series ON book_series (series_id);

-- Search: external-content FTS5 over books, kept in step by triggers.
CREATE VIRTUAL TABLE books_fts USING fts5 (
    title, authors, series, description,
    content = 'books', content_rowid = 'num',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER books_fts_insert AFTER INSERT ON books BEGIN
    INSERT INTO books_fts (rowid, title, authors, series, description)
    VALUES (new.num, new.title, new.authors, new.series, new.description);
END;
CREATE TRIGGER books_fts_delete AFTER DELETE ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, authors, series, description)
    VALUES ('delete', old.num, old.title, old.authors, old.series, old.description);
END;
CREATE TRIGGER books_fts_update AFTER UPDATE OF title, authors, series, description ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, authors, series, description)
    VALUES ('delete', old.num, old.title, old.authors, old.series, old.description);
    INSERT INTO books_fts (rowid, title, authors, series, description)
    VALUES (new.num, new.title, new.authors, new.series, new.description);
END;
CREATE VIRTUAL TABLE books_vocab USING fts5vocab (books_fts, row);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    root TEXT NOT NULL CHECK (root IN ('incoming', 'library', 'external')),
    path TEXT NOT NULL,                   -- relative to its root ('external': absolute)
    filename TEXT NOT NULL,               -- the name shown and sent on download
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    koreader_hash TEXT NOT NULL,
    page_count INTEGER,
    added_at TEXT NOT NULL,
    UNIQUE (root, path)
);
CREATE INDEX files_book ON files (book_id);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_koreader ON files (koreader_hash);

-- Every document id a file has ever had: KOReader partial MD5s, SHA-256s and
-- MD5s of the names it was stored or served under (KOReader's filename mode).
CREATE TABLE file_hashes (
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('koreader', 'sha256', 'filename')),
    value TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (kind, value, file_id)
);
CREATE INDEX file_hashes_value ON file_hashes (value);
CREATE INDEX file_hashes_file ON file_hashes (file_id);

CREATE TABLE candidates (
    id TEXT PRIMARY KEY,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    source_id TEXT,
    score REAL NOT NULL DEFAULT 0,
    data TEXT NOT NULL,                   -- JSON: title, authors, series ... coverUrl (remote)
    cover_path TEXT,                      -- cached cover under data/cache, once fetched
    fetched_at TEXT NOT NULL
);
CREATE INDEX candidates_book ON candidates (book_id, score DESC);

-- Provider answers cached by query, so a rescan within a day spends no quota.
CREATE TABLE provider_cache (
    provider TEXT NOT NULL,
    query TEXT NOT NULL,
    response TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (provider, query)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL CHECK (queue IN ('parse', 'metadata', 'organize', 'hardcover', 'maintenance')),
    task TEXT NOT NULL,
    book_id TEXT,
    args TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'completed', 'failed', 'delayed', 'paused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    progress REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    failed_at TEXT
);
CREATE INDEX jobs_state ON jobs (state, queue);
CREATE INDEX jobs_book ON jobs (book_id);

-- The organize journal: each move is recorded (synchronous=FULL) before it is done.
CREATE TABLE file_moves (
    id INTEGER PRIMARY KEY,
    file_id TEXT NOT NULL,
    book_id TEXT NOT NULL,
    src_root TEXT NOT NULL,
    src_path TEXT NOT NULL,
    dst_root TEXT NOT NULL,
    dst_path TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned', 'done', 'rolled_back')),
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX file_moves_state ON file_moves (state);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);

CREATE TABLE credentials (
    service TEXT PRIMARY KEY CHECK (service IN ('opds', 'kosync', 'hardcover', 'google_books')),
    username TEXT,
    secret BLOB NOT NULL,                 -- bcrypt hash, or a SecretBox-sealed token
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE preferences (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL                   -- JSON
);

-- KOReader sync: latest position per (document, device) and every write.
CREATE TABLE progress (
    document TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device TEXT NOT NULL,
    percentage REAL NOT NULL,
    progress TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    metadata TEXT,
    PRIMARY KEY (document, device_id)
);
CREATE INDEX progress_document_time ON progress (document, timestamp DESC);

CREATE TABLE reading_history (
    id INTEGER PRIMARY KEY,
    document TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device TEXT NOT NULL,
    percentage REAL NOT NULL,
    progress TEXT NOT NULL,
    timestamp INTEGER NOT NULL
);
CREATE INDEX reading_history_document ON reading_history (document, timestamp);
CREATE INDEX reading_history_time ON reading_history (timestamp);

-- Document ids the user (or KOReader's metadata) attached to a book by hand.
CREATE TABLE document_links (
    document TEXT PRIMARY KEY,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Per-book reading summary, updated on each sync write.
CREATE TABLE reading_state (
    book_id TEXT PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
    percentage REAL,
    last_read_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    manual_status TEXT CHECK (manual_status IN ('unread', 'reading', 'finished', 'paused')),
    updated_at TEXT NOT NULL
);
CREATE TABLE reading_finishes (
    id INTEGER PRIMARY KEY,
    book_id TEXT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    started_at INTEGER,
    finished_at INTEGER NOT NULL
);
CREATE INDEX reading_finishes_time ON reading_finishes (finished_at);

CREATE TABLE hardcover_links (
    book_id TEXT PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
    hardcover_book_id INTEGER,
    edition_id INTEGER,
    pages INTEGER,
    method TEXT NOT NULL,                 -- isbn, search, user, none
    confidence REAL,
    user_set INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE hardcover_sync_state (
    book_id TEXT PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
    user_book_id INTEGER,
    user_book_read_id INTEGER,
    sent_state TEXT,                      -- JSON of the last state Hardcover acknowledged
    last_synced_at TEXT
);
CREATE TABLE hardcover_log (
    id INTEGER PRIMARY KEY,
    book_id TEXT,
    hardcover_book_id INTEGER,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    last_synced_at TEXT NOT NULL,
    UNIQUE (book_id, action)
);

CREATE TABLE trash (
    id TEXT PRIMARY KEY,
    book_id TEXT NOT NULL,
    title TEXT NOT NULL,
    book TEXT NOT NULL,                   -- JSON snapshot of the book row and its links
    files TEXT NOT NULL,                  -- JSON: [{file row, original root/path, trash path}]
    deleted_at TEXT NOT NULL
);

-- Where an imported book came from, so a resumed import doubles nothing.
CREATE TABLE import_sources (
    source TEXT PRIMARY KEY,              -- e.g. calibre:<library uuid>:<book id>, or a path
    book_id TEXT,
    imported_at TEXT NOT NULL
);

CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
