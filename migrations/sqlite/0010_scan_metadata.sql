-- What a batch manifest says about a scan's document (owner, type, number, dates,
-- validity, procedure code), as JSON; it takes precedence over what OCR extracts.
ALTER TABLE scans ADD COLUMN metadata_json TEXT;
