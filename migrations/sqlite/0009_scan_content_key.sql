-- Idempotent batch ingest: a scan made from the same owner and the same files (by
-- content hash) is recorded once; running a batch again, or after a crash, finds it.
ALTER TABLE scans ADD COLUMN content_key TEXT;
CREATE UNIQUE INDEX scans_by_content_key ON scans (content_key);
