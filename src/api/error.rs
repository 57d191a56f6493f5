//! The API's one error type: a stable `code`, a message for people, an HTTP status.
//! Bodies are `{"error": {"code": "...", "message": "..."}}`; internal causes are logged,
//! never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::intake::IntakeError;
use kho_workers::PipelineError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("this token may not do that")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    InvalidId(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    EmptyUpload(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the service cannot reach its {0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Busy(#[from] crate::admission::Busy),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code (`unauthorized`, `not_found`, `invalid_id`, …).
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::InvalidId(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_id"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::EmptyUpload(_) => (StatusCode::BAD_REQUEST, "empty_upload"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMedia(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(self, ApiError::Busy(_)) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::admission::RETRY_AFTER_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<crate::db::DbError> for ApiError {
    /// A database that cannot be reached answers 503, as the pages do; any other
    /// database error is internal (500), its cause logged and never sent.
    fn from(e: crate::db::DbError) -> Self {
        if e.is_unreachable() {
            tracing::error!(error = ?e, "database unreachable");
            return ApiError::Unavailable("database");
        }
        ApiError::Internal(e.into())
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

/// A JSON body that could not be taken: too large (413), or not JSON, not this shape,
/// or nested too deep (400), with serde's reason.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "the request body exceeds the limit: {}",
                e.body_text()
            ))
        } else {
            ApiError::BadRequest(e.body_text())
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        let message = e.to_string();
        match e {
            IntakeError::NoFiles | IntakeError::Empty { .. } => ApiError::EmptyUpload(message),
            IntakeError::Rejected { source, .. } => match source {
                PipelineError::Unsupported(_) => ApiError::UnsupportedMedia(message),
                PipelineError::TooLarge(_) => ApiError::TooLarge(message),
                _ => ApiError::Unprocessable(message),
            },
            IntakeError::KeyReused | IntakeError::UnknownAgency(_) => {
                ApiError::Unprocessable(message)
            }
            IntakeError::Internal(e) => ApiError::Internal(e),
        }
    }
}

/// Extractor rejections (a malformed query string, path or multipart body, a wrong
/// method) are written by axum as plain text; every answer of the API is JSON, so an
/// error answered as plain text is rewritten into [`ErrorBody`] with its status kept.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let message = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let body = serde_json::to_vec(&ErrorBody {
        error: ErrorDetail { code, message },
    })
    .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(body))
}
