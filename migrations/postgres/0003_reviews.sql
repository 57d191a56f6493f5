-- Documents the quality gate held back for a person: not filed in any repository until
-- a reviewer approves them. The draft is the document as the pipeline made it (JSON);
-- its PDF is already in the object store under draft.pdf_sha256.
CREATE TABLE reviews (
    id             TEXT PRIMARY KEY,
    job_id         TEXT NOT NULL UNIQUE REFERENCES jobs (id),
    scan_id        TEXT NOT NULL UNIQUE REFERENCES scans (id),
    owner_id       TEXT NOT NULL REFERENCES subjects (id),
    reasons_json   TEXT NOT NULL,          -- [{"code", "message", "page"?, "field"?}]
    draft_json     TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'approved', 'rejected')),
    decided_by     TEXT,
    decided_at     BIGINT,
    decision_note  TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX reviews_open ON reviews (state, created_at);
