//! SQL for `audit_log` and `audit_head`: the hash-chained audit trail ([`crate::audit`]).

use sqlx::Row;

use super::{Db, DbError, now_ms};

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Append an event after the head, in one transaction: taking the head (`UPDATE …
/// RETURNING`) locks it, so appends from many processes line up one after another.
pub async fn append(
    db: &Db,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<i64, DbError> {
    let mut tx = db.pool.begin().await?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let at = now_ms();
    let hash = crate::audit::link_hash(&prev, seq, at, actor, action, subject, detail);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(seq)
}

/// Events from `after` (exclusive), in sequence order, at most `limit`.
pub async fn page(db: &Db, after: i64, limit: i64) -> Result<Vec<Event>, DbError> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                detail: r.try_get("detail")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// The head: the last sequence number and hash.
pub async fn head(db: &Db) -> Result<(i64, String), DbError> {
    let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok((r.try_get("seq")?, r.try_get("hash")?))
}
