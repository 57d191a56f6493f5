-- The deployment's time-stamping authority (RFC 3161) is a key like the others, under
-- the root: one more kind. Keep in step with the other backend's 0017_tsa_key.sql.
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_kind_check;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_kind_check
    CHECK (kind IN ('root', 'agency', 'office', 'staff', 'tsa'));
