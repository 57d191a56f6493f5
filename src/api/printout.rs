//! Printouts: `POST /api/v1/verify/qr` reads the stamp's QR code from a photo or scan
//! of a printed page and answers with the vault's record and status; `GET /v/{id}` is
//! the public status page a phone reaches from the code. Both are public: they show the
//! document's type, number, date and status, and the owner's ID only masked.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::db::documents;

/// The vault's public record of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRecord {
    pub document_id: String,
    /// `valid`, `expired`, `revoked` or `superseded`.
    pub status: String,
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
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody, description = "not a JPEG or PNG")))]
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
    let code = tokio::task::spawn_blocking(move || crate::qr::read_stamp(&body))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR reader crashed: {e}")))?
        .map_err(ApiError::Unprocessable)?
        .ok_or(ApiError::NotFound("Kho QR code in the picture"))?;
    record(&app, &code.document_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("document"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The public status page of a document.
#[utoipa::path(get, path = "/v/{id}", tag = "verify",
    params(("id" = String, Path)),
    responses((status = 200, description = "HTML status page", content_type = "text/html"),
              (status = 404, description = "HTML page: no such document", content_type = "text/html")))]
pub async fn status_page(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(r) = record(&app, &id).await? else {
        let body = page(
            "Không tìm thấy",
            "<p class=\"bad\">Không có văn bản này trong kho dữ liệu. (No such document.)</p>",
        );
        return Ok((StatusCode::NOT_FOUND, Html(body)).into_response());
    };
    let (class, label) = match r.status.as_str() {
        "valid" => ("good", "CÒN HIỆU LỰC — valid"),
        "revoked" => ("bad", "ĐÃ THU HỒI — revoked"),
        "superseded" => ("bad", "ĐÃ ĐƯỢC THAY THẾ — superseded"),
        "expired" => ("bad", "HẾT HIỆU LỰC — expired"),
        _ => ("bad", "KHÔNG XÁC ĐỊNH"),
    };
    let row = |k: &str, v: Option<&str>| {
        format!("<tr><th>{k}</th><td>{}</td></tr>", esc(v.unwrap_or("—")))
    };
    let mut body = format!("<p class=\"{class}\" id=\"status\">{label}</p><table>");
    body.push_str(&row("Văn bản", r.title.as_deref()));
    body.push_str(&row("Loại", r.doc_type.as_deref()));
    body.push_str(&row("Số, ký hiệu", r.number.as_deref()));
    body.push_str(&row("Ngày ban hành", r.issued_on.as_deref()));
    body.push_str(&row("Chủ sở hữu", Some(&r.owner_masked)));
    body.push_str(&row("Mã kết quả", Some(&r.document_id)));
    if r.revocation_reason.is_some() {
        body.push_str(&row("Lý do thu hồi", r.revocation_reason.as_deref()));
    }
    body.push_str("</table>");
    Ok(Html(page("Tra cứu văn bản", &body)).into_response())
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} · Kho</title>\
<style>body{{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}}\
.good{{color:#0a6b2d;font-weight:bold}}.bad{{color:#a4161a;font-weight:bold}}\
th{{text-align:left;padding-right:1rem}}</style></head>\
<body><header><h1>Kho — {t}</h1></header><main>{body}</main></body></html>",
        t = esc(title)
    )
}
