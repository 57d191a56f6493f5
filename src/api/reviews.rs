//! `POST /api/v1/reviews/{id}/approve`: a person approves a document the quality gate
//! held; it is then stamped, signed and filed like any other. (The review queue with
//! corrections and rejection comes with the staff pages.)

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth::Role;
use crate::db::reviews;
use crate::digitize::{self, DigitizeError};

#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    /// The filed, signed document.
    pub document_id: String,
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/approve", tag = "reviews",
    params(("id" = String, Path, description = "review id, from the job's `review.id`")),
    responses((status = 200, body = Approved), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "only records staff approve"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already decided")),
    security(("bearer" = [])))]
pub async fn approve(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Approved>, ApiError> {
    if caller.role != Role::Staff {
        return Err(ApiError::Forbidden);
    }
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound("review"));
    }
    let review = reviews::get(&app.db, &id)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    // Staff approve only what their agency digitized.
    let (agency, _) = digitize::filing_agency(&app, &review.draft.scan_id).await?;
    if caller.agency.as_deref() != Some(agency.code.as_str()) {
        return Err(ApiError::NotFound("review"));
    }
    if review.state != "open" {
        return Err(ApiError::Conflict(format!(
            "the review is already {}",
            review.state
        )));
    }
    let draft = app.store.get(&review.draft.pdf_sha256).await?;
    let mut doc = review.draft.clone();
    let signed = digitize::stamp_and_sign(
        &app,
        &doc.scan_id,
        &doc.id,
        &doc.owner_id,
        doc.title.as_deref(),
        draft.to_vec(),
        review.words.clone(),
    )
    .await
    .map_err(|e: DigitizeError| ApiError::Internal(e.into()))?;
    doc.pdf_bytes = signed.len() as i64;
    doc.pdf_sha256 = app.store.put(bytes::Bytes::from(signed)).await?;
    doc.status = "valid".into();
    if !reviews::approve(&app.db, &review, &doc, &caller.id).await? {
        return Err(ApiError::Conflict(
            "the review was decided meanwhile".into(),
        ));
    }
    Ok(Json(Approved {
        document_id: doc.id,
    }))
}
