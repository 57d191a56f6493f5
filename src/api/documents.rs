//! Documents in owners' repositories: the list, one document's metadata, its PDF and
//! its original scan. A document the caller may not read answers exactly like one that
//! does not exist (404).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth;
use crate::db::documents::{self, Document};
use crate::db::grants;
use crate::db::scans::{self, ScanFile};
use crate::domain::SubjectId;

/// A line of an owner's document list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: String,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    /// Number and symbol (*số, ký hiệu*), e.g. `1234/QĐ-UBND`.
    pub number: Option<String>,
    /// Issue date, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    pub status: crate::domain::Status,
    pub page_count: i64,
    /// Filing time, Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    pub documents: Vec<DocumentSummary>,
}

/// Where a document came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Provenance {
    pub scan_id: String,
    pub job_id: String,
    pub pipeline_version: String,
    /// The uploaded files, in page order; fetch one at `/original?file=N`.
    pub originals: Vec<ScanFile>,
}

/// One document's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDetail {
    pub id: String,
    pub owner_id: String,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub status: crate::domain::Status,
    /// SHA-256 (hex) of the PDF served at `/pdf`.
    pub sha256: String,
    pub pdf_bytes: i64,
    pub page_count: i64,
    /// Mean OCR confidence over the pages, 0–100.
    pub mean_confidence: f64,
    /// Per page: size, resolution (and whether it was assumed), OCR confidence, words.
    #[schema(value_type = Vec<Object>)]
    pub pages: serde_json::Value,
    /// Extracted fields (number, issued_on, place, issuer, doc_type, personal_ids,
    /// tax_codes), each with its value, confidence (0–100) and source words
    /// ([page, line, word]).
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    /// The OCR text, pages separated by form feeds.
    pub text: String,
    pub provenance: Provenance,
    pub created_at: i64,
}

impl From<&Document> for DocumentSummary {
    fn from(d: &Document) -> Self {
        DocumentSummary {
            id: d.id.clone(),
            title: d.title.clone(),
            doc_type: d.doc_type.clone(),
            number: d.number.clone(),
            issued_on: d.issued_on.clone(),
            status: d.status,
            page_count: d.page_count,
            created_at: d.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/subjects/{owner_id}/documents", tag = "documents",
    params(("owner_id" = String, Path, description = "personal ID (12 digits) or tax code")),
    responses((status = 200, body = DocumentList), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "not a repository this token may read"),
              (status = 422, body = ErrorBody, description = "invalid owner ID")),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(owner_id): Path<String>,
) -> Result<Json<DocumentList>, ApiError> {
    let owner = SubjectId::parse(&owner_id).map_err(|e| ApiError::InvalidId(e.0))?;
    let docs = match (auth::visible(&caller), &caller.grant) {
        (auth::Visible::Owner(s), _) if s == owner.as_str() => {
            documents::list_by_owner(&app.db, owner.as_str(), None).await?
        }
        (auth::Visible::Agency(a), _) => {
            documents::list_by_owner(&app.db, owner.as_str(), Some(&a)).await?
        }
        // A requester lists what its grant releases, nothing more, and each document it
        // sees there is in the owner's access log (`list`), like any other read.
        (_, Some(g)) if g.owner_id == owner.as_str() => {
            let mut docs = Vec::new();
            for id in &g.document_ids {
                if let Some(d) = documents::get(&app.db, id).await? {
                    grants::log_pull(&app.db, g, &d.id, "list").await?;
                    docs.push(d);
                }
            }
            docs
        }
        _ => return Err(ApiError::NotFound("repository")),
    };
    Ok(Json(DocumentList {
        documents: docs.iter().map(DocumentSummary::from).collect(),
    }))
}

/// The document, if it exists and the caller may read it. A requester's read through
/// its grant is recorded in the owner's access log as `action`.
async fn readable(
    app: &App,
    caller: &crate::db::tokens::TokenOwner,
    id: &str,
    action: &str,
) -> Result<Document, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::NotFound("document"));
    }
    let Some(d) = documents::get(&app.db, id).await? else {
        return Err(ApiError::NotFound("document"));
    };
    if auth::can_read(caller, &d.owner_id, d.agency.as_deref()) {
        return Ok(d);
    }
    if let Some(g) = &caller.grant
        && g.owner_id == d.owner_id
        && g.document_ids.contains(&d.id)
    {
        grants::log_pull(&app.db, g, &d.id, action).await?;
        return Ok(d);
    }
    Err(ApiError::NotFound("document"))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, body = DocumentDetail), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<DocumentDetail>, ApiError> {
    let d = readable(&app, &caller, &id, "metadata").await?;
    let originals = scans::files(&app.db, &d.scan_id).await?;
    Ok(Json(DocumentDetail {
        pages: serde_json::from_str(&d.pages_json).unwrap_or(serde_json::Value::Null),
        fields: serde_json::from_str(&d.fields_json).unwrap_or(serde_json::Value::Null),
        provenance: Provenance {
            scan_id: d.scan_id.clone(),
            job_id: d.job_id.clone(),
            pipeline_version: d.pipeline_version.clone(),
            originals,
        },
        id: d.id,
        owner_id: d.owner_id,
        title: d.title,
        doc_type: d.doc_type,
        number: d.number,
        issued_on: d.issued_on,
        status: d.status,
        sha256: d.pdf_sha256,
        pdf_bytes: d.pdf_bytes,
        page_count: d.page_count,
        mean_confidence: d.mean_confidence,
        text: d.ocr_text,
        created_at: d.created_at,
    }))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/pdf", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pdf(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = readable(&app, &caller, &id, "pdf").await?;
    let bytes = app.store.get(&d.pdf_sha256).await?;
    let name = crate::domain::text::download_name(
        [
            d.doc_type.as_deref(),
            d.number.as_deref(),
            d.issued_on.as_deref(),
        ],
        &d.id,
        "pdf",
    );
    let mut response = file_response(bytes, "application/pdf", &name);
    // The document's page shows the PDF in a frame: this origin may frame it, no
    // other may.
    let h = response.headers_mut();
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PDF_CSP),
    );
    Ok(response)
}

/// The content security policy of a filed PDF: framed only by this origin's pages.
pub const PDF_CSP: &str = "frame-ancestors 'self'";

/// Widest a thumbnail is, in pixels.
const THUMBNAIL_WIDTH: u32 = 240;

#[utoipa::path(get, path = "/api/v1/documents/{id}/thumbnail", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>,
               description = "page 1 as filed, at most 240 pixels wide (cached by the browser for a day)"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn thumbnail(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = readable(&app, &caller, &id, "thumbnail").await?;
    let pdf = app.store.get(&d.pdf_sha256).await?;
    let limits = app.config.pipeline().limits;
    let png = tokio::task::spawn_blocking(move || {
        super::reviews::preview(&pdf, 1, &limits, THUMBNAIL_WIDTH)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("thumbnail of {id}: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_owned()),
            // The filed PDF of a document changes only by appending (archive refresh):
            // page 1 looks the same, so a day's caching is safe.
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
            (header::ETAG, format!("\"{}\"", d.pdf_sha256)),
        ],
        png,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OriginalQuery {
    /// Which uploaded file, 1-based (default 1).
    pub file: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/original", tag = "documents",
    params(("id" = String, Path), OriginalQuery),
    responses((status = 200, description = "the file as uploaded", body = Vec<u8>,
               content_type = "application/octet-stream"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn original(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    Query(q): Query<OriginalQuery>,
) -> Result<Response, ApiError> {
    let d = readable(&app, &caller, &id, "original").await?;
    let position = q.file.unwrap_or(1);
    let files = scans::files(&app.db, &d.scan_id).await?;
    let f = files
        .iter()
        .find(|f| f.position == position)
        .ok_or(ApiError::NotFound("original file"))?;
    let bytes = app.store.get(&f.sha256).await?;
    let ext = f.content_type.rsplit('/').next().unwrap_or("bin");
    let name = crate::domain::text::download_name(
        [
            d.doc_type.as_deref(),
            d.number.as_deref(),
            d.issued_on.as_deref(),
        ],
        &d.id,
        &format!("{position}.{ext}"),
    );
    Ok(file_response(bytes, &f.content_type, &name))
}

/// The file with its name for people: an ASCII `filename` (marks taken off) for old
/// clients and the exact name as RFC 6266 / 8187 `filename*`.
fn file_response(bytes: bytes::Bytes, content_type: &str, filename: &str) -> Response {
    let ascii: String = crate::domain::text::without_marks(filename)
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 8187 attr-char: letters, digits and `!#$&+-.^_`|~` stay, the rest is %XX.
    const ATTR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let exact = percent_encoding::utf8_percent_encode(filename, ATTR);
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{exact}"),
            ),
        ],
        Body::from(bytes),
    )
        .into_response()
}
