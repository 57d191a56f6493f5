//! `GET /api/v1/health`: 200 when the database and the object store answer, 503 otherwise.

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
