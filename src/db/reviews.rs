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
    /// Page 1's word boxes, to place the stamp on approval.
    pub words: Vec<crate::domain::Rect>,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    draft: &NewDocument,
    reasons: &[kho_workers::gate::Reason],
    words: &[crate::domain::Rect],
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO reviews (id, job_id, scan_id, owner_id, reasons_json, draft_json, state,
                              created_at, words_json)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)",
    )
    .bind(id)
    .bind(&draft.job_id)
    .bind(&draft.scan_id)
    .bind(&draft.owner_id)
    .bind(serde_json::to_string(reasons).expect("reasons serialize"))
    .bind(serde_json::to_string(draft).expect("draft serializes"))
    .bind(now_ms())
    .bind(serde_json::to_string(words).expect("boxes serialize"))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The review a job ended in, if it ended in one.
pub async fn for_job(db: &Db, job_id: &str) -> Result<Option<Review>, DbError> {
    one(db, "job_id", job_id).await
}

/// A review by its id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Review>, DbError> {
    one(db, "id", id).await
}

/// Approve an open review: file its draft as `doc` (the signed version) and end its job
/// `done`, in the caller's transaction. False when the review is no longer open (the
/// caller then rolls back).
pub async fn approve(
    tx: &mut Transaction<'_, Any>,
    review: &Review,
    doc: &NewDocument,
    decided_by: &str,
    note: Option<&str>,
) -> Result<bool, DbError> {
    let now = now_ms();
    let r = sqlx::query(
        "UPDATE reviews SET state = 'approved', decided_by = $1, decided_at = $2, decision_note = $3
         WHERE id = $4 AND state = 'open'",
    )
    .bind(decided_by)
    .bind(now)
    .bind(note)
    .bind(&review.id)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    // A reviewer may have corrected the owner: make sure that subject exists.
    let kind = if doc.owner_id.len() == 12 && !doc.owner_id.contains('-') {
        "citizen"
    } else {
        "organization"
    };
    sqlx::query(
        "INSERT INTO subjects (id, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&doc.owner_id)
    .bind(kind)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    super::documents::insert(tx, doc).await?;
    super::search::index(tx, doc).await?;
    sqlx::query(
        "UPDATE jobs SET state = 'done', document_id = $1, last_error = NULL, updated_at = $2
         WHERE id = $3 AND state = 'review'",
    )
    .bind(&doc.id)
    .bind(now)
    .bind(&review.job_id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Reject an open review with a reason: nothing is filed and its job ends `failed` with
/// the reason. False when the review is no longer open.
pub async fn reject(
    tx: &mut Transaction<'_, Any>,
    review: &Review,
    decided_by: &str,
    reason: &str,
) -> Result<bool, DbError> {
    let now = now_ms();
    let r = sqlx::query(
        "UPDATE reviews SET state = 'rejected', decided_by = $1, decided_at = $2, decision_note = $3
         WHERE id = $4 AND state = 'open'",
    )
    .bind(decided_by)
    .bind(now)
    .bind(reason)
    .bind(&review.id)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE jobs SET state = 'failed', last_error = $1, updated_at = $2
         WHERE id = $3 AND state = 'review'",
    )
    .bind(format!("rejected in review: {reason}"))
    .bind(now)
    .bind(&review.job_id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Who decided a review, when, and what they said.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub decided_by: Option<String>,
    /// Unix milliseconds.
    pub decided_at: Option<i64>,
    pub note: Option<String>,
}

/// The decision on a review.
pub async fn decision(db: &Db, id: &str) -> Result<Decision, DbError> {
    let row =
        sqlx::query("SELECT decided_by, decided_at, decision_note FROM reviews WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(match row {
        Some(r) => Decision {
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
            note: r.try_get("decision_note")?,
        },
        None => Decision::default(),
    })
}

/// A page of one agency's reviews in `state`, oldest first: at most `limit` after the
/// cursor `after` (the last row's `created_at` and id), and how many there are in all.
/// The agency is the one the scan's uploader acted for, filtered in SQL, so one agency's
/// backlog never hides another's.
pub async fn list(
    db: &Db,
    agency: &str,
    state: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<(Vec<Review>, i64), DbError> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
    let rows = sqlx::query(
        "SELECT r.id, r.job_id, r.owner_id, r.reasons_json, r.draft_json, r.state, r.created_at,
                r.words_json
         FROM reviews r JOIN jobs j ON j.id = r.job_id JOIN scans s ON s.id = j.scan_id
         WHERE r.state = $1 AND s.agency = $2
           AND (r.created_at > $3 OR (r.created_at = $3 AND r.id > $4))
         ORDER BY r.created_at, r.id LIMIT $5",
    )
    .bind(state)
    .bind(agency)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reviews r JOIN jobs j ON j.id = r.job_id JOIN scans s ON s.id = j.scan_id
         WHERE r.state = $1 AND s.agency = $2",
    )
    .bind(state)
    .bind(agency)
    .fetch_one(&db.pool)
    .await?;
    let reviews = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok((reviews, total))
}

async fn one(db: &Db, column: &str, value: &str) -> Result<Option<Review>, DbError> {
    // `column` is one of two constants above; the value is bound.
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, job_id, owner_id, reasons_json, draft_json, state, created_at, words_json
         FROM reviews WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Review, DbError> {
    let reasons: String = r.try_get("reasons_json")?;
    let draft: String = r.try_get("draft_json")?;
    let corrupt = |e: serde_json::Error| DbError::Corrupt(format!("review row: {e}"));
    Ok(Review {
        id: r.try_get("id")?,
        job_id: r.try_get("job_id")?,
        owner_id: r.try_get("owner_id")?,
        reasons: serde_json::from_str(&reasons).map_err(corrupt)?,
        draft: serde_json::from_str(&draft).map_err(corrupt)?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
        words: serde_json::from_str(&r.try_get::<String, _>("words_json")?).map_err(corrupt)?,
    })
}
