-- Ingest: finding a possible duplicate by title and first author must not scan every book.
CREATE INDEX books_sort_title_author ON books (sort_title, author_sort);
