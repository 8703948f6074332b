-- Search over folded text in every script. unicode61 removes diacritics from Latin
-- letters only, so Greek, Arabic and Hebrew titles were indexed with their marks while
-- queries were folded without them: they could never meet. The index now holds text
-- folded by bookshelf.folding.fold (the search_fold SQL function every connection
-- registers), and is contentless: there is no content table it could be rebuilt from
-- unfolded by mistake ('rebuild' is refused; bookshelf.db.search.rebuild refills it).

DROP TRIGGER books_fts_insert;
DROP TRIGGER books_fts_delete;
DROP TRIGGER books_fts_update;
DROP TABLE books_vocab;
DROP TABLE books_vocab_col;
DROP TABLE books_fts;

CREATE VIRTUAL TABLE books_fts USING fts5 (
    title, authors, series, description,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER books_fts_insert AFTER INSERT ON books BEGIN
    INSERT INTO books_fts (rowid, title, authors, series, description)
    VALUES (new.num, search_fold(new.title), search_fold(new.authors), search_fold(new.series),
            search_fold(new.description));
END;
CREATE TRIGGER books_fts_delete AFTER DELETE ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, authors, series, description)
    VALUES ('delete', old.num, search_fold(old.title), search_fold(old.authors), search_fold(old.series),
            search_fold(old.description));
END;
CREATE TRIGGER books_fts_update AFTER UPDATE OF title, authors, series, description ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, authors, series, description)
    VALUES ('delete', old.num, search_fold(old.title), search_fold(old.authors), search_fold(old.series),
            search_fold(old.description));
    INSERT INTO books_fts (rowid, title, authors, series, description)
    VALUES (new.num, search_fold(new.title), search_fold(new.authors), search_fold(new.series),
            search_fold(new.description));
END;
CREATE VIRTUAL TABLE books_vocab USING fts5vocab (books_fts, row);
CREATE VIRTUAL TABLE books_vocab_col USING fts5vocab (books_fts, col);

INSERT INTO books_fts (rowid, title, authors, series, description)
SELECT num, search_fold(title), search_fold(authors), search_fold(series), search_fold(description) FROM books;

-- Which folding the index holds: start-up rebuilds it when bookshelf.folding.FOLD_VERSION differs.
ALTER TABLE search_state ADD COLUMN fold_version INTEGER NOT NULL DEFAULT 0;
UPDATE search_state SET fold_version = 1, search_version = search_version + 1;

-- Sort keys and suggestion prefixes use the same folding.
UPDATE books SET sort_title = search_sort_key(title), author_sort = search_fold(author_sort);

-- Facet filters (?author= partial, ?genre= and ?series= exact) compare folded names.
ALTER TABLE authors ADD COLUMN folded TEXT NOT NULL DEFAULT '';
ALTER TABLE genres ADD COLUMN folded TEXT NOT NULL DEFAULT '';
ALTER TABLE series ADD COLUMN folded TEXT NOT NULL DEFAULT '';
UPDATE authors SET folded = search_fold(name);
UPDATE genres SET folded = search_fold(name);
UPDATE series SET folded = search_fold(name);
CREATE INDEX genres_folded ON genres (folded);
CREATE INDEX series_folded ON series (folded);
CREATE TRIGGER authors_folded_insert AFTER INSERT ON authors BEGIN
    UPDATE authors SET folded = search_fold(new.name) WHERE id = new.id;
END;
CREATE TRIGGER authors_folded_update AFTER UPDATE OF name ON authors BEGIN
    UPDATE authors SET folded = search_fold(new.name) WHERE id = new.id;
END;
CREATE TRIGGER genres_folded_insert AFTER INSERT ON genres BEGIN
    UPDATE genres SET folded = search_fold(new.name) WHERE id = new.id;
END;
CREATE TRIGGER genres_folded_update AFTER UPDATE OF name ON genres BEGIN
    UPDATE genres SET folded = search_fold(new.name) WHERE id = new.id;
END;
CREATE TRIGGER series_folded_insert AFTER INSERT ON series BEGIN
    UPDATE series SET folded = search_fold(new.name) WHERE id = new.id;
END;
CREATE TRIGGER series_folded_update AFTER UPDATE OF name ON series BEGIN
    UPDATE series SET folded = search_fold(new.name) WHERE id = new.id;
END;
