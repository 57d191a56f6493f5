//! The `digitize` job: a scan's stored files → the pipeline → a searchable PDF filed as a
//! document in the owner's repository, or held in review when the quality gate
//! ([`kho_workers::gate`]) finds a reason (low confidence, no text, a missing field).
//!
//! The pipeline runs on its own threads (never on the async runtime). The PDF is stored
//! first (content-addressed, so a repeat is harmless); the document row and the job's
//! completion are then written in one transaction that only commits while this worker
//! still holds the job's lease — so each scan is filed exactly once.

use bytes::Bytes;
use kho_workers::PipelineError;

use crate::app::App;
use crate::db::jobs::{self, ClaimedJob};
use crate::db::{DbError, documents, new_id, reviews, scans};
use crate::domain::audit::{Action, Entry};
use crate::signing::{SigningError, ltv, pades, stamp, tsp};
use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DigitizeError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("object store: {0}")]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("scan {0} has no files")]
    NoFiles(String),
    #[error("pipeline task ended abnormally: {0}")]
    Crashed(String),
    #[error(
        "scan {0}: its uploader's agency is unknown or not configured; nothing is filed for a guessed agency"
    )]
    NoAgency(String),
    #[error("the job's lease was lost to another worker")]
    LostLease,
    #[error("signing: {0}")]
    Signing(#[from] SigningError),
}

impl DigitizeError {
    /// Bad input cannot get better by retrying; storage, database and engine trouble may.
    pub fn is_permanent(&self) -> bool {
        match self {
            DigitizeError::Pipeline(e) => e.is_permanent(),
            DigitizeError::NoFiles(_) | DigitizeError::NoAgency(_) => true,
            _ => false,
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Filed as this document.
    Filed(String),
    /// Held for a person as this review.
    Review(String),
}

/// Run the job to the end: the document is filed, or held in review when the quality
/// gate finds a reason.
pub async fn run(app: &App, job: &ClaimedJob) -> Result<Outcome, DigitizeError> {
    let files = scans::files(&app.db, &job.scan_id).await?;
    if files.is_empty() {
        return Err(DigitizeError::NoFiles(job.scan_id.clone()));
    }
    let owner_id = scans::owner(&app.db, &job.scan_id)
        .await?
        .ok_or_else(|| DigitizeError::NoFiles(job.scan_id.clone()))?;
    // Before any work: a scan no configured agency uploaded is filed by no one.
    let (agency, _) = filing_agency(app, &job.scan_id)
        .await?
        .ok_or_else(|| DigitizeError::NoAgency(job.scan_id.clone()))?;
    let mut inputs: Vec<Bytes> = Vec::with_capacity(files.len());
    for f in &files {
        inputs.push(app.store.get(&f.sha256).await?);
    }
    let pipeline = app.pipeline.clone();
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        let refs: Vec<&[u8]> = inputs.iter().map(|b| b.as_ref()).collect();
        pipeline.process(&refs, None)
    })
    .await
    .map_err(|e| DigitizeError::Crashed(e.to_string()))??;
    app.metrics
        .observe("pipeline", started.elapsed().as_secs_f64());
    // The pipeline's own stages (thread time, summed over the document's pages).
    for (stage, took) in output.stages.named() {
        app.metrics.observe(stage, took.as_secs_f64());
    }

    // What the batch manifest says wins over extraction: a field it gives is neither
    // missing nor in doubt.
    let entry = scans::metadata(&app.db, &job.scan_id)
        .await?
        .unwrap_or_default();
    let mut reasons = kho_workers::gate::review_reasons(&output, &app.config.gate());
    reasons.retain(|r| !r.field.as_deref().is_some_and(|f| entry.gives(f)));
    // The owner was given (batch default, manifest or upload); a page that names
    // another holder waits for a person whichever gave it.
    reasons.extend(kho_workers::gate::owner_reason(&output.fields, &owner_id));
    let fields = &output.fields;
    let value = |f: &Option<kho_workers::extract::Field>| f.as_ref().map(|f| f.value.clone());
    let doc_type = entry.doc_type.clone().or_else(|| value(&fields.doc_type));
    let number = entry.number.clone().or_else(|| value(&fields.number));
    let issued_on = entry.issued_on.clone().or_else(|| value(&fields.issued_on));
    // The fields, and where on the pages each was read (for the reviewer's highlights).
    let mut fields_value = serde_json::to_value(fields).expect("fields serialize");
    fields_value["regions"] =
        serde_json::to_value(field_regions(&output)).expect("regions serialize");
    let fields_json = fields_value.to_string();
    let id = new_id();
    let title = title_from_text(&output.text);
    // A document that passes the gate is stamped and signed (custody, then the agency's
    // seal) before it is stored; a held one keeps its unsigned draft until approval.
    let words = page_one_words(&output);
    let pdf = if reasons.is_empty() {
        let pdf = output.pdf.clone();
        let started = std::time::Instant::now();
        let signed = stamp_and_sign(
            app,
            &job.scan_id,
            &id,
            &owner_id,
            title.as_deref(),
            pdf,
            words.clone(),
        )
        .await?;
        app.metrics.observe("sign", started.elapsed().as_secs_f64());
        signed
    } else {
        output.pdf.clone()
    };
    let pdf_bytes = pdf.len() as i64;
    let started = std::time::Instant::now();
    let pdf_sha256 = app.store.put(Bytes::from(pdf)).await?;
    app.metrics
        .observe("store", started.elapsed().as_secs_f64());
    let doc = documents::NewDocument {
        id,
        owner_id,
        scan_id: job.scan_id.clone(),
        job_id: job.id.clone(),
        title,
        doc_type,
        number,
        issued_on,
        status: crate::domain::Status::Valid,
        pdf_sha256,
        pdf_bytes,
        page_count: output.pages.len() as i64,
        mean_confidence: output.mean_confidence as f64,
        ocr_text: output.text,
        pages_json: serde_json::to_string(&output.pages).expect("page reports serialize"),
        fields_json,
        pipeline_version: kho_workers::PIPELINE_VERSION.into(),
        agency: Some(agency.code),
        issuer: value(&fields.issuer),
        valid_from: entry.valid_from.clone(),
        valid_to: entry.valid_to.clone(),
        source: "scan".into(),
    };
    let started = std::time::Instant::now();
    let mut tx = app.db.pool.begin().await.map_err(DbError::from)?;
    let outcome = if reasons.is_empty() {
        if !jobs::finish(&mut tx, job, "done", Some(&doc.id), None).await? {
            tx.rollback().await.map_err(DbError::from)?;
            return Err(DigitizeError::LostLease);
        }
        documents::insert(&mut tx, &doc).await?;
        crate::search::index(&mut tx, &doc).await?;
        let detail = serde_json::json!({
            "owner": doc.owner_id, "scan": job.scan_id, "sha256": doc.pdf_sha256,
            "agency": doc.agency,
        });
        let event = Entry::new("-", Action::DocumentSignedFiled, &doc.id, detail);
        crate::db::audit::append(&mut tx, &event).await?;
        Outcome::Filed(doc.id)
    } else {
        // Held back: the draft waits in review and is not filed in the repository.
        let review_id = new_id();
        let note: Vec<&str> = reasons.iter().map(|r| r.message.as_str()).collect();
        if !jobs::finish(&mut tx, job, "review", None, Some(&note.join("; "))).await? {
            tx.rollback().await.map_err(DbError::from)?;
            return Err(DigitizeError::LostLease);
        }
        reviews::insert(&mut tx, &review_id, &doc, &reasons, &words).await?;
        Outcome::Review(review_id)
    };
    tx.commit().await.map_err(DbError::from)?;
    app.metrics
        .observe("database", started.elapsed().as_secs_f64());
    Ok(outcome)
}

/// The agency that files a scan — the one its uploader acted for, recorded at intake —
/// and the uploader's personal signing key, if they have one. `None` when the scan is
/// unknown or its agency is missing or no longer configured: such a scan is filed by no
/// one (never by a default agency), and no agency's staff sees it.
pub async fn filing_agency(
    app: &App,
    scan_id: &str,
) -> Result<Option<(crate::signing::keys::Agency, Option<String>)>, DbError> {
    let Some(up) = scans::uploader(&app.db, scan_id).await? else {
        return Ok(None);
    };
    let agency = up
        .agency
        .and_then(|a| app.config.agencies.0.iter().find(|x| x.code == a).cloned());
    Ok(agency.map(|a| (a, up.signing_key_id)))
}

/// Stamp page 1 and sign: the custody signature of the staff member who uploaded the
/// scan (their personal key, or else their agency's digitization office), then the
/// agency's seal.
pub async fn stamp_and_sign(
    app: &App,
    scan_id: &str,
    doc_id: &str,
    owner_id: &str,
    title: Option<&str>,
    pdf: Vec<u8>,
    words: Vec<stamp::Rect>,
) -> Result<Vec<u8>, DigitizeError> {
    let (agency, staff_key) = filing_agency(app, scan_id)
        .await?
        .ok_or_else(|| DigitizeError::NoAgency(scan_id.to_owned()))?;
    let (custody, seal) = app
        .keys
        .signers_for(&agency.code, staff_key.as_deref())
        .await?;
    let now = crate::db::now_ms() / 1000;
    let data = stamp::StampData {
        result_code: doc_id.to_owned(),
        procedure_code: scans::metadata(&app.db, scan_id)
            .await?
            .and_then(|e| e.procedure_code),
        owner_id: owner_id.to_owned(),
        document_name: title
            .unwrap_or("Tài liệu số hóa")
            .chars()
            .take(40)
            .collect(),
        issuing_system: format!("Kho {}", agency.code),
        time: now,
        verify_url: format!("{}/v/{doc_id}", app.config.public_url.trim_end_matches('/')),
        signer_line: format!(
            "Số hóa, ký số: {}\nĐóng dấu: {}\nThời gian: {}",
            custody.name,
            seal.name,
            stamp::iso_time(now)
        ),
    };
    // PAdES B-LTA: the seal is timestamped; the chains (the TSA's too) and a fresh CRL
    // go into the file after it, and a document timestamp after them.
    let crl = app.keys.crl_der().await?;
    let stamper = time_stamper(app).await?;
    let tsa_chain = match &stamper {
        tsp::TimeStamper::Local(tsa) => tsa.chain.as_slice(),
        tsp::TimeStamper::Remote { .. } => &[],
    };
    let mut chain_certs: Vec<x509_cert::certificate::Certificate> = Vec::new();
    for c in custody.chain.iter().chain(&seal.chain).chain(tsa_chain) {
        if !chain_certs.contains(c) {
            chain_certs.push(c.clone());
        }
    }
    let doc_id = doc_id.to_owned();
    tokio::task::spawn_blocking(move || -> Result<Vec<u8>, SigningError> {
        let (stamped, _) = stamp::stamp(&pdf, &data, &words)?;
        let signed = pades::sign(
            &stamped,
            &custody.key,
            &custody.chain,
            &pades::SignatureInfo {
                name: custody.name.clone(),
                reason: "Số hóa từ bản gốc giấy".into(),
                time: now,
                document_id: Some(doc_id.clone()),
            },
            None,
        )?;
        let sealed = pades::sign(
            &signed,
            &seal.key,
            &seal.chain,
            &pades::SignatureInfo {
                name: seal.name.clone(),
                reason: "Xác thực bản sao điện tử của cơ quan".into(),
                time: now,
                document_id: Some(doc_id),
            },
            Some(&stamper),
        )?;
        // PAdES B-LTA: the validation data, then a document timestamp over all of it.
        let with_dss = ltv::add_dss(&sealed, &chain_certs, &[crl])?;
        pades::timestamp(&with_dss, &stamper)
    })
    .await
    .map_err(|e| DigitizeError::Crashed(e.to_string()))?
    .map_err(DigitizeError::from)
}

/// Who stamps seals and documents: the external TSA (`--tsa-url`) or this deployment's.
pub async fn time_stamper(app: &App) -> Result<tsp::TimeStamper, SigningError> {
    Ok(match &app.config.tsa_url {
        Some(url) => tsp::TimeStamper::Remote {
            url: url.clone(),
            client: reqwest::Client::new(),
            runtime: tokio::runtime::Handle::current(),
        },
        None => tsp::TimeStamper::Local(Box::new(app.keys.tsa().await?)),
    })
}

/// Where a field was read: its words' box on one page, as fractions of the page's width
/// and height from the top left (so it lays over the page image at any size).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Region {
    pub field: &'static str,
    /// 1-based.
    pub page: usize,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// The regions of the fields a reviewer checks: type, number, date, place, issuer and
/// the holder's ID, one box per field and page.
pub fn field_regions(output: &kho_workers::DocumentOutput) -> Vec<Region> {
    let f = &output.fields;
    let mut named: Vec<(&'static str, &kho_workers::extract::Field)> = [
        ("doc_type", &f.doc_type),
        ("number", &f.number),
        ("issued_on", &f.issued_on),
        ("place", &f.place),
        ("issuer", &f.issuer),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    named.extend(f.holder_ids.iter().map(|h| ("owner_id", h)));
    let round = |v: f32| (v * 10_000.0).round() / 10_000.0;
    let mut out = Vec::new();
    for (name, field) in named {
        let mut boxes: std::collections::BTreeMap<usize, (u32, u32, u32, u32)> =
            std::collections::BTreeMap::new();
        for &(p, l, w) in &field.words {
            let Some(word) = output
                .page_texts
                .get(p)
                .and_then(|t| t.lines.get(l))
                .and_then(|line| line.words.get(w))
            else {
                continue;
            };
            let (x1, y1) = (word.left + word.width, word.top + word.height);
            let b = boxes.entry(p).or_insert((word.left, word.top, x1, y1));
            *b = (
                b.0.min(word.left),
                b.1.min(word.top),
                b.2.max(x1),
                b.3.max(y1),
            );
        }
        for (p, (x0, y0, x1, y1)) in boxes {
            let Some(page) = output
                .pages
                .get(p)
                .filter(|pg| pg.width > 0 && pg.height > 0)
            else {
                continue;
            };
            let (pw, ph) = (page.width as f32, page.height as f32);
            out.push(Region {
                field: name,
                page: p + 1,
                x: round(x0 as f32 / pw),
                y: round(y0 as f32 / ph),
                w: round((x1 - x0) as f32 / pw),
                h: round((y1 - y0) as f32 / ph),
            });
        }
    }
    out
}

/// Page 1's word boxes in PDF points (origin bottom-left), for placing the stamp.
fn page_one_words(output: &kho_workers::DocumentOutput) -> Vec<stamp::Rect> {
    let (Some(text), Some(page)) = (output.page_texts.first(), output.pages.first()) else {
        return vec![];
    };
    let k = 72.0 / page.dpi;
    let h = page.height as f32 * k;
    text.lines
        .iter()
        .flat_map(|l| &l.words)
        .map(|w| stamp::Rect {
            x0: w.left as f32 * k,
            x1: (w.left + w.width) as f32 * k,
            y0: h - (w.top + w.height) as f32 * k,
            y1: h - w.top as f32 * k,
        })
        .collect()
}

/// Document types of Vietnamese administrative results, as they head the page.
const TYPE_HEADINGS: &[&str] = &[
    "QUYẾT ĐỊNH",
    "GIẤY CHỨNG NHẬN",
    "GIẤY PHÉP",
    "GIẤY KHAI SINH",
    "GIẤY XÁC NHẬN",
    "CHỨNG NHẬN",
    "THÔNG BÁO",
    "GIẤY ĐĂNG KÝ",
    "BẢN SAO",
];

/// A provisional title until field extraction exists: the line naming the document type
/// (e.g. `QUYẾT ĐỊNH`), or else the first line of text.
fn title_from_text(text: &str) -> Option<String> {
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    let found = lines()
        .find(|l| {
            let upper = l.to_uppercase();
            TYPE_HEADINGS.iter().any(|t| upper.starts_with(t))
        })
        .or_else(|| lines().next())?;
    Some(found.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::title_from_text;

    #[test]
    fn the_title_is_the_type_heading_when_there_is_one() {
        let text = "ỦY BAN NHÂN DÂN\nSố: 12/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc cấp phép";
        assert_eq!(title_from_text(text).as_deref(), Some("QUYẾT ĐỊNH"));
        assert_eq!(
            title_from_text("\n  Biên bản họp\nx").as_deref(),
            Some("Biên bản họp")
        );
        assert_eq!(title_from_text(" \n"), None);
    }
}
