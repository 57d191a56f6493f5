//! SQL for `jobs`: the pipeline's work queue.
//!
//! States: `queued` → `running` (claimed with a lease) → `done` | `review` | `failed`,
//! or back to `queued` with a later `run_after` when an attempt fails and attempts remain.
//! A `running` job whose lease ran out (its worker died) is claimable again. Every write
//! a worker makes is conditional on still holding the lease (`lease_owner`), so a worker
//! that lost its job can never complete it: each job completes exactly once.

use sqlx::any::Any;
use sqlx::{AssertSqlSafe, Row, Transaction};

use super::{Backend, Db, DbError, now_ms};

/// A job as a worker holds it after claiming.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub scan_id: String,
    /// Attempts including this one.
    pub attempts: u32,
    pub max_attempts: u32,
    /// The lease holder, unique per claim.
    pub lease_owner: String,
}

/// Why a document waits for a person.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewSummary {
    pub id: String,
    /// `open`, `approved` or `rejected`.
    pub state: String,
    /// Each reason: `{"code": "low_confidence" | "no_text" | "missing_field", "message",
    /// "page"?, "field"?}`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<kho_workers::gate::Reason>,
}

/// A job as clients see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    /// `queued`, `running`, `review`, `done` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub document_id: Option<String>,
    /// Why the last attempt failed, or why the job is in review.
    pub error: Option<String>,
    /// When the job is in `review`: the held document's review and why it was held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewSummary>,
    #[serde(skip)]
    pub scan_id: String,
}

pub(super) async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    kind: &str,
    scan_id: &str,
    max_attempts: u32,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, scan_id, state, attempts, max_attempts, run_after, created_at, updated_at)
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $5, $5)",
    )
    .bind(id)
    .bind(kind)
    .bind(scan_id)
    .bind(max_attempts as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claim the oldest runnable job — queued and due, or running with an expired lease —
/// for `lease_ms`. PostgreSQL skips rows other workers are claiming; SQLite has a single
/// writer, so the statement is atomic as it stands.
pub async fn claim(
    db: &Db,
    lease_owner: &str,
    lease_ms: i64,
) -> Result<Option<ClaimedJob>, DbError> {
    let lock = match db.backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let now = now_ms();
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1,
                lease_until = $2, updated_at = $3
         WHERE id = (SELECT id FROM jobs
                     WHERE (state = 'queued' AND run_after <= $3)
                        OR (state = 'running' AND lease_until < $3)
                     ORDER BY run_after, created_at LIMIT 1 {lock})
         RETURNING id, kind, scan_id, attempts, max_attempts"
    );
    // Only the constant lock clause is interpolated.
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(lease_owner)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(ClaimedJob {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        scan_id: row.try_get("scan_id")?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        max_attempts: row.try_get::<i64, _>("max_attempts")? as u32,
        lease_owner: lease_owner.to_owned(),
    }))
}

/// Extend the lease. False when the lease is no longer ours.
pub async fn heartbeat(db: &Db, job: &ClaimedJob, lease_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
    )
    .bind(now_ms() + lease_ms)
    .bind(&job.id)
    .bind(&job.lease_owner)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Finish the job as `done` (or `review`) with its document, inside the caller's
/// transaction. False when the lease was lost: the caller must roll back.
pub async fn finish(
    tx: &mut Transaction<'_, Any>,
    job: &ClaimedJob,
    state: &str,
    document_id: Option<&str>,
    note: Option<&str>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET state = $1, document_id = $2, last_error = $3, lease_owner = NULL,
                lease_until = NULL, updated_at = $4
         WHERE id = $5 AND lease_owner = $6 AND state = 'running'",
    )
    .bind(state)
    .bind(document_id)
    .bind(note)
    .bind(now_ms())
    .bind(&job.id)
    .bind(&job.lease_owner)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Record a failed attempt: back to `queued` after `retry_in_ms`, or `failed` for good
/// when `retry_in_ms` is `None`. False when the lease was lost.
pub async fn fail(
    db: &Db,
    job: &ClaimedJob,
    error: &str,
    retry_in_ms: Option<i64>,
) -> Result<bool, DbError> {
    let now = now_ms();
    let (state, run_after) = match retry_in_ms {
        Some(ms) => ("queued", now + ms),
        None => ("failed", now),
    };
    let r = sqlx::query(
        "UPDATE jobs SET state = $1, run_after = $2, last_error = $3, lease_owner = NULL,
                lease_until = NULL, updated_at = $4
         WHERE id = $5 AND lease_owner = $6 AND state = 'running'",
    )
    .bind(state)
    .bind(run_after)
    .bind(error)
    .bind(now)
    .bind(&job.id)
    .bind(&job.lease_owner)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Give a claimed job back untouched (shutdown): queued again, this attempt not counted.
pub async fn release(db: &Db, job: &ClaimedJob) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL,
                lease_until = NULL, run_after = $1, updated_at = $1
         WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
    )
    .bind(now_ms())
    .bind(&job.id)
    .bind(&job.lease_owner)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A job with the owner of its scan, for access checks.
pub async fn get(db: &Db, id: &str) -> Result<Option<(JobView, String)>, DbError> {
    let row = sqlx::query(
        "SELECT j.id, j.state, j.attempts, j.document_id, j.last_error, j.scan_id, s.owner_id
         FROM jobs j JOIN scans s ON s.id = j.scan_id WHERE j.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let state: String = r.try_get("state")?;
    let error: Option<String> = r.try_get("last_error")?;
    Ok(Some((
        JobView {
            id: r.try_get("id")?,
            // A job that succeeded after failed attempts carries no stale error.
            error: if state == "done" { None } else { error },
            state,
            attempts: r.try_get("attempts")?,
            document_id: r.try_get("document_id")?,
            scan_id: r.try_get("scan_id")?,
            review: None,
        },
        r.try_get("owner_id")?,
    )))
}
