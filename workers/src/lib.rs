//! The digitization pipeline: pure functions from uploaded bytes to a searchable PDF.
//!
//! One module per stage, in the order a page travels through them:
//!
//! | module | stage |
//! |---|---|
//! | [`decode`] | PNG / JPEG / TIFF (multi-page) / scanned-PDF bytes → page images with their resolution |
//! | [`deskew`] | tilt of the text lines (±15°, or lines running vertically) → straightened page |
//! | [`orient`] | 0/90/180/270° from Tesseract's OSD → upright page |
//! | [`clean`]  | background normalization, borders, specks → the OCR input; blank pages |
//! | [`ocr`]    | Tesseract (`vie`) → words with boxes and confidences; a seal's and signature's noise dropped |
//! | [`header`] | the header's left column (issuing body) read again on its own, kept when surer |
//! | [`names`]  | marks OCR lost in the header's and signature's known phrases, given back |
//! | [`extract`] | fields: number and symbol, date and place, issuer, type, IDs |
//! | [`grammar`] | Decree 30 shapes: type abbreviations, number and symbol, dates, personal IDs, syllables |
//! | [`gate`]   | the quality gate: which documents wait for a person, and why |
//! | [`pdf`]    | page images + words → a PDF/A-4 with an invisible, word-placed text layer |
//! | [`pipeline`] | runs the stages for one document, pages in parallel, one engine per thread |
//! | [`measure`] | character error rate and `pdftotext`, for tests and measurements |
//!
//! Nothing here touches a database, the network or global mutable state; the crate is
//! tested and benchmarked on its own (`cargo test -p kho-workers`, `cargo bench -p kho-workers`).

pub mod clean;
pub mod decode;
pub mod deskew;
pub mod extract;
pub mod gate;
pub mod grammar;
pub mod header;
pub mod measure;
pub mod names;
pub mod ocr;
pub mod orient;
pub mod pdf;
pub mod pipeline;

pub use pipeline::{DocumentOutput, PageReport, Pipeline, PipelineConfig, StageTimes};

/// Version stamped into each document's provenance.
pub const PIPELINE_VERSION: &str = concat!("kho-workers/", env!("CARGO_PKG_VERSION"));

/// Everything that can go wrong in the pipeline. `is_permanent` tells the job queue
/// whether retrying can help.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The bytes are not in a format the pipeline reads.
    #[error("unsupported input: {0}")]
    Unsupported(String),
    /// The bytes claim a supported format but cannot be decoded.
    #[error("corrupt input: {0}")]
    Corrupt(String),
    /// The input exceeds a size, dimension or page-count limit.
    #[error("input too large: {0}")]
    TooLarge(String),
    /// Tesseract failed to start or to read a page.
    #[error("OCR failed: {0}")]
    Ocr(String),
    /// Reading a page took longer than its time limit.
    #[error("time limit exceeded: {0}")]
    Timeout(String),
    /// The PDF could not be written.
    #[error("PDF assembly failed: {0}")]
    Pdf(String),
    /// The PDF already carries signatures, which digitizing it would break.
    #[error("already signed: {0}")]
    Signed(String),
}

impl PipelineError {
    /// Bad input stays bad however often it is retried; engine failures may be transient.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            PipelineError::Unsupported(_)
                | PipelineError::Corrupt(_)
                | PipelineError::TooLarge(_)
                | PipelineError::Timeout(_)
                | PipelineError::Signed(_)
        )
    }
}
