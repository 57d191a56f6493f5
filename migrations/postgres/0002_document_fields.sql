-- Extracted fields with their confidences and source words (JSON), per document.
ALTER TABLE documents ADD COLUMN fields_json TEXT NOT NULL DEFAULT '{}';
