//! The batch report of `kho ingest --report FILE` (JSON, or CSV when FILE ends in
//! `.csv`): per document its pages, owner, fields, confidence and state (with the
//! reasons of a review, a failure or a refusal); per batch the totals and throughput.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::app::App;
use crate::db::{documents, jobs, reviews, scans};

/// One document of the batch.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub label: String,
    /// `filed`, `review`, `failed`, `refused` (never recorded) or `queued` (without --wait).
    pub state: String,
    pub owner: Option<String>,
    pub pages: Option<i64>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    /// Mean OCR confidence, 0–100.
    pub confidence: Option<f64>,
    pub job_id: Option<String>,
    pub document_id: Option<String>,
    /// The review a held document waits in (`review` state).
    pub review_id: Option<String>,
    pub reasons: Vec<String>,
    /// Each reason's stable code, in the same order (`no_text`, `corrupt`, `no_owner`…;
    /// see [`reason_code`]), for a page to say it in its own language.
    pub reason_codes: Vec<String>,
    /// Its place in an API batch (for `POST /api/v1/batches/{id}/items/{position}/retry`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// A refused document whose file Kho kept: it can be retried, with an owner.
    pub retryable: bool,
}

/// The stable code of a reason given in words (a failure, a refusal): what kind of
/// problem it is, so a page can say it in the person's language and say what to do.
/// The quality gate's reasons carry their codes already.
pub fn reason_code(message: &str) -> &'static str {
    const KINDS: &[(&str, &str)] = &[
        ("give --owner", "no_owner"),
        ("no owner", "no_owner"),
        ("manifest", "manifest"),
        ("not a readable ZIP", "bad_zip"),
        ("the ZIP holds no files", "bad_zip"),
        ("already signed", "already_signed"),
        ("image data ends", "truncated"),
        ("unsupported input", "unsupported"),
        ("corrupt input", "corrupt"),
        ("is corrupt", "corrupt"),
        ("input too large", "too_large"),
        ("time limit exceeded", "timeout"),
        ("OCR failed", "ocr_failed"),
        ("PDF assembly failed", "pdf_failed"),
        ("is not in KHO_AGENCIES", "unknown_agency"),
        ("Idempotency-Key", "key_reused"),
        ("is empty", "empty_file"),
        ("an empty group", "empty_file"),
        ("no files", "empty_file"),
    ];
    KINDS
        .iter()
        .find(|(words, _)| message.contains(words))
        .map_or("other", |(_, code)| code)
}

/// The batch's totals.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub documents: usize,
    pub filed: usize,
    pub review: usize,
    pub failed: usize,
    pub refused: usize,
    pub queued: usize,
    /// Pages in the documents recorded.
    pub pages: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BatchReport)]
pub struct Report {
    pub totals: Totals,
    pub seconds: f64,
    /// Pages recorded per second of the run (upload and, with --wait, digitization; for
    /// an API batch, from its creation until its jobs last changed, or now while one
    /// waits for a worker).
    pub pages_per_second: f64,
    pub documents: Vec<Line>,
}

/// A document refused before it was recorded.
pub fn refused(label: &str, owner: Option<&str>, why: &str) -> Line {
    Line {
        label: label.to_owned(),
        state: "refused".into(),
        owner: owner.map(str::to_owned),
        reasons: vec![why.to_owned()],
        reason_codes: vec![reason_code(why).to_owned()],
        ..Line::default()
    }
}

/// The line of a recorded document, from what its job came to.
pub async fn line(app: &App, label: &str, job_id: &str) -> anyhow::Result<Line> {
    let (job, owner) = jobs::get(&app.db, job_id).await?.context("job vanished")?;
    let pages: i64 = scans::files(&app.db, &job.scan_id)
        .await?
        .iter()
        .map(|f| f.pages)
        .sum();
    let mut l = Line {
        label: label.to_owned(),
        state: match job.state.as_str() {
            "done" => "filed".into(),
            "review" | "failed" => job.state.clone(),
            _ => "queued".into(),
        },
        owner: Some(owner),
        pages: Some(pages),
        job_id: Some(job.id.clone()),
        ..Line::default()
    };
    match job.state.as_str() {
        "done" => {
            if let Some(d) =
                documents::get(&app.db, job.document_id.as_deref().unwrap_or("")).await?
            {
                l.pages = Some(d.page_count);
                l.doc_type = d.doc_type;
                l.number = d.number;
                l.issued_on = d.issued_on;
                l.confidence = Some(d.mean_confidence);
                l.document_id = Some(d.id);
            }
        }
        "review" => {
            if let Some(r) = reviews::for_job(&app.db, &job.id).await? {
                l.doc_type = r.draft.doc_type;
                l.number = r.draft.number;
                l.issued_on = r.draft.issued_on;
                l.confidence = Some(r.draft.mean_confidence);
                l.reason_codes = r.reasons.iter().map(|r| r.code.clone()).collect();
                l.reasons = r.reasons.into_iter().map(|r| r.message).collect();
                l.review_id = Some(r.id);
            }
        }
        "failed" => {
            l.reason_codes = job.error.iter().map(|e| reason_code(e).into()).collect();
            l.reasons = job.error.into_iter().collect();
        }
        _ => {}
    }
    Ok(l)
}

impl Report {
    pub fn new(documents: Vec<Line>, seconds: f64) -> Report {
        let mut t = Totals {
            documents: documents.len(),
            ..Totals::default()
        };
        for l in &documents {
            match l.state.as_str() {
                "filed" => t.filed += 1,
                "review" => t.review += 1,
                "failed" => t.failed += 1,
                "refused" => t.refused += 1,
                _ => t.queued += 1,
            }
            t.pages += l.pages.unwrap_or(0);
        }
        Report {
            pages_per_second: if seconds > 0.0 {
                t.pages as f64 / seconds
            } else {
                0.0
            },
            totals: t,
            seconds,
            documents,
        }
    }

    /// Write the report: CSV (one row per document) for `*.csv`, JSON otherwise.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        std::fs::write(path, self.to_bytes(csv, false)?)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The report as CSV (one row per document) or JSON. The CSV starts with a UTF-8
    /// byte-order mark, so a spreadsheet reads its Vietnamese as Vietnamese; its headers
    /// and states are the names programs read, or words for people in Vietnamese when
    /// `vietnamese` (the staff page's download).
    pub fn to_bytes(&self, csv: bool, vietnamese: bool) -> anyhow::Result<Vec<u8>> {
        Ok(if csv {
            let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
            w.write_record(if vietnamese {
                [
                    "Tệp, trang",
                    "Trạng thái",
                    "Chủ sở hữu",
                    "Số trang",
                    "Loại văn bản",
                    "Số, ký hiệu",
                    "Ngày ban hành",
                    "Độ tin cậy",
                    "Mã công việc",
                    "Mã văn bản",
                    "Lý do",
                ]
            } else {
                [
                    "label",
                    "state",
                    "owner",
                    "pages",
                    "doc_type",
                    "number",
                    "issued_on",
                    "confidence",
                    "job_id",
                    "document_id",
                    "reasons",
                ]
            })?;
            for l in &self.documents {
                let text = |v: Option<&String>| inert(v.map(String::as_str).unwrap_or_default());
                let state = if vietnamese {
                    match l.state.as_str() {
                        "filed" => "Đã lưu",
                        "review" => "Chờ duyệt",
                        "failed" => "Lỗi",
                        "refused" => "Bị từ chối",
                        _ => "Đang chờ xử lý",
                    }
                    .to_owned()
                } else {
                    l.state.clone()
                };
                w.write_record([
                    inert(&l.label),
                    state,
                    text(l.owner.as_ref()),
                    l.pages.map(|p| p.to_string()).unwrap_or_default(),
                    text(l.doc_type.as_ref()),
                    text(l.number.as_ref()),
                    text(l.issued_on.as_ref()),
                    l.confidence.map(|c| format!("{c:.1}")).unwrap_or_default(),
                    l.job_id.clone().unwrap_or_default(),
                    l.document_id.clone().unwrap_or_default(),
                    inert(&l.reasons.join("; ")),
                ])?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        } else {
            serde_json::to_vec_pretty(self)?
        })
    }
}

/// A text cell a spreadsheet will not run: one that begins with `=`, `+`, `-`, `@`, a tab
/// or a carriage return (file names and OCR'd fields come from outside) gets a leading
/// `'`, which spreadsheets show as text (OWASP's advice on CSV injection).
fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod csv_tests {
    use super::inert;

    #[test]
    fn a_report_cell_that_a_spreadsheet_would_run_is_made_text() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(inert(bad), format!("'{bad}"));
        }
        for ok in ["scan-01.png", "123/QĐ-UBND", "2024-01-02", ""] {
            assert_eq!(inert(ok), ok);
        }
    }
}
