-- Web UI sessions: one row per signed-in browser, ended with its API key.
CREATE TABLE ui_sessions (
    token_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX ui_sessions_key ON ui_sessions(key_id);
