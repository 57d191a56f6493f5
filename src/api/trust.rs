//! Public trust material for offline verification: the deployment's root certificates
//! and the CRL that the signing certificates name as their distribution point.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::error::{ApiError, ErrorBody};
use crate::app::App;

/// The root certificates (active and retired), PEM.
#[utoipa::path(get, path = "/api/v1/trust/roots.pem", tag = "trust",
    responses((status = 200, description = "PEM certificates", content_type = "application/x-pem-file"),
              (status = 500, body = ErrorBody)))]
pub async fn roots(State(app): State<App>) -> Result<impl IntoResponse, ApiError> {
    let pem = app
        .keys
        .roots_pem()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

/// The root's certificate revocation list, DER.
#[utoipa::path(get, path = "/api/v1/trust/crl", tag = "trust",
    responses((status = 200, description = "DER CRL", content_type = "application/pkix-crl"),
              (status = 500, body = ErrorBody)))]
pub async fn crl(State(app): State<App>) -> Result<impl IntoResponse, ApiError> {
    let der = app
        .keys
        .crl_der()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der))
}

/// Most bytes a time-stamp request may have (one holds an imprint, a nonce and a few
/// flags: well under 200 bytes).
pub const MAX_TSA_REQUEST_BYTES: usize = 4096;

/// This deployment's time-stamping authority (RFC 3161 over HTTP, §3.4): a DER
/// `TimeStampReq` in, a DER `TimeStampResp` out. A request it cannot take is answered
/// with status `rejection` and the reason, as the protocol says, not an HTTP error.
#[utoipa::path(post, path = "/api/v1/tsa", tag = "trust",
    request_body(content = Vec<u8>, content_type = "application/timestamp-query",
                 description = "DER TimeStampReq (RFC 3161 §2.4.1), at most 4 KiB"),
    responses((status = 200, description = "DER TimeStampResp", content_type = "application/timestamp-reply"),
              (status = 413, body = ErrorBody, description = "the request is larger than 4 KiB"),
              (status = 415, body = ErrorBody, description = "not application/timestamp-query"),
              (status = 503, body = ErrorBody, description = "too many heavy requests at once")))]
pub async fn tsa(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/timestamp-query") {
        return Err(ApiError::UnsupportedMedia(
            "send a DER TimeStampReq as application/timestamp-query".into(),
        ));
    }
    let _permit = app.heavy.admit()?;
    let signer = app
        .keys
        .tsa()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let response = crate::signing::tsp::respond(&body, &signer, std::time::SystemTime::now());
    Ok((
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        response,
    ))
}
