-- A staff token may carry the staff member's personal signing key (custody signatures).
ALTER TABLE api_tokens ADD COLUMN signing_key_id TEXT;
-- Page 1's word boxes (PDF points) of a held draft, to place the stamp when it is approved.
ALTER TABLE reviews ADD COLUMN words_json TEXT NOT NULL DEFAULT '[]';
