//! SQL for `reviews`: documents the quality gate held back for a person.
//!
//! A review holds the pipeline's draft of the document and the reasons it was held. It
//! is written in the same transaction that moves its job to `review`, so a held
//! document is never lost and never also filed.

use sqlx::any::Any;
use sqlx::{Row, Transaction};

use super::documents::NewDocument;
use super::{Db, DbError, now_ms};

/// A document waiting for a reviewer.
#[derive(Debug, Clone)]
pub struct Review {
    pub id: String,
    pub job_id: String,
    pub owner_id: String,
    pub reasons: Vec<kho_workers::gate::Reason>,
    pub draft: NewDocument,
    pub state: String,
    pub created_at: i64,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    draft: &NewDocument,
    reasons: &[kho_workers::gate::Reason],
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO reviews (id, job_id, scan_id, owner_id, reasons_json, draft_json, state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
    )
    .bind(id)
    .bind(&draft.job_id)
    .bind(&draft.scan_id)
    .bind(&draft.owner_id)
    .bind(serde_json::to_string(reasons).expect("reasons serialize"))
    .bind(serde_json::to_string(draft).expect("draft serializes"))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The review a job ended in, if it ended in one.
pub async fn for_job(db: &Db, job_id: &str) -> Result<Option<Review>, DbError> {
    let row = sqlx::query(
        "SELECT id, job_id, owner_id, reasons_json, draft_json, state, created_at
         FROM reviews WHERE job_id = $1",
    )
    .bind(job_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let reasons: String = r.try_get("reasons_json")?;
    let draft: String = r.try_get("draft_json")?;
    let corrupt = |e: serde_json::Error| DbError::Corrupt(format!("review row: {e}"));
    Ok(Some(Review {
        id: r.try_get("id")?,
        job_id: r.try_get("job_id")?,
        owner_id: r.try_get("owner_id")?,
        reasons: serde_json::from_str(&reasons).map_err(corrupt)?,
        draft: serde_json::from_str(&draft).map_err(corrupt)?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
    }))
}
