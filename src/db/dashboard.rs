//! The figures of the staff and admin dashboards: what one agency's pipeline (or the
//! whole deployment's) did since a given instant, what waits, and pages filed per hour.
//! The agency is the one the scan's uploader acted for, as in the review queue.

use sqlx::Row;

use super::{Db, DbError};

/// Hours in the pages-per-hour chart.
pub const HOURS: usize = 24;

/// Whose figures: one agency's, or every agency's (the admin's view).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Agency(&'a str),
    All,
}

impl Scope<'_> {
    /// The binds of `($1 = 1 OR s.agency = $2)`.
    fn binds(self) -> (i64, String) {
        match self {
            Scope::Agency(a) => (0, a.to_owned()),
            Scope::All => (1, String::new()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Documents filed since `since`, and their pages.
    pub documents: i64,
    pub pages: i64,
    /// Documents waiting for a person, and when the oldest of them began waiting.
    pub held: i64,
    pub oldest_held_at: Option<i64>,
    /// Jobs that failed since `since`.
    pub failed: i64,
    /// Jobs waiting for a worker, and running now.
    pub queued: i64,
    pub running: i64,
    /// Pages filed in each of the last [`HOURS`] hours before `now`, oldest first.
    pub pages_per_hour: Vec<i64>,
}

/// The figures of `scope` since `since` (ms), with the hourly pages up to `now` (ms).
pub async fn figures(db: &Db, scope: Scope<'_>, since: i64, now: i64) -> Result<Figures, DbError> {
    let (all, agency) = scope.binds();
    let filed = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(d.page_count), 0) AS BIGINT) AS pages
         FROM documents d JOIN scans s ON s.id = d.scan_id
         WHERE ($1 = 1 OR s.agency = $2) AND d.created_at >= $3",
    )
    .bind(all)
    .bind(&agency)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    let held = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(r.created_at) AS oldest
         FROM reviews r JOIN scans s ON s.id = r.scan_id
         WHERE ($1 = 1 OR s.agency = $2) AND r.state = 'open'",
    )
    .bind(all)
    .bind(&agency)
    .fetch_one(&db.pool)
    .await?;
    let jobs = sqlx::query(
        "SELECT
           CAST(COALESCE(SUM(CASE WHEN j.state = 'failed' AND j.updated_at >= $3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed,
           CAST(COALESCE(SUM(CASE WHEN j.state = 'queued' THEN 1 ELSE 0 END), 0) AS BIGINT) AS queued,
           CAST(COALESCE(SUM(CASE WHEN j.state = 'running' THEN 1 ELSE 0 END), 0) AS BIGINT) AS running
         FROM jobs j JOIN scans s ON s.id = j.scan_id
         WHERE ($1 = 1 OR s.agency = $2)",
    )
    .bind(all)
    .bind(&agency)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    let hour = 3_600_000;
    let start = now - HOURS as i64 * hour;
    let recent = sqlx::query(
        "SELECT d.created_at, d.page_count
         FROM documents d JOIN scans s ON s.id = d.scan_id
         WHERE ($1 = 1 OR s.agency = $2) AND d.created_at >= $3 AND d.created_at < $4",
    )
    .bind(all)
    .bind(&agency)
    .bind(start)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    let mut pages_per_hour = vec![0; HOURS];
    for r in &recent {
        let at: i64 = r.try_get("created_at")?;
        let pages: i64 = r.try_get("page_count")?;
        let slot = ((at - start) / hour).clamp(0, HOURS as i64 - 1) as usize;
        pages_per_hour[slot] += pages;
    }
    Ok(Figures {
        documents: filed.try_get("n")?,
        pages: filed.try_get("pages")?,
        held: held.try_get("n")?,
        oldest_held_at: held.try_get("oldest")?,
        failed: jobs.try_get("failed")?,
        queued: jobs.try_get("queued")?,
        running: jobs.try_get("running")?,
        pages_per_hour,
    })
}

/// Bytes the vault holds: uploaded scans and filed PDFs.
pub async fn stored_bytes(db: &Db) -> Result<(i64, i64), DbError> {
    let scans: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT) FROM scans")
            .fetch_one(&db.pool)
            .await?;
    let pdfs: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(pdf_bytes), 0) AS BIGINT) FROM documents")
            .fetch_one(&db.pool)
            .await?;
    Ok((scans, pdfs))
}

/// Workers holding a job now: distinct lease owners whose lease has not run out.
pub async fn busy_workers(db: &Db, now: i64) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(DISTINCT lease_owner) FROM jobs WHERE state = 'running' AND lease_until > $1",
    )
    .bind(now)
    .fetch_one(&db.pool)
    .await?)
}

/// A batch's progress for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchProgress {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub documents: i64,
    pub filed: i64,
    pub held: i64,
    /// Failed in the pipeline, or refused at intake.
    pub failed: i64,
    /// Waiting for or in a worker.
    pub waiting: i64,
}

/// The agency's latest `limit` batches, newest first, each with its documents by state.
pub async fn batches(db: &Db, agency: &str, limit: i64) -> Result<Vec<BatchProgress>, DbError> {
    let rows = sqlx::query(
        "SELECT b.id, b.name, b.created_at,
           CAST(COUNT(i.position) AS BIGINT) AS documents,
           CAST(COALESCE(SUM(CASE WHEN j.state = 'done' THEN 1 ELSE 0 END), 0) AS BIGINT) AS filed,
           CAST(COALESCE(SUM(CASE WHEN j.state = 'review' THEN 1 ELSE 0 END), 0) AS BIGINT) AS held,
           CAST(COALESCE(SUM(CASE WHEN j.state = 'failed' OR (i.position IS NOT NULL AND i.job_id IS NULL) THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed,
           CAST(COALESCE(SUM(CASE WHEN j.state IN ('queued', 'running') THEN 1 ELSE 0 END), 0) AS BIGINT) AS waiting
         FROM batches b
         LEFT JOIN batch_items i ON i.batch_id = b.id
         LEFT JOIN jobs j ON j.id = i.job_id
         WHERE b.agency = $1
         GROUP BY b.id, b.name, b.created_at
         ORDER BY b.created_at DESC, b.id
         LIMIT $2",
    )
    .bind(agency)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BatchProgress {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                documents: r.try_get("documents")?,
                filed: r.try_get("filed")?,
                held: r.try_get("held")?,
                failed: r.try_get("failed")?,
                waiting: r.try_get("waiting")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
