-- Batches uploaded over the API by records staff: a box of scans (or stacks) with an
-- optional manifest, and what became of each document in it.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL,             -- api_tokens.id or users.id
    agency      TEXT NOT NULL,
    split       BIGINT NOT NULL,               -- 1: files are stacks cut at separator sheets
    owner_id    TEXT,                      -- fallback owner
    manifest    TEXT,                      -- the CSV as sent
    created_at  BIGINT NOT NULL
);

CREATE TABLE batch_items (
    batch_id    TEXT NOT NULL REFERENCES batches (id),
    position    BIGINT NOT NULL,
    label       TEXT NOT NULL,
    job_id      TEXT,                      -- NULL when refused
    reason      TEXT,                      -- why it was refused
    PRIMARY KEY (batch_id, position)
);
