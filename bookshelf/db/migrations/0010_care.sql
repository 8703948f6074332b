-- Library care, version 10.
-- A trash entry is a whole book or one file of a book that stays; `restoring`
-- marks an entry whose files are on their way back (start-up resumes it).
ALTER TABLE trash ADD COLUMN kind TEXT NOT NULL DEFAULT 'book' CHECK (kind IN ('book', 'file'));
ALTER TABLE trash ADD COLUMN state TEXT NOT NULL DEFAULT 'trashed' CHECK (state IN ('trashed', 'restoring'));
CREATE INDEX trash_deleted_at ON trash (deleted_at);
