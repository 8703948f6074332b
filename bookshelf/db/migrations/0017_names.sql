-- File names: a key under which two names are the same file on a case- and
-- normalisation-insensitive disk (kept by the code that writes a file's path; rows from
-- before fold ASCII only), and the unique ASCII name a file is downloaded under
-- (filename=, what KOReader saves as), forgotten whenever the file's name changes.
ALTER TABLE files ADD COLUMN name_key TEXT;
ALTER TABLE files ADD COLUMN ascii_name TEXT;
UPDATE files SET name_key = lower(path);
CREATE INDEX files_name_key ON files (root, name_key);
CREATE UNIQUE INDEX files_ascii_name ON files (ascii_name COLLATE NOCASE) WHERE ascii_name IS NOT NULL;
CREATE TRIGGER files_ascii_name_stale AFTER UPDATE OF filename ON files
WHEN old.filename IS NOT new.filename BEGIN
    UPDATE files SET ascii_name = NULL WHERE id = new.id;
END;
