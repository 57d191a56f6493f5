//! The caller of a request, from its `Authorization: Bearer TOKEN` header.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::app::App;
use crate::db::tokens::{self, TokenOwner};

/// An authenticated caller; extracting it answers 401 when the token is missing,
/// malformed, unknown or revoked.
pub struct Caller(pub TokenOwner);

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let value = header.to_str().map_err(|_| ApiError::Unauthorized)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or(ApiError::Unauthorized)?;
        let owner = tokens::find(&app.db, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Caller(owner))
    }
}
