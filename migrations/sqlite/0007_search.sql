-- Vietnamese search: each filed document's text and metadata, lower-cased (exact) and
-- folded (no diacritics, đ → d), both made in Rust (src/search.rs). SQLite finds
-- candidates with FTS5 over the folded form; Rust ranks exact-diacritics matches first.
CREATE TABLE search_docs (
    document_id  TEXT PRIMARY KEY REFERENCES documents (id),
    owner_id     TEXT NOT NULL,
    exact        TEXT NOT NULL,
    folded       TEXT NOT NULL
);
CREATE VIRTUAL TABLE search_fts USING fts5(
    folded, content = 'search_docs', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, folded) VALUES (new.rowid, new.folded);
END;
