-- Search and library browsing: change counters for in-memory caches, and
-- indexes the library filters need at 100,000 books.

-- One row of counters, bumped by triggers in the same transaction as the change,
-- so a cache keyed by them can never serve data older than its key.
--   search_version:  the text the search index holds (typo vocabulary)
--   library_version: anything a library listing or facet shows
CREATE TABLE search_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    search_version INTEGER NOT NULL DEFAULT 0,
    library_version INTEGER NOT NULL DEFAULT 0
);
INSERT INTO search_state (id) VALUES (1);

CREATE TRIGGER search_state_book_insert AFTER INSERT ON books BEGIN
    UPDATE search_state SET search_version = search_version + 1, library_version = library_version + 1;
END;
CREATE TRIGGER search_state_book_delete AFTER DELETE ON books BEGIN
    UPDATE search_state SET search_version = search_version + 1, library_version = library_version + 1;
END;
CREATE TRIGGER search_state_book_text AFTER UPDATE OF title, authors, series, description ON books BEGIN
    UPDATE search_state SET search_version = search_version + 1;
END;
CREATE TRIGGER search_state_book_update AFTER UPDATE ON books BEGIN
    UPDATE search_state SET library_version = library_version + 1;
END;
CREATE TRIGGER search_state_file_insert AFTER INSERT ON files BEGIN
    UPDATE search_state SET library_version = library_version + 1;
END;
CREATE TRIGGER search_state_file_delete AFTER DELETE ON files BEGIN
    UPDATE search_state SET library_version = library_version + 1;
END;
CREATE TRIGGER search_state_file_update AFTER UPDATE OF format, book_id ON files BEGIN
    UPDATE search_state SET library_version = library_version + 1;
END;

-- ?format= filters books by their files' format.
CREATE INDEX files_format_book ON files (format, book_id);
-- ?language= and the languages facet.
CREATE INDEX books_status_language ON books (status, language COLLATE NOCASE);

-- Per-column vocabulary: typo correction keeps every title, author and series word.
CREATE VIRTUAL TABLE books_vocab_col USING fts5vocab (books_fts, col);
