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
use crate::web::{Lang, esc, layout};

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
    let path = format!("/v/{}", esc(&id));
    let Some(r) = record(&app, &id).await? else {
        let body = format!(
            "<p class=\"bad\" id=\"status\">{}</p>",
            l.t(
                "Không có văn bản này trong kho dữ liệu.",
                "No such document in the vault."
            )
        );
        let html = layout(l, &path, l.t("Không tìm thấy", "Not found"), &body);
        return Ok((StatusCode::NOT_FOUND, Html(html)).into_response());
    };
    let class = if r.status == crate::domain::Status::Valid {
        "good"
    } else {
        "bad"
    };
    let label = crate::web::status_label(l, r.status).to_uppercase();
    let row = |k: &str, v: Option<&str>| {
        format!("<tr><th>{k}</th><td>{}</td></tr>", esc(v.unwrap_or("—")))
    };
    let mut body = format!("<p class=\"{class}\" id=\"status\">{label}</p><table>");
    body.push_str(&row(l.t("Văn bản", "Document"), r.title.as_deref()));
    body.push_str(&row(l.t("Loại", "Type"), r.doc_type.as_deref()));
    body.push_str(&row(l.t("Số, ký hiệu", "Number"), r.number.as_deref()));
    body.push_str(&row(
        l.t("Ngày ban hành", "Issued on"),
        r.issued_on.as_deref(),
    ));
    body.push_str(&row(l.t("Chủ sở hữu", "Owner"), Some(&r.owner_masked)));
    body.push_str(&row(l.t("Mã kết quả", "Result code"), Some(&r.document_id)));
    if r.revocation_reason.is_some() {
        body.push_str(&row(
            l.t("Lý do thu hồi", "Reason for revocation"),
            r.revocation_reason.as_deref(),
        ));
    }
    body.push_str("</table>");
    let title = l.t("Tra cứu văn bản", "Document status");
    Ok(Html(layout(l, &path, title, &body)).into_response())
}
