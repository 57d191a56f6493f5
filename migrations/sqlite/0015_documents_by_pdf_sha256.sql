-- Verification finds the document a PDF is by the PDF's SHA-256 (`vault::verify`); without
-- an index that is a scan of every document (measured by benches/load.rs: at 1,000,000
-- documents a verification took a second).
CREATE INDEX documents_by_pdf_sha256 ON documents (pdf_sha256);
