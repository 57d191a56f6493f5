//! `POST /api/v1/verify`: verify a signed PDF against this deployment's roots, with the
//! vault's view (status, byte-identical or not). Public (no token), bounded by its own
//! body limit (`--max-verify-bytes`, 64 MiB by default) and by the heavy-request slots;
//! the verdict is one of VALID, INVALID, MODIFIED_AFTER_SIGNING,
//! UNKNOWN_SIGNER, REVOKED, INDETERMINATE (with its ETSI sub-indication).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::verify::Report;

#[utoipa::path(post, path = "/api/v1/verify", tag = "verify",
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "the signed PDF"),
    responses((status = 200, body = Report, description = "the verification report (any verdict)"),
              (status = 400, body = ErrorBody, description = "empty body"),
              (status = 413, body = ErrorBody, description = "over --max-verify-bytes (64 MiB by default)"),
              (status = 415, body = ErrorBody, description = "not a PDF"),
              (status = 503, body = ErrorBody, description = "too many heavy requests at once; retry after the Retry-After seconds")))]
pub async fn verify(State(app): State<App>, body: Bytes) -> Result<Json<Report>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::EmptyUpload(
            "send the PDF as the request body".into(),
        ));
    }
    if !body.starts_with(b"%PDF-") {
        return Err(ApiError::UnsupportedMedia("the body is not a PDF".into()));
    }
    let _permit = app.heavy.admit()?;
    let report = crate::vault::verify(&app, body.to_vec())
        .await
        .map_err(ApiError::Internal)?;
    let verdict = serde_json::to_value(report.verdict).unwrap_or_default();
    app.metrics.verified(verdict.as_str().unwrap_or("unknown"));
    Ok(Json(report))
}
