//! Consents over the API: the owner lists and revokes them and reads the access log; a
//! requester reads the grant its access token was issued for.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth;
use crate::db::grants::{self, Grant, Pull};
use crate::db::tokens::TokenOwner;

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantList {
    pub grants: Vec<Grant>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    /// Newest first.
    pub pulls: Vec<Pull>,
}

/// The subject whose consents the caller manages.
fn consenting(caller: &TokenOwner) -> Result<String, ApiError> {
    match &caller.subject_id {
        Some(o) if auth::can_consent(caller, o) => Ok(o.clone()),
        _ => Err(ApiError::Forbidden),
    }
}

#[utoipa::path(get, path = "/api/v1/grants", tag = "consent",
    responses((status = 200, body = GrantList), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "only the citizen or the organization's admin")),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(caller): Caller,
) -> Result<Json<GrantList>, ApiError> {
    let owner = consenting(&caller)?;
    Ok(Json(GrantList {
        grants: grants::for_owner(&app.db, &owner).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "consent",
    params(("id" = String, Path)),
    responses((status = 200, body = Grant), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "not your consent, or already revoked")),
    security(("bearer" = [])))]
pub async fn revoke(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Grant>, ApiError> {
    let owner = consenting(&caller)?;
    if uuid::Uuid::parse_str(&id).is_err() || !grants::revoke(&app.db, &id, &owner).await? {
        return Err(ApiError::NotFound("grant"));
    }
    grants::get(&app.db, &id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("grant"))
}

#[utoipa::path(get, path = "/api/v1/grants/current", tag = "consent",
    responses((status = 200, body = Grant, description = "the grant behind the requester's access token: the documents it releases"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not an OAuth access token")),
    security(("bearer" = [])))]
pub async fn current(Caller(caller): Caller) -> Result<Json<Grant>, ApiError> {
    caller.grant.map(Json).ok_or(ApiError::Forbidden)
}

#[utoipa::path(get, path = "/api/v1/access-log", tag = "consent",
    responses((status = 200, body = AccessLog), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "only the citizen or the organization's admin")),
    security(("bearer" = [])))]
pub async fn access_log(
    State(app): State<App>,
    Caller(caller): Caller,
) -> Result<Json<AccessLog>, ApiError> {
    let owner = consenting(&caller)?;
    Ok(Json(AccessLog {
        pulls: grants::access_log(&app.db, &owner, 1000).await?,
    }))
}
