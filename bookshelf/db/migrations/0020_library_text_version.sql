-- A change counter for the words of organized books alone. search_version moves with every
-- inbox insert and parse step too; a search rebuilt its typo vocabulary before answering each
-- time it moved, so while a folder was imported searches waited 100-300 ms behind rebuilds.
-- A word only inbox books have cannot correct a library search towards a library book, so
-- the vocabulary is rebuilt at once when this counter moves and in the background otherwise.
ALTER TABLE search_state ADD COLUMN library_text_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER search_state_library_text_insert AFTER INSERT ON books WHEN new.status = 'organized' BEGIN
    UPDATE search_state SET library_text_version = library_text_version + 1;
END;
CREATE TRIGGER search_state_library_text_delete AFTER DELETE ON books WHEN old.status = 'organized' BEGIN
    UPDATE search_state SET library_text_version = library_text_version + 1;
END;
CREATE TRIGGER search_state_library_text_update
AFTER UPDATE OF status, title, authors, series, description ON books
WHEN (new.status = 'organized' OR old.status = 'organized')
  AND (new.status IS NOT old.status OR new.title IS NOT old.title OR new.authors IS NOT old.authors
       OR new.series IS NOT old.series OR new.description IS NOT old.description) BEGIN
    UPDATE search_state SET library_text_version = library_text_version + 1;
END;
