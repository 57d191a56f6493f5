-- A client names a batch creation with an Idempotency-Key; creating it again with the
-- same key (a retry after a lost answer) returns the first batch.
ALTER TABLE batches ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX batches_idempotency ON batches (created_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
