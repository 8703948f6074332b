-- The catalog's change marker: one row bumped by triggers whenever something an
-- OPDS feed shows changes (an organized book, its files, an author/genre/series
-- name). Feeds use it for Last-Modified and to know when cached navigation
-- lists (authors with counts...) are stale, without scanning the books table.

CREATE TABLE catalog_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    changed_at TEXT NOT NULL
);
INSERT INTO catalog_state (id, generation, changed_at) VALUES (1, 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

CREATE TRIGGER catalog_books_insert AFTER INSERT ON books WHEN new.status = 'organized' BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
CREATE TRIGGER catalog_books_update AFTER UPDATE ON books
WHEN new.status = 'organized' OR old.status = 'organized' BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
CREATE TRIGGER catalog_books_delete AFTER DELETE ON books WHEN old.status = 'organized' BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;

CREATE TRIGGER catalog_files_insert AFTER INSERT ON files
WHEN (SELECT status FROM books WHERE id = new.book_id) = 'organized' BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
CREATE TRIGGER catalog_files_update AFTER UPDATE ON files
WHEN (SELECT status FROM books WHERE id = new.book_id) = 'organized'
  OR (SELECT status FROM books WHERE id = old.book_id) = 'organized' BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
-- A file deleted with its book (cascade) no longer finds the book: bump anyway, deletes are rare.
CREATE TRIGGER catalog_files_delete AFTER DELETE ON files BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;

CREATE TRIGGER catalog_authors_rename AFTER UPDATE OF name ON authors BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
CREATE TRIGGER catalog_genres_rename AFTER UPDATE OF name ON genres BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
CREATE TRIGGER catalog_series_rename AFTER UPDATE OF name ON series BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;

