-- The deployment's time-stamping authority (RFC 3161) is a key like the others, under
-- the root: one more kind. SQLite cannot change a CHECK in place, so the table is
-- rebuilt (its only foreign key is its own issuer_id, renamed with it). Foreign keys
-- are checked at commit, so the copy's row order does not matter.
-- Keep in step with the other backend's 0017_tsa_key.sql.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE signing_keys_new (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('root', 'agency', 'office', 'staff', 'tsa')),
    name               TEXT NOT NULL,
    agency             TEXT,
    issuer_id          TEXT REFERENCES signing_keys_new (id),
    serial             TEXT NOT NULL,
    certificate_pem    TEXT NOT NULL,
    sealed_key         TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    retired_at         INTEGER,
    revoked_at         INTEGER,
    revocation_reason  TEXT
);
INSERT INTO signing_keys_new
    SELECT id, kind, name, agency, issuer_id, serial, certificate_pem, sealed_key,
           created_at, retired_at, revoked_at, revocation_reason
    FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_new RENAME TO signing_keys;
CREATE INDEX signing_keys_active ON signing_keys (kind, agency, retired_at);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (kind, COALESCE(agency, ''))
    WHERE retired_at IS NULL AND revoked_at IS NULL AND kind <> 'staff';
