-- Vietnamese search: each filed document's text and metadata, lower-cased (exact) and
-- folded (no diacritics, đ → d), both made in Rust (src/search.rs). PostgreSQL finds
-- candidates with a GIN index over the folded form; Rust ranks exact-diacritics matches first.
CREATE TABLE search_docs (
    document_id  TEXT PRIMARY KEY REFERENCES documents (id),
    owner_id     TEXT NOT NULL,
    exact        TEXT NOT NULL,
    folded       TEXT NOT NULL,
    -- Stored, so matches (and phrase rechecks) read it instead of recomputing it.
    folded_tsv   TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED
);
CREATE INDEX search_docs_folded ON search_docs USING GIN (folded_tsv);
CREATE INDEX search_docs_owner ON search_docs (owner_id);
