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
