-- Kho schema, PostgreSQL flavour. Times are Unix milliseconds; ids are UUID strings.
-- Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE subjects (
    id          TEXT PRIMARY KEY,          -- personal ID (12 digits) or tax code
    kind        TEXT NOT NULL CHECK (kind IN ('citizen', 'organization')),
    created_at  BIGINT NOT NULL
);

CREATE TABLE scans (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES subjects (id),
    file_count   BIGINT NOT NULL,
    page_count   BIGINT NOT NULL,
    total_bytes  BIGINT NOT NULL,
    uploaded_by  TEXT,                     -- api_tokens.id
    created_at   BIGINT NOT NULL
);

CREATE TABLE scan_files (
    scan_id       TEXT NOT NULL REFERENCES scans (id),
    position      BIGINT NOT NULL,        -- 1-based order of the upload's file parts
    sha256        TEXT NOT NULL,           -- object key
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    pages         BIGINT NOT NULL,
    filename      TEXT,
    PRIMARY KEY (scan_id, position)
);

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    scan_id       TEXT NOT NULL REFERENCES scans (id),
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'review', 'done', 'failed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    run_after     BIGINT NOT NULL,
    lease_owner   TEXT,
    lease_until   BIGINT,
    last_error    TEXT,
    document_id   TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX jobs_claimable ON jobs (state, run_after);

CREATE TABLE documents (
    id                TEXT PRIMARY KEY,
    owner_id          TEXT NOT NULL REFERENCES subjects (id),
    scan_id           TEXT NOT NULL UNIQUE REFERENCES scans (id),
    job_id            TEXT NOT NULL UNIQUE REFERENCES jobs (id),
    title             TEXT,
    doc_type          TEXT,
    number            TEXT,
    issued_on         TEXT,
    status            TEXT NOT NULL CHECK (status IN ('valid', 'expired', 'revoked', 'superseded')),
    pdf_sha256        TEXT NOT NULL,
    pdf_bytes         BIGINT NOT NULL,
    page_count        BIGINT NOT NULL,
    mean_confidence   DOUBLE PRECISION NOT NULL,
    ocr_text          TEXT NOT NULL,
    pages_json        TEXT NOT NULL,       -- per-page report of the pipeline
    pipeline_version  TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX documents_by_owner ON documents (owner_id, created_at);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,      -- SHA-256 of the token; the token itself is never stored
    role        TEXT NOT NULL,
    subject_id  TEXT,
    agency      TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
