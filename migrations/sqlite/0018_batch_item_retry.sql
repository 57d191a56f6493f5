-- A refused file of a batch is kept (content-addressed, like any upload) so records
-- staff can give the missing owner and retry it from the batch page (issue 20): the
-- file's hash and its name as uploaded. NULL for items that made a job, and for those
-- that cannot be retried alone (a ZIP that would not open, a stack cut into several).
-- Keep in step with the other backend's 0018_batch_item_retry.sql.
ALTER TABLE batch_items ADD COLUMN content_sha256 TEXT;
ALTER TABLE batch_items ADD COLUMN filename TEXT;
