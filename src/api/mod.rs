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
//! | [`reviews`] | `GET /api/v1/reviews[/{id}[/pdf\|/pages/{n}]]`, `POST /api/v1/reviews/{id}/approve\|reject` |
//! | [`verify`] | `POST /api/v1/verify` (public) |
//! | [`trust`] | `GET /api/v1/trust/roots.pem`, `GET /api/v1/trust/crl`, `POST /api/v1/tsa` (RFC 3161) (public) |
//! | [`documents`] | `GET /api/v1/subjects/{owner_id}/documents`, `GET /api/v1/documents/{id}[/pdf\|/thumbnail\|/original]` |
//! | [`batches`] | `GET/POST /api/v1/batches`, `POST /api/v1/batches/{id}/files`, `GET /api/v1/batches/{id}[/report|/events]`, `POST /api/v1/batches/{id}/items/{position}/retry` |
//! | [`push`] | `POST /api/v1/subjects/{owner_id}/documents` (issuing systems) |
//! | [`grants`] | `GET /api/v1/grants`, `POST /api/v1/grants/{id}/revoke`, `GET /api/v1/grants/current`, `GET /api/v1/access-log` |
//! | [`oauth`] | `POST /oauth/token`, `GET /.well-known/oauth-authorization-server`, `POST /api/v1/requesters` |
//! | [`audit`] | `GET /api/v1/audit/checkpoints` (public) |
//!
//! The web pages ([`crate::web`]) are routed here too; a path no route takes gets the
//! JSON 404 under `/api/` and the HTML 404 page elsewhere. Every API route but health,
//! trust, the TSA, verify, the printout routes, the OAuth endpoints and the OpenAPI document
//! needs `Authorization: Bearer TOKEN` or a web session ([`caller::Caller`]). Errors are
//! [`error::ApiError`].

pub mod audit;
pub mod batches;
pub mod caller;
pub mod documents;
pub mod error;
pub mod grants;
pub mod headers;
pub mod health;
pub mod jobs;
pub mod oauth;
pub mod printout;
pub mod push;
pub mod reviews;
pub mod revoke;
pub mod scans;
pub mod search;
pub mod trust;
pub mod verify;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// The header carrying a request's id.
static REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::app::App;

#[derive(OpenApi)]
#[openapi(
    info(title = "Kho", description = "Digital-records vault with a digitization pipeline."),
    paths(health::health, health::metrics, audit::checkpoints, scans::upload, jobs::get, documents::list, documents::get,
          reviews::list, reviews::get, reviews::pdf, reviews::page_image, reviews::reject,
          batches::create, batches::list, batches::add_files, batches::progress, batches::report, batches::events, batches::retry,
          documents::pdf, documents::thumbnail, documents::original, trust::roots, trust::crl, trust::tsa, reviews::approve, verify::verify, revoke::revoke, search::search, printout::verify_qr, printout::status_page, crate::web::verify::pdf_page, crate::web::assets::script, crate::web::help::help_page,
          crate::web::verify::qr_page, openapi_json, push::push, grants::list, grants::revoke,
          grants::current, grants::access_log, oauth::token, oauth::metadata, oauth::register,
          crate::web::account::login_page, crate::web::account::login, crate::web::account::logout,
          crate::web::setup::setup_page, crate::web::setup::create_admin,
          crate::web::admin::admin_page, crate::web::admin::create_account,
          crate::web::admin::disable_account, crate::web::admin::revoke_token, crate::web::admin::create_requester, crate::web::admin::disable_requester,
          crate::web::owner::documents_page, crate::web::owner::document_page,
          crate::web::owner::grants_page, crate::web::owner::revoke_grant,
          crate::web::owner::access_log_page, crate::web::consent::authorize_page,
          crate::web::consent::decide, crate::web::dashboard::staff_home, crate::web::staff::batches_page,
          crate::web::staff::batch_page, crate::web::staff::reviews_page,
          crate::web::staff::review_page, crate::web::home::home_page),
    components(schemas(error::ErrorBody, error::ErrorDetail, push::PushMetadata)),
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
    let https = app.config.public_url.starts_with("https://");
    let verify_limit = app.config.max_verify_bytes;
    let router = Router::new()
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/audit/checkpoints", get(audit::checkpoints))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/trust/roots.pem", get(trust::roots))
        .route("/api/v1/trust/crl", get(trust::crl))
        .route(
            "/api/v1/tsa",
            post(trust::tsa).layer(DefaultBodyLimit::max(trust::MAX_TSA_REQUEST_BYTES)),
        )
        .route(
            "/api/v1/verify/qr",
            post(printout::verify_qr).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/v/{id}", get(printout::status_page))
        .route("/verify", get(crate::web::verify::pdf_page))
        .route("/verify/qr", get(crate::web::verify::qr_page))
        .route("/help", get(crate::web::help::help_page))
        .route("/assets/{name}", get(crate::web::assets::script))
        .route(
            "/api/v1/verify",
            post(verify::verify).layer(DefaultBodyLimit::max(verify_limit)),
        )
        .route(
            "/api/v1/subjects/{owner_id}/scans",
            post(scans::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/subjects/{owner_id}/documents",
            get(documents::list)
                .post(push::push)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1/grants", get(grants::list))
        .route("/api/v1/grants/current", get(grants::current))
        .route("/api/v1/grants/{id}/revoke", post(grants::revoke))
        .route("/api/v1/access-log", get(grants::access_log))
        .route("/api/v1/requesters", post(oauth::register))
        .route("/oauth/token", post(oauth::token))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route(
            "/oauth/authorize",
            get(crate::web::consent::authorize_page).post(crate::web::consent::decide),
        )
        .route(
            "/login",
            get(crate::web::account::login_page).post(crate::web::account::login),
        )
        .route("/logout", post(crate::web::account::logout))
        .route(
            "/setup",
            get(crate::web::setup::setup_page).post(crate::web::setup::create_admin),
        )
        .route("/admin", get(crate::web::admin::admin_page))
        .route("/admin/accounts", post(crate::web::admin::create_account))
        .route("/admin/accounts/disable", post(crate::web::admin::disable_account))
        .route("/admin/tokens/revoke", post(crate::web::admin::revoke_token))
        .route("/admin/requesters", post(crate::web::admin::create_requester))
        .route(
            "/admin/requesters/disable",
            post(crate::web::admin::disable_requester),
        )
        .route("/me", get(crate::web::owner::documents_page))
        .route("/me/documents/{id}", get(crate::web::owner::document_page))
        .route("/me/grants", get(crate::web::owner::grants_page))
        .route(
            "/me/grants/{id}/revoke",
            post(crate::web::owner::revoke_grant),
        )
        .route("/me/access-log", get(crate::web::owner::access_log_page))
        .route("/staff", get(crate::web::dashboard::staff_home))
        .route("/staff/batches", get(crate::web::staff::batches_page))
        .route("/staff/batches/{id}", get(crate::web::staff::batch_page))
        .route("/staff/reviews", get(crate::web::staff::reviews_page))
        .route("/staff/reviews/{id}", get(crate::web::staff::review_page))
        .route("/api/v1/jobs/{job_id}", get(jobs::get))
        .route("/api/v1/search", get(search::search))
        .route(
            "/api/v1/batches",
            // A manifest may be up to 16 MiB of CSV, quoted in the JSON body.
            post(batches::create)
                .layer(DefaultBodyLimit::max(batches::MAX_CREATE_BYTES))
                .get(batches::list),
        )
        .route(
            "/api/v1/batches/{id}/files",
            post(batches::add_files).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1/batches/{id}", get(batches::progress))
        .route("/api/v1/batches/{id}/report", get(batches::report))
        .route(
            "/api/v1/batches/{id}/items/{position}/retry",
            post(batches::retry),
        )
        .route("/api/v1/batches/{id}/events", get(batches::events))
        .route("/api/v1/reviews", get(reviews::list))
        .route("/api/v1/reviews/{id}", get(reviews::get))
        .route("/api/v1/reviews/{id}/pdf", get(reviews::pdf))
        .route("/api/v1/reviews/{id}/pages/{n}", get(reviews::page_image))
        .route("/api/v1/reviews/{id}/approve", post(reviews::approve))
        .route("/api/v1/reviews/{id}/reject", post(reviews::reject))
        .route("/api/v1/documents/{id}", get(documents::get))
        .route("/api/v1/documents/{id}/pdf", get(documents::pdf))
        .route("/api/v1/documents/{id}/thumbnail", get(documents::thumbnail))
        .route("/api/v1/documents/{id}/revoke", post(revoke::revoke))
        .route("/api/v1/documents/{id}/original", get(documents::original))
        .route("/metrics", get(health::metrics))
        .route("/", get(crate::web::home::home_page))
        .fallback(crate::web::home::not_found)
        // Every request gets an id (the client's `x-request-id`, or a new UUID), which
        // names its log span and comes back in the response.
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .with_state(app);
    headers::secure(router, https)
}
