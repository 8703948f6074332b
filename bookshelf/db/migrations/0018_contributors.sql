-- Credits other than authors (a comic's inker, colorist, letterer ...), as a JSON list of
-- {"name", "role"}: shown with the book, never counted as authors.
ALTER TABLE books ADD COLUMN contributors TEXT NOT NULL DEFAULT '[]';
