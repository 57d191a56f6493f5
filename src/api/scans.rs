//! `POST /api/v1/subjects/{owner_id}/scans`: upload the pages of one document.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth;
use crate::domain::SubjectId;
use crate::intake::{self, Incoming, IntakeError};

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Follow it at `GET /api/v1/jobs/{job_id}`.
    pub job_id: String,
    pub scan_id: String,
}

/// The multipart form: one or more `file` parts, the pages of one document in order.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ScanUpload {
    /// PNG, JPEG, TIFF (multi-page allowed) or a PDF (a scanned page's image is read as it is, any other page is rendered); repeat the part for more pages.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

#[utoipa::path(post, path = "/api/v1/subjects/{owner_id}/scans", tag = "scans",
    params(("owner_id" = String, Path, description = "personal ID (12 digits) or tax code"),
           ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters naming this upload: sending it again (a retry after a lost answer, through any server) returns the first upload's job with `Idempotent-Replayed: true` and records nothing twice")),
    request_body(content = ScanUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, body = Accepted, description = "stored and queued for digitization"),
        (status = 400, body = ErrorBody, description = "no file, an empty file, or a malformed form"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "over the size or page limits"),
        (status = 415, body = ErrorBody, description = "a file that is not a PNG, JPEG or TIFF image or a PDF (also: encrypted PDFs, PDFs carrying scripts or embedded files)"),
        (status = 422, body = ErrorBody, description = "invalid owner ID, a corrupt image (a JPEG or PDF image whose data ends early names the row it reaches), a PDF that is already signed (file it by issuer push), or an Idempotency-Key used before for a different upload")),
    security(("bearer" = [])))]
pub async fn upload(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(owner_id): Path<String>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let Some(uploader) = auth::uploader(&caller) else {
        return Err(ApiError::Forbidden);
    };
    let key = idempotency_key(&headers)?;
    let _permit = app.heavy.admit()?;
    let owner = SubjectId::parse(&owner_id).map_err(|e| ApiError::InvalidId(e.0))?;
    let mut files = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // A form with no parts at all is, to a client, simply an upload without files.
            Err(e) if files.is_empty() && e.status() != StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(IntakeError::NoFiles.into());
            }
            Err(e) => return Err(multipart_error(e)),
        };
        match field.name() {
            Some("file") => {
                let filename = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(multipart_error)?;
                files.push(Incoming { filename, bytes });
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unexpected form field {:?}: send pages as `file` parts",
                    other.unwrap_or("")
                )));
            }
        }
    }
    let created = match &key {
        Some(k) => intake::submit_idempotent(&app, &owner, files, &uploader, k).await?,
        None => intake::submit(&app, &owner, files, &uploader).await?,
    };
    let replayed = [(
        "idempotent-replayed",
        if created.existing { "true" } else { "false" },
    )];
    Ok((
        StatusCode::ACCEPTED,
        replayed,
        Json(Accepted {
            job_id: created.job_id,
            scan_id: created.scan_id,
        }),
    )
        .into_response())
}

/// The request's `Idempotency-Key`, if it sent one: 1–255 visible ASCII characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k.to_owned()))
        }
        _ => Err(ApiError::BadRequest(
            "Idempotency-Key: 1 to 255 visible ASCII characters".into(),
        )),
    }
}

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the upload exceeds the limit: {}", e.body_text()))
    } else {
        ApiError::BadRequest(format!("malformed multipart form: {}", e.body_text()))
    }
}
