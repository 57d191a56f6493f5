//! Printouts: `POST /api/v1/verify/qr` reads the stamp's QR code from a photo or scan
//! of a printed page and answers with the vault's public record and status
//! ([`crate::vault::public_record`]: type, number, date, status, the owner's ID only
//! masked). The status page a phone reaches from the code is a page,
//! [`crate::web::verify::status_page`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::vault::PublicRecord;

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
    crate::vault::public_record(&app, &code.document_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("document"))
}
