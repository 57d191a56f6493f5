//! SQL for `audit_log` and `audit_head`: the hash-chained audit trail ([`crate::audit`]).

use sqlx::{AnyConnection, Row};

use crate::domain::audit::{Entry, link_hash};

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

/// Append `e` after the head, inside the caller's transaction, so the action and its
/// event commit or roll back together. Taking the head (`UPDATE … RETURNING`) locks it,
/// so appends from many processes line up one after another; every action appends its
/// event as its last statement, so the head is the last lock a transaction takes.
pub async fn append(conn: &mut AnyConnection, e: &Entry<'_>) -> Result<i64, DbError> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let at = now_ms();
    let action = e.action.as_str();
    let detail = e.detail.to_string();
    let hash = link_hash(&prev, seq, at, e.actor, action, e.subject, &detail);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(e.actor)
    .bind(action)
    .bind(e.subject)
    .bind(&detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Append `e` in a transaction of its own: for events that are the whole action (a
/// sign-in refused, a throttled attempt). A failure is the caller's error.
pub async fn append_alone(db: &Db, e: &Entry<'_>) -> Result<i64, DbError> {
    let mut tx = db.pool.begin().await?;
    let seq = append(&mut tx, e).await?;
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

/// A signed checkpoint of the chain's head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Checkpoint {
    /// The last event it covers.
    pub seq: i64,
    /// That event's hash (hex).
    pub hash: String,
    /// When it was signed, Unix milliseconds.
    pub at: i64,
    pub key_id: String,
    /// The signer's certificate (the default agency's seal).
    pub certificate_pem: String,
    /// Base64 Ed25519 signature over `kho-audit-checkpoint/1\n{seq}\n{hash}\n{at}`.
    pub signature: String,
}

/// Keep a checkpoint (a second one for the same event is ignored).
pub async fn add_checkpoint(db: &Db, c: &Checkpoint) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, hash, at, key_id, certificate_pem, signature)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING",
    )
    .bind(c.seq)
    .bind(&c.hash)
    .bind(c.at)
    .bind(&c.key_id)
    .bind(&c.certificate_pem)
    .bind(&c.signature)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Checkpoints in sequence order, newest last; with `latest`, only that many of the newest.
pub async fn checkpoints(db: &Db, latest: Option<i64>) -> Result<Vec<Checkpoint>, DbError> {
    let rows = sqlx::query(
        "SELECT seq, hash, at, key_id, certificate_pem, signature FROM audit_checkpoints
         ORDER BY seq DESC LIMIT $1",
    )
    .bind(latest.unwrap_or(i64::MAX))
    .fetch_all(&db.pool)
    .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Checkpoint {
                seq: r.try_get("seq")?,
                hash: r.try_get("hash")?,
                at: r.try_get("at")?,
                key_id: r.try_get("key_id")?,
                certificate_pem: r.try_get("certificate_pem")?,
                signature: r.try_get("signature")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    out.reverse();
    Ok(out)
}

/// The certificate the deployment holds for key `id`.
pub async fn key_certificate(db: &Db, id: &str) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT certificate_pem FROM signing_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}
