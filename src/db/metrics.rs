//! What the deployment holds, counted for `/metrics` at each scrape.

use sqlx::Row;

use super::{Db, DbError};

/// The deployment's figures at one moment.
#[derive(Debug, Default)]
pub struct Holdings {
    /// Jobs by state.
    pub jobs: Vec<(String, i64)>,
    /// Jobs waiting for a worker, and when the oldest was queued (Unix ms; 0: none).
    pub queued: i64,
    pub oldest_queued_at: i64,
    /// Failed jobs by their error text (empty: none recorded).
    pub failed: Vec<(String, i64)>,
    /// Filed documents by status.
    pub documents: Vec<(String, i64)>,
    /// Pages in filed documents.
    pub pages: i64,
    pub open_reviews: i64,
    /// Consents in force at `now`.
    pub live_grants: i64,
    /// Documents read by requesters under a grant.
    pub pulls: i64,
}

/// The figures, with consents in force at `now` (Unix ms).
pub async fn holdings(db: &Db, now: i64) -> Result<Holdings, DbError> {
    Ok(Holdings {
        jobs: count_by(
            db,
            "SELECT state AS k, COUNT(*) AS n FROM jobs GROUP BY state",
        )
        .await?,
        queued: scalar(db, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'").await?,
        oldest_queued_at: scalar(
            db,
            "SELECT COALESCE(MIN(created_at), 0) FROM jobs WHERE state = 'queued'",
        )
        .await?,
        failed: count_by(
            db,
            "SELECT COALESCE(last_error, '') AS k, COUNT(*) AS n FROM jobs
             WHERE state = 'failed' GROUP BY last_error",
        )
        .await?,
        documents: count_by(
            db,
            "SELECT status AS k, COUNT(*) AS n FROM documents GROUP BY status",
        )
        .await?,
        pages: scalar(
            db,
            "SELECT CAST(COALESCE(SUM(page_count), 0) AS BIGINT) FROM documents",
        )
        .await?,
        open_reviews: scalar(db, "SELECT COUNT(*) FROM reviews WHERE state = 'open'").await?,
        live_grants: sqlx::query_scalar(
            "SELECT COUNT(*) FROM grants WHERE revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .fetch_one(&db.pool)
        .await?,
        pulls: scalar(db, "SELECT COUNT(*) FROM access_log").await?,
    })
}

async fn scalar(db: &Db, sql: &'static str) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&db.pool)
        .await?)
}

async fn count_by(db: &Db, sql: &'static str) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query(sql).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>("k")?, r.try_get::<i64, _>("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
