-- Signing keys and their certificates. The private key is sealed with the
-- key-encryption key (ChaCha20-Poly1305; see src/signing/kek.rs): never stored in clear.
-- Retired keys stay for verification; only active ones sign. 'office' is an agency's
-- digitization office, which signs custody for uploads by staff without a personal key.
CREATE TABLE signing_keys (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('root', 'agency', 'office', 'staff')),
    name               TEXT NOT NULL,      -- the certificate's common name
    agency             TEXT,               -- agency code (agency seal and staff keys)
    issuer_id          TEXT REFERENCES signing_keys (id),
    serial             TEXT NOT NULL,      -- certificate serial, hex
    certificate_pem    TEXT NOT NULL,
    sealed_key         TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    retired_at         BIGINT,
    revoked_at         BIGINT,
    revocation_reason  TEXT
);
CREATE INDEX signing_keys_active ON signing_keys (kind, agency, retired_at);
-- One active root, and one active seal and office key per agency, even when several
-- processes start at once (the loser of the race uses the winner's key).
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (kind, COALESCE(agency, ''))
    WHERE retired_at IS NULL AND revoked_at IS NULL AND kind <> 'staff';

