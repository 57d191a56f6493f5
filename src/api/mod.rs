//! The HTTP API (axum), one module per resource, and its OpenAPI document.
//!
//! | module | routes |
//! |---|---|
//! | [`health`] | `GET /api/v1/health` |
//! | [`scans`] | `POST /api/v1/subjects/{owner_id}/scans` |
//! | [`search`] | `GET /api/v1/search` |
//! | [`jobs`] | `GET /api/v1/jobs/{job_id}` |
//! | [`printout`] | `POST /api/v1/verify/qr`, `GET /v/{id}` (public) |
//! | [`revoke`] | `POST /api/v1/documents/{id}/revoke` |
//! | [`reviews`] | `POST /api/v1/reviews/{id}/approve` |
//! | [`verify`] | `POST /api/v1/verify` (public) |
//! | [`trust`] | `GET /api/v1/trust/roots.pem`, `GET /api/v1/trust/crl` (public) |
//! | [`documents`] | `GET /api/v1/subjects/{owner_id}/documents`, `GET /api/v1/documents/{id}[/pdf\|/original]` |
//!
//! Every route but health, trust, verify, the printout routes and the OpenAPI document needs `Authorization: Bearer TOKEN`
//! ([`caller::Caller`]). Errors are [`error::ApiError`].

pub mod caller;
pub mod documents;
pub mod error;
pub mod health;
pub mod jobs;
pub mod printout;
pub mod reviews;
pub mod revoke;
pub mod scans;
pub mod search;
pub mod trust;
pub mod verify;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::app::App;
use error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Kho", description = "Digital-records vault with a digitization pipeline."),
    paths(health::health, scans::upload, jobs::get, documents::list, documents::get,
          documents::pdf, documents::original, trust::roots, trust::crl, reviews::approve, verify::verify, revoke::revoke, search::search, printout::verify_qr, printout::status_page, crate::web::verify::pdf_page,
          crate::web::verify::qr_page, openapi_json),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3 document of the whole API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let upload_limit = app.config.max_upload_bytes;
    Router::new()
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/trust/roots.pem", get(trust::roots))
        .route("/api/v1/trust/crl", get(trust::crl))
        .route(
            "/api/v1/verify/qr",
            post(printout::verify_qr).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/v/{id}", get(printout::status_page))
        .route("/verify", get(crate::web::verify::pdf_page))
        .route("/verify/qr", get(crate::web::verify::qr_page))
        .route(
            "/api/v1/verify",
            post(verify::verify).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/subjects/{owner_id}/scans",
            post(scans::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/subjects/{owner_id}/documents",
            get(documents::list),
        )
        .route("/api/v1/jobs/{job_id}", get(jobs::get))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/reviews/{id}/approve", post(reviews::approve))
        .route("/api/v1/documents/{id}", get(documents::get))
        .route("/api/v1/documents/{id}/pdf", get(documents::pdf))
        .route("/api/v1/documents/{id}/revoke", post(revoke::revoke))
        .route("/api/v1/documents/{id}/original", get(documents::original))
        .fallback(|| async { ApiError::NotFound("route") })
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}
