-- The catalog's change marker moves only when a file changes in a way a feed shows. A file's
-- first download claims its ASCII download name (ascii_name), organizing records what was
-- embedded (embedded) and a rename keeps name_key: none of these is in a feed, and bumping
-- the marker for them threw away every cached feed and navigation list on each first
-- download, so under load the OPDS root spent seconds recounting authors.
DROP TRIGGER catalog_files_update;
CREATE TRIGGER catalog_files_update
AFTER UPDATE OF book_id, format, root, path, filename, size, sha256, koreader_hash, page_count, added_at ON files
WHEN (SELECT status FROM books WHERE id = new.book_id) = 'organized'
  OR (SELECT status FROM books WHERE id = old.book_id) = 'organized' BEGIN
    UPDATE catalog_state SET generation = generation + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1;
END;
