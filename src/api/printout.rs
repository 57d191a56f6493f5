//! Printouts: `POST /api/v1/verify/qr` reads the stamp's QR code from a photo or scan
//! of a printed page and answers with the vault's record and status; `GET /v/{id}` is
//! the public status page a phone reaches from the code. Both are public: they show the
//! document's type, number, date and status, and the owner's ID only masked.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::db::documents;
use crate::web::LangQuery;
use crate::web::{Lang, layout};

/// The vault's public record of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRecord {
    pub document_id: String,
    pub status: crate::domain::Status,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    /// The owner's identifier with all but the last three characters hidden.
    pub owner_masked: String,
    pub revocation_reason: Option<String>,
    pub superseded_by: Option<String>,
    /// The verification URL the QR code carries.
    pub verify_url: String,
}

fn mask(id: &str) -> String {
    let n = id.chars().count();
    id.chars()
        .enumerate()
        .map(|(i, c)| if i + 3 < n { '•' } else { c })
        .collect()
}

async fn record(app: &App, id: &str) -> Result<Option<PublicRecord>, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    let Some(doc) = documents::get(&app.db, id).await? else {
        return Ok(None);
    };
    let rev = documents::revocation(&app.db, id).await?;
    Ok(Some(PublicRecord {
        verify_url: format!(
            "{}/v/{}",
            app.config.public_url.trim_end_matches('/'),
            doc.id
        ),
        document_id: doc.id,
        status: doc.status,
        title: doc.title,
        doc_type: doc.doc_type,
        number: doc.number,
        issued_on: doc.issued_on,
        owner_masked: mask(&doc.owner_id),
        revocation_reason: rev.reason,
        superseded_by: rev.superseded_by,
    }))
}

#[utoipa::path(post, path = "/api/v1/verify/qr", tag = "verify",
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "a photo or scan (JPEG or PNG) of a printed page with a Kho stamp"),
    responses((status = 200, body = PublicRecord),
              (status = 400, body = ErrorBody, description = "empty body"),
              (status = 404, body = ErrorBody, description = "no Kho QR code in the picture, or no such document"),
              (status = 413, body = ErrorBody, description = "over the body limit, or a picture over 24 megapixels or 12,000 pixels a side (checked from its header)"),
              (status = 415, body = ErrorBody, description = "not a JPEG or PNG"),
              (status = 503, body = ErrorBody, description = "too many heavy public requests at once; retry after the Retry-After seconds")))]
pub async fn verify_qr(
    State(app): State<App>,
    body: Bytes,
) -> Result<Json<PublicRecord>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::EmptyUpload(
            "send the picture as the request body".into(),
        ));
    }
    if !matches!(
        kho_workers::decode::sniff(&body),
        Some(kho_workers::decode::Format::Jpeg | kho_workers::decode::Format::Png)
    ) {
        return Err(ApiError::UnsupportedMedia(
            "the body is not a JPEG or PNG picture".into(),
        ));
    }
    let _permit = app.heavy.admit()?;
    let code = tokio::task::spawn_blocking(move || crate::qr::read_stamp(&body))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR reader crashed: {e}")))?
        .map_err(|e| match e {
            kho_workers::PipelineError::TooLarge(_) => ApiError::TooLarge(format!(
                "{e} (a picture of at most {} megapixels and {} pixels a side is enough)",
                crate::qr::MAX_PIXELS / 1_000_000,
                crate::qr::MAX_DIMENSION
            )),
            kho_workers::PipelineError::Unsupported(_) => ApiError::UnsupportedMedia(e.to_string()),
            _ => ApiError::Unprocessable(e.to_string()),
        })?
        .ok_or(ApiError::NotFound("Kho QR code in the picture"))?;
    record(&app, &code.document_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("document"))
}

/// The public status page (templates/pages/status.html): the status in capitals and
/// what the document is, or that there is no such document.
#[derive(askama::Template)]
#[template(path = "pages/status.html")]
struct StatusPage {
    l: Lang,
    status: Option<String>,
    valid: bool,
    rows: Vec<(&'static str, String)>,
}

/// The public status page of a document.
#[utoipa::path(get, path = "/v/{id}", tag = "verify",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML status page", content_type = "text/html"),
              (status = 404, description = "HTML page: no such document", content_type = "text/html")))]
pub async fn status_page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let l = Lang::from_query(q.lang.as_deref());
    let path = format!("/v/{id}");
    let Some(r) = record(&app, &id).await? else {
        let body = crate::web::render(&StatusPage {
            l,
            status: None,
            valid: false,
            rows: vec![],
        });
        let html = layout(l, &path, l.t("Không tìm thấy", "Not found"), &body);
        return Ok((StatusCode::NOT_FOUND, Html(html)).into_response());
    };
    let mut rows = vec![
        (l.t("Văn bản", "Document"), r.title.clone()),
        (l.t("Loại", "Type"), r.doc_type.clone()),
        (l.t("Số, ký hiệu", "Number"), r.number.clone()),
        (
            l.t("Ngày ban hành", "Issued on"),
            r.issued_on.as_deref().map(crate::web::day_first),
        ),
        (l.t("Chủ sở hữu", "Owner"), Some(r.owner_masked.clone())),
        (
            l.t("Mã kết quả", "Result code"),
            Some(r.document_id.clone()),
        ),
    ];
    if r.revocation_reason.is_some() {
        rows.push((
            l.t("Lý do thu hồi", "Reason for revocation"),
            r.revocation_reason.clone(),
        ));
    }
    let body = crate::web::render(&StatusPage {
        l,
        status: Some(crate::web::status_label(l, r.status).to_uppercase()),
        valid: r.status == crate::domain::Status::Valid,
        rows: rows
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_else(|| "—".into())))
            .collect(),
    });
    let title = l.t("Tra cứu văn bản", "Document status");
    Ok(Html(layout(l, &path, title, &body)).into_response())
}
