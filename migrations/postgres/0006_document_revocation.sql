-- Revocation of a filed document: its status becomes 'revoked', with who, when and why.
ALTER TABLE documents ADD COLUMN revoked_at BIGINT;
ALTER TABLE documents ADD COLUMN revocation_reason TEXT;
ALTER TABLE documents ADD COLUMN superseded_by TEXT;
