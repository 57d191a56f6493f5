-- Accounts, sessions, consent-based reuse and issuer push (issue 6).
-- Keep in step with the other backend's 0008_accounts_and_reuse.sql.

-- Who filed a document (the agency whose seal is on it), the issuing body named on it,
-- its validity, and where it came from ('scan' through the pipeline, 'push' from an
-- issuing agency's system).
ALTER TABLE documents ADD COLUMN agency TEXT;
ALTER TABLE documents ADD COLUMN issuer TEXT;
ALTER TABLE documents ADD COLUMN issuer_folded TEXT;
ALTER TABLE documents ADD COLUMN valid_from TEXT;
ALTER TABLE documents ADD COLUMN valid_to TEXT;
ALTER TABLE documents ADD COLUMN source TEXT NOT NULL DEFAULT 'scan';
ALTER TABLE api_tokens ADD COLUMN org_role TEXT CHECK (org_role IN ('admin', 'member'));
UPDATE documents SET agency = (
    SELECT t.agency FROM scans s JOIN api_tokens t ON t.id = s.uploaded_by
    WHERE s.id = documents.scan_id);
CREATE INDEX documents_by_agency ON documents (agency, created_at);

-- Local accounts for the web pages. Passwords are argon2id PHC strings.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    subject_id     TEXT,                   -- citizen: personal ID; org_member: tax code
    agency         TEXT,                   -- staff
    org_role       TEXT CHECK (org_role IN ('admin', 'member')),
    display_name   TEXT,
    created_at     INTEGER NOT NULL,
    disabled_at    INTEGER
);

-- Web sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- Failed sign-ins, for rate limiting (per username and per client address).
CREATE TABLE sign_in_failures (
    username  TEXT NOT NULL,
    address   TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_by_user ON sign_in_failures (username, at);
CREATE INDEX sign_in_failures_by_address ON sign_in_failures (address, at);

-- Registered requester systems (OAuth 2.0 clients).
CREATE TABLE requesters (
    client_id      TEXT PRIMARY KEY,
    secret_hash    TEXT NOT NULL,          -- SHA-256 of the client secret
    name           TEXT NOT NULL,          -- shown to citizens on the consent page
    redirect_uris  TEXT NOT NULL,          -- JSON array of exact URIs
    created_at     INTEGER NOT NULL,
    disabled_at    INTEGER
);

-- A consent: a requester may read the named documents of one owner, for a purpose,
-- until a time, unless revoked.
CREATE TABLE grants (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES requesters (client_id),
    owner_id      TEXT NOT NULL REFERENCES subjects (id),
    granted_by    TEXT NOT NULL REFERENCES users (id),
    purpose       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX grants_by_owner ON grants (owner_id, created_at);

CREATE TABLE grant_documents (
    grant_id     TEXT NOT NULL REFERENCES grants (id),
    document_id  TEXT NOT NULL REFERENCES documents (id),
    PRIMARY KEY (grant_id, document_id)
);

-- Authorization codes (single use, short-lived) and the access tokens they buy.
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES grants (id),
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);

CREATE TABLE grant_tokens (
    token_hash  TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- Every pull of a document by a requester, shown to the owner.
CREATE TABLE access_log (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL,
    document_id  TEXT NOT NULL,
    grant_id     TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    action       TEXT NOT NULL,            -- 'metadata' or 'pdf'
    at           INTEGER NOT NULL
);
CREATE INDEX access_log_by_owner ON access_log (owner_id, at);
