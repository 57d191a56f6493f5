//! The HTTP API (axum), one module per resource, and its OpenAPI document.
//!
//! One module per resource (`health`, `scans`, `search`, `jobs`, `printout`, `revoke`,
//! `reviews`, `verify`, `trust`, `documents`, `batches`, `push`, `grants`, `oauth`,
//! `audit`). Each route is declared once, in [`declared`]: its method, path and
//! documentation come from the handler's `#[utoipa::path]`, so the router and the OpenAPI
//! document (`GET /api/v1/openapi.json`, which lists every route) cannot drift apart.
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

use std::sync::LazyLock;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// The header carrying a request's id.
static REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::app::App;
use crate::web;

#[derive(OpenApi)]
#[openapi(
    info(title = "Kho", description = "Digital-records vault with a digitization pipeline."),
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

/// Every route, each declared once: `routes!` takes a handler's method and path from its
/// `#[utoipa::path]`, so a route cannot be served without being in the OpenAPI document,
/// and the document lists nothing that is not served.
fn declared(upload_limit: usize, verify_limit: usize) -> OpenApiRouter<App> {
    let upload = || DefaultBodyLimit::max(upload_limit);
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::metrics))
        .routes(routes!(audit::checkpoints))
        .routes(routes!(openapi_json))
        .routes(routes!(trust::roots))
        .routes(routes!(trust::crl))
        .routes(routes!(trust::tsa).layer(DefaultBodyLimit::max(trust::MAX_TSA_REQUEST_BYTES)))
        .routes(routes!(printout::verify_qr).layer(upload()))
        .routes(routes!(verify::verify).layer(DefaultBodyLimit::max(verify_limit)))
        .routes(routes!(scans::upload).layer(upload()))
        .routes(routes!(documents::list, push::push).layer(upload()))
        .routes(routes!(documents::get))
        .routes(routes!(documents::pdf))
        .routes(routes!(documents::thumbnail))
        .routes(routes!(documents::original))
        .routes(routes!(revoke::revoke))
        .routes(routes!(jobs::get))
        .routes(routes!(search::search))
        .routes(routes!(grants::list))
        .routes(routes!(grants::current))
        .routes(routes!(grants::revoke))
        .routes(routes!(grants::access_log))
        .routes(routes!(oauth::register))
        .routes(routes!(oauth::token))
        .routes(routes!(oauth::metadata))
        // A manifest may be up to 16 MiB of CSV, quoted in the JSON body.
        .routes(routes!(batches::create).layer(DefaultBodyLimit::max(batches::MAX_CREATE_BYTES)))
        .routes(routes!(batches::list))
        .routes(routes!(batches::add_files).layer(upload()))
        .routes(routes!(batches::progress))
        .routes(routes!(batches::report))
        .routes(routes!(batches::retry))
        .routes(routes!(batches::events))
        .routes(routes!(reviews::list))
        .routes(routes!(reviews::get))
        .routes(routes!(reviews::pdf))
        .routes(routes!(reviews::page_image))
        .routes(routes!(reviews::approve))
        .routes(routes!(reviews::reject))
        // The pages.
        .routes(routes!(web::home::home_page))
        .routes(routes!(web::help::help_page))
        .routes(routes!(web::assets::script))
        .routes(routes!(web::verify::pdf_page))
        .routes(routes!(web::verify::qr_page))
        .routes(routes!(web::verify::status_page))
        .routes(routes!(web::account::login_page, web::account::login))
        .routes(routes!(web::account::logout))
        .routes(routes!(web::setup::setup_page, web::setup::create_admin))
        .routes(routes!(web::consent::authorize_page, web::consent::decide))
        .routes(routes!(web::admin::admin_page))
        .routes(routes!(web::admin::create_account))
        .routes(routes!(web::admin::disable_account))
        .routes(routes!(web::admin::revoke_token))
        .routes(routes!(web::admin::create_requester))
        .routes(routes!(web::admin::disable_requester))
        .routes(routes!(web::owner::documents_page))
        .routes(routes!(web::owner::document_page))
        .routes(routes!(web::owner::grants_page))
        .routes(routes!(web::owner::revoke_grant))
        .routes(routes!(web::owner::access_log_page))
        .routes(routes!(web::dashboard::staff_home))
        .routes(routes!(web::staff::batches_page))
        .routes(routes!(web::staff::batch_page))
        .routes(routes!(web::staff::reviews_page))
        .routes(routes!(web::staff::review_page))
}

/// The OpenAPI document of every declared route.
static OPENAPI: LazyLock<utoipa::openapi::OpenApi> =
    LazyLock::new(|| declared(0, 0).into_openapi());

/// The OpenAPI 3 document of the whole API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(OPENAPI.clone())
}

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let https = app.config.public_url.starts_with("https://");
    let router = Router::from(declared(
        app.config.max_upload_bytes,
        app.config.max_verify_bytes,
    ))
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
