-- Signed checkpoints of the audit trail: now and then the head (last sequence number
-- and hash) is signed with the default agency's seal key and kept here, and published
-- at /api/v1/audit/checkpoints. Someone able to rewrite the whole log and its head
-- cannot sign, so `kho audit verify` finds the rewrite at the first checkpoint it breaks.
CREATE TABLE audit_checkpoints (
    seq              INTEGER PRIMARY KEY,     -- the last event it covers
    hash             TEXT NOT NULL,          -- that event's hash
    at               INTEGER NOT NULL,        -- Unix milliseconds
    key_id           TEXT NOT NULL,          -- the signing key (signing_keys.id)
    certificate_pem  TEXT NOT NULL,
    signature        TEXT NOT NULL           -- base64 Ed25519 over audit::checkpoint_message
);
