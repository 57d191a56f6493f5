//! `POST /api/v1/documents/{id}/revoke`: records staff, or the issuing system, of the
//! agency that filed a document revoke it, with a reason. Its status becomes `revoked` everywhere: the owner's
//! repository, the verifier (REVOKED) and the public status page.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth::{self, Role};
use crate::db::{DbError, documents};
use crate::domain::audit::{Action, Entry};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// Why, for the owner and for anyone verifying (1–500 characters).
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub id: String,
    pub status: crate::domain::Status,
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/revoke", tag = "documents",
    params(("id" = String, Path)), request_body = RevokeRequest,
    responses((status = 200, body = Revoked), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not valid any more")),
    security(("bearer" = [])))]
pub async fn revoke(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Json<RevokeRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Revoked>, ApiError> {
    if !matches!(caller.role, Role::Staff | Role::Issuer) {
        return Err(ApiError::Forbidden);
    }
    let Json(body) = body?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest("reason: 1 to 500 characters".into()));
    }
    let doc = match uuid::Uuid::parse_str(&id) {
        Ok(_) => documents::get(&app.db, &id).await?,
        Err(_) => None,
    };
    // Another agency's document answers like a missing one.
    if !doc.is_some_and(|d| auth::can_revoke(&caller, d.agency.as_deref())) {
        return Err(ApiError::NotFound("document"));
    }
    // The revocation and its event commit together.
    let mut tx = app.db.pool.begin().await.map_err(DbError::from)?;
    if !documents::revoke(&mut tx, &id, reason).await? {
        return Err(ApiError::Conflict(
            "the document is not valid any more".into(),
        ));
    }
    let detail = serde_json::json!({"reason": reason});
    let event = Entry::new(&caller.id, Action::DocumentRevoke, &id, detail);
    crate::db::audit::append(&mut tx, &event).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Json(Revoked {
        id,
        status: crate::domain::Status::Revoked,
    }))
}
