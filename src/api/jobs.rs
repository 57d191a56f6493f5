//! `GET /api/v1/jobs/{job_id}`: where a job stands.

use axum::Json;
use axum::extract::{Path, State};

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth;
use crate::db::jobs::{self, JobView, ReviewSummary};
use crate::db::reviews;

#[utoipa::path(get, path = "/api/v1/jobs/{job_id}", tag = "scans",
    params(("job_id" = String, Path)),
    responses((status = 200, body = JobView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such job, or not yours")),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(job_id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    if uuid::Uuid::parse_str(&job_id).is_err() {
        return Err(ApiError::NotFound("job"));
    }
    let found = match jobs::get(&app.db, &job_id).await? {
        Some((job, owner)) => {
            let agency = crate::digitize::filing_agency(&app, &job.scan_id).await?;
            let agency = agency.as_ref().map(|(a, _)| a.code.as_str());
            auth::can_read(&caller, &owner, agency).then_some(job)
        }
        None => None,
    };
    match found {
        Some(mut job) => {
            if job.state == "review"
                && let Some(r) = reviews::for_job(&app.db, &job.id).await?
            {
                job.review = Some(ReviewSummary {
                    id: r.id,
                    state: r.state,
                    reasons: r.reasons,
                });
            }
            Ok(Json(job))
        }
        None => Err(ApiError::NotFound("job")),
    }
}
