//! `GET /api/v1/audit/checkpoints`: the audit trail's signed checkpoints, published so
//! that auditors can keep copies and hold the deployment to them (`kho audit verify`).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::app::App;
use crate::db::audit::{self, Checkpoint};

#[derive(Debug, Serialize, ToSchema)]
pub struct Checkpoints {
    /// The newest checkpoints (at most 100), oldest first.
    pub checkpoints: Vec<Checkpoint>,
}

#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "audit",
    responses((status = 200, body = Checkpoints,
               description = "each signs `kho-audit-checkpoint/1\\n{seq}\\n{hash}\\n{at}` with the certificate's Ed25519 key (a seal under /api/v1/trust/roots.pem)")))]
pub async fn checkpoints(State(app): State<App>) -> Result<Json<Checkpoints>, ApiError> {
    Ok(Json(Checkpoints {
        checkpoints: audit::checkpoints(&app.db, Some(100)).await?,
    }))
}
