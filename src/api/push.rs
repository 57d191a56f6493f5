//! Issuer push: an issuing agency's system files a born-digital, already signed result
//! straight into an owner's repository — `POST /api/v1/subjects/{owner_id}/documents`
//! with the PDF and its metadata. With `supersedes` it updates an earlier result of the
//! same agency (which becomes `superseded`); revoking is `POST /api/v1/documents/{id}/revoke`.
//!
//! The PDF must verify VALID against this deployment's roots or the pushing agency's own
//! (`--agency-roots`; another agency's roots do not count); it is stored as sent, byte
//! for byte, so anyone verifying the copy the owner downloads gets the issuer's own
//! signature and the vault's status.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::scans::multipart_error;
use crate::app::App;
use crate::auth::Role;
use crate::db::documents::{self, NewDocument};
use crate::db::scans::{self, NewScanFile};
use crate::db::{DbError, new_id};
use crate::domain::SubjectId;
use crate::domain::audit::{Action, Entry};
use crate::verify::Verdict;

/// What the issuer says about the document (the `metadata` part, JSON).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushMetadata {
    pub title: String,
    pub doc_type: Option<String>,
    /// Number and symbol (*số, ký hiệu*).
    pub number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    /// The issuing body as printed on the document (default: the agency's name).
    pub issuer: Option<String>,
    /// `YYYY-MM-DD`; from when the result is valid.
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`; after this day the document reads as `expired`.
    pub valid_to: Option<String>,
    /// The id of an earlier document of this owner, filed by this agency, that this one
    /// replaces.
    pub supersedes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pushed {
    pub document_id: String,
    pub status: crate::domain::Status,
    /// The document this one superseded, if any.
    pub superseded: Option<String>,
}

fn date(name: &str, v: &Option<String>) -> Result<(), ApiError> {
    match v {
        Some(d) if crate::domain::parse_date(d).is_none() => {
            Err(ApiError::BadRequest(format!("{name}: a date YYYY-MM-DD")))
        }
        _ => Ok(()),
    }
}

fn text(name: &str, v: &Option<String>, max: usize) -> Result<(), ApiError> {
    match v {
        Some(t) if t.trim().is_empty() || t.chars().count() > max => Err(ApiError::BadRequest(
            format!("{name}: 1 to {max} characters"),
        )),
        _ => Ok(()),
    }
}

#[utoipa::path(post, path = "/api/v1/subjects/{owner_id}/documents", tag = "push",
    params(("owner_id" = String, Path, description = "personal ID (12 digits) or tax code")),
    request_body(content_type = "multipart/form-data",
                 description = "`file`: the signed PDF; `metadata`: JSON (PushMetadata)"),
    responses((status = 201, body = Pushed), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "issuing systems only"),
              (status = 404, body = ErrorBody, description = "`supersedes` names no valid document of this owner and agency"),
              (status = 409, body = ErrorBody, description = "this file is already filed for this owner"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody, description = "not a PDF"),
              (status = 422, body = ErrorBody, description = "invalid owner ID; the PDF does not verify VALID, is signed by another agency, names another owner, or contradicts the metadata")),
    security(("bearer" = [])))]
pub async fn push(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(owner_id): Path<String>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Pushed>), ApiError> {
    let agency = match (caller.role, &caller.agency) {
        (Role::Issuer, Some(a)) => a.clone(),
        _ => return Err(ApiError::Forbidden),
    };
    let owner = SubjectId::parse(&owner_id).map_err(|e| ApiError::InvalidId(e.0))?;
    let (mut pdf, mut meta): (Option<(Bytes, Option<String>)>, Option<Bytes>) = (None, None);
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") if pdf.is_none() => {
                let name = field.file_name().map(str::to_owned);
                pdf = Some((field.bytes().await.map_err(multipart_error)?, name));
            }
            Some("metadata") if meta.is_none() => {
                meta = Some(field.bytes().await.map_err(multipart_error)?)
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unexpected form field {:?}: send one `file` and one `metadata`",
                    other.unwrap_or("")
                )));
            }
        }
    }
    let (pdf, filename) = pdf.ok_or_else(|| {
        ApiError::EmptyUpload("a `file` part with the signed PDF is required".into())
    })?;
    let meta: PushMetadata = serde_json::from_slice(
        &meta.ok_or_else(|| ApiError::BadRequest("a `metadata` part (JSON) is required".into()))?,
    )
    .map_err(|e| ApiError::BadRequest(format!("metadata: {e}")))?;
    text("title", &Some(meta.title.clone()), 300)?;
    text("doc_type", &meta.doc_type, 100)?;
    text("number", &meta.number, 100)?;
    text("issuer", &meta.issuer, 300)?;
    date("issued_on", &meta.issued_on)?;
    date("valid_from", &meta.valid_from)?;
    date("valid_to", &meta.valid_to)?;
    if let (Some(f), Some(t)) = (&meta.valid_from, &meta.valid_to)
        && f > t
    {
        return Err(ApiError::BadRequest("valid_from is after valid_to".into()));
    }
    if let Some(old) = &meta.supersedes
        && uuid::Uuid::parse_str(old).is_err()
    {
        return Err(ApiError::NotFound("document to supersede"));
    }
    if pdf.is_empty() {
        return Err(ApiError::EmptyUpload("the PDF is empty".into()));
    }
    if !pdf.starts_with(b"%PDF-") {
        return Err(ApiError::UnsupportedMedia("the file is not a PDF".into()));
    }
    // Only the pushing agency's roots: a certificate another agency's CA issued does not
    // sign this agency's results, whatever name it carries.
    let roots = crate::vault::agency_roots(&app, &agency)
        .await
        .map_err(ApiError::Internal)?;
    let bytes = pdf.clone();
    let report = tokio::task::spawn_blocking(move || crate::verify::verify(&bytes, &roots))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if report.verdict == Verdict::UnknownSigner {
        return Err(ApiError::Unprocessable(format!(
            "the PDF does not verify: it is signed by {}, whose certificate does not chain to a root configured for agency {agency} (--agency-roots)",
            report
                .signatures
                .iter()
                .find(|s| s.verdict == Verdict::UnknownSigner)
                .and_then(|s| s.signer.as_deref())
                .unwrap_or("an unknown signer"),
        )));
    }
    if report.verdict != Verdict::Valid {
        return Err(ApiError::Unprocessable(format!(
            "the PDF does not verify: {} ({})",
            report.verdict.as_str(),
            report.reasons.join("; ")
        )));
    }
    bind(&app, &agency, &owner, &meta, &pdf, &report).await?;
    let pages = lopdf::Document::load_mem(&pdf)
        .map(|d| d.get_pages().len() as i64)
        .unwrap_or(0);
    let sha256 = app.store.put(pdf.clone()).await?;
    let agency_name = app
        .config
        .agencies
        .0
        .iter()
        .find(|a| a.code == agency)
        .map(|a| a.name.clone());
    let doc_id = new_id();
    let mut tx = app.db.pool.begin().await.map_err(DbError::from)?;
    let file = NewScanFile {
        sha256: sha256.clone(),
        content_type: "application/pdf".into(),
        bytes: pdf.len() as i64,
        pages,
        filename,
    };
    let created = scans::record_push(&mut tx, &owner, &file, &caller.id, &agency, &doc_id).await?;
    let doc = NewDocument {
        id: doc_id.clone(),
        owner_id: owner.as_str().to_owned(),
        scan_id: created.scan_id,
        job_id: created.job_id,
        title: Some(meta.title.trim().to_owned()),
        doc_type: meta.doc_type,
        number: meta.number,
        issued_on: meta.issued_on,
        status: crate::domain::Status::Valid,
        pdf_sha256: sha256,
        pdf_bytes: pdf.len() as i64,
        page_count: pages,
        mean_confidence: 100.0,
        ocr_text: String::new(),
        pages_json: "[]".into(),
        fields_json: "{}".into(),
        pipeline_version: "push".into(),
        agency: Some(agency.clone()),
        issuer: meta.issuer.or(agency_name),
        valid_from: meta.valid_from,
        valid_to: meta.valid_to,
        source: "push".into(),
    };
    documents::insert(&mut tx, &doc).await?;
    crate::search::index(&mut tx, &doc).await?;
    if let Some(old) = &meta.supersedes
        && !documents::supersede(&mut tx, old, &doc_id, owner.as_str(), &agency).await?
    {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(ApiError::NotFound("document to supersede"));
    }
    let detail = serde_json::json!({
        "owner": owner.as_str(), "agency": agency, "sha256": doc.pdf_sha256,
        "supersedes": meta.supersedes,
    });
    crate::db::audit::append(
        &mut tx,
        &Entry::new(&caller.id, Action::Push, &doc_id, detail),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    let status = documents::get(&app.db, &doc_id)
        .await?
        .map_or(crate::domain::Status::Valid, |d| d.status);
    Ok((
        StatusCode::CREATED,
        Json(Pushed {
            document_id: doc_id,
            status,
            superseded: meta.supersedes,
        }),
    ))
}

/// The pushed PDF must be the pushing agency's, for this owner, and agree with the
/// metadata sent with it (see [`crate::binding`]); a file already in the vault is not
/// filed again.
async fn bind(
    app: &App,
    agency: &str,
    owner: &SubjectId,
    meta: &PushMetadata,
    pdf: &Bytes,
    report: &crate::verify::Report,
) -> Result<(), ApiError> {
    let agency = app
        .config
        .agencies
        .0
        .iter()
        .find(|a| a.code == agency)
        .cloned()
        .ok_or(ApiError::Forbidden)?;
    let keys = app
        .keys
        .list()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(s) = report
        .signatures
        .iter()
        .find(|s| !crate::binding::signed_by_agency(s, &agency, &keys))
    {
        return Err(ApiError::Unprocessable(format!(
            "the PDF is signed by {}, not by {} ({}): an issuing system pushes only its own agency's results",
            s.signer.as_deref().unwrap_or("an unknown signer"),
            agency.name,
            agency.code
        )));
    }
    if let Some(d) = documents::by_pdf_sha256(&app.db, &report.sha256).await? {
        return Err(if d.owner_id == owner.as_str() {
            ApiError::Conflict(format!("this file is already filed as document {}", d.id))
        } else {
            ApiError::Unprocessable("this file is filed in another owner's repository".into())
        });
    }
    for id in report
        .signatures
        .iter()
        .filter_map(|s| s.document_id.as_deref())
    {
        if uuid::Uuid::parse_str(id).is_ok()
            && let Some(d) = documents::get(&app.db, id).await?
            && d.owner_id != owner.as_str()
        {
            return Err(ApiError::Unprocessable(
                "the PDF's signature names a document of another owner".into(),
            ));
        }
    }
    let bytes = pdf.clone();
    let xmp = tokio::task::spawn_blocking(move || crate::binding::xmp_fields(&bytes))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if !xmp.subjects.is_empty() && !xmp.subjects.iter().any(|s| s == owner.as_str()) {
        return Err(ApiError::Unprocessable(format!(
            "the PDF names {} as its holder, not {}",
            xmp.subjects.join(", "),
            owner.as_str()
        )));
    }
    for (name, sent, signed) in [
        ("doc_type", &meta.doc_type, &xmp.doc_type),
        ("number", &meta.number, &xmp.number),
        ("issued_on", &meta.issued_on, &xmp.issued_on),
    ] {
        if let (Some(sent), Some(signed)) = (sent, signed)
            && sent.trim() != signed.trim()
        {
            return Err(ApiError::Unprocessable(format!(
                "metadata {name} {sent:?} contradicts the signed PDF ({signed:?})"
            )));
        }
    }
    Ok(())
}
