//! `GET /api/v1/health`: 200 when the database and the object store answer, 503 otherwise.
//! `GET /metrics`: Prometheus metrics ([`crate::metrics`]).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use crate::app::App;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` in a 200 answer.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

#[utoipa::path(get, path = "/api/v1/health", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn health(State(app): State<App>) -> Result<Json<Health>, ApiError> {
    if !app.db.ping().await {
        return Err(ApiError::Unavailable("database"));
    }
    if !app.store.ping().await {
        return Err(ApiError::Unavailable("object store"));
    }
    let database = match app.db.backend {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    Ok(Json(Health {
        status: "ok",
        database,
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, content_type = "text/plain", body = String,
               description = "Prometheus text format: jobs by state, queue depth and oldest age, failures by reason, documents by status, pages filed, open reviews, live grants, pulls; this process's stage latency histograms and verifications by verdict"),
              (status = 401, body = ErrorBody, description = "from an address outside --metrics-allow without the metrics token"),
              (status = 503, body = ErrorBody)))]
pub async fn metrics(
    State(app): State<App>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let peer = peer.map(|axum::Extension(axum::extract::ConnectInfo(a))| a.ip());
    if !metrics_allowed(&app.config, peer, &headers) {
        return Err(ApiError::Unauthorized);
    }
    let text = app.metrics.render(&app.db).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// May this request read `/metrics`? With `--metrics-token` set, a request bearing it;
/// otherwise (and also) a request from an address in `--metrics-allow` (loopback by
/// default), as Prometheus is usually run.
fn metrics_allowed(
    config: &crate::config::Config,
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
) -> bool {
    if let Some(token) = config
        .metrics_token
        .as_ref()
        .map(secrecy::ExposeSecret::expose_secret)
    {
        let sent = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent.is_some_and(|s| crate::consent::constant_eq(s.as_bytes(), token.as_bytes())) {
            return true;
        }
    }
    peer.is_some_and(|ip| config.metrics_allow.0.iter().any(|net| net.contains(&ip)))
}
