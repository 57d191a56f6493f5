-- Who uploaded a scan, as a principal: the kind ('token' for an API token, 'user' for a
-- signed-in account, 'operator' for `kho ingest`/`kho watch` on the server) and the agency
-- it acted for, recorded at intake. The filing agency is this one, never a default
-- (issue 18: a web session's upload was filed under the first agency).
-- Keep in step with the other backend's 0016_scan_uploader.sql.
ALTER TABLE scans ADD COLUMN uploader_kind TEXT CHECK (uploader_kind IN ('token', 'user', 'operator'));
ALTER TABLE scans ADD COLUMN agency TEXT;
UPDATE scans SET uploader_kind = 'token',
    agency = (SELECT t.agency FROM api_tokens t WHERE t.id = scans.uploaded_by)
    WHERE uploaded_by IN (SELECT id FROM api_tokens);
UPDATE scans SET uploader_kind = 'user',
    agency = (SELECT u.agency FROM users u WHERE u.id = scans.uploaded_by)
    WHERE uploader_kind IS NULL AND uploaded_by IN (SELECT id FROM users);
UPDATE scans SET uploader_kind = 'operator' WHERE uploader_kind IS NULL AND uploaded_by IS NULL;
-- What was filed already names the agency that sealed it.
UPDATE scans SET agency = (SELECT d.agency FROM documents d WHERE d.scan_id = scans.id)
    WHERE agency IS NULL;

-- A staff account's personal certificate signs custody of what it uploads, as a staff
-- token's does.
ALTER TABLE users ADD COLUMN signing_key_id TEXT;

-- The review queue is filtered by the scan's agency in SQL.
CREATE INDEX scans_by_agency ON scans (agency);

-- Sign-in attempts, counted before the password is checked: one row per username
-- ('user:NAME') and per client address ('addr:IP'), bumped by an atomic upsert, so
-- parallel guesses cannot all pass the check (issue 18). Replaces sign_in_failures.
CREATE TABLE sign_in_throttle (
    key           TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    attempts      BIGINT NOT NULL
);
DROP TABLE sign_in_failures;

-- API tokens may expire (kho tokens create --expires).
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
