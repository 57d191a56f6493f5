//! SQL for `batches` and `batch_items`: boxes of scans uploaded over the API, and what
//! became of each document in them.

use sqlx::Row;

use super::{Db, DbError, new_id, now_ms};

/// A batch as stored.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: String,
    pub name: String,
    pub agency: String,
    pub split: bool,
    pub owner_id: Option<String>,
    pub manifest: Option<String>,
    pub created_at: i64,
}

/// A document of a batch: its job, or why it was refused.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// Its place in the batch, from 1 (0 until recorded).
    pub position: i64,
    pub label: String,
    pub job_id: Option<String>,
    pub reason: Option<String>,
    /// A refused file kept to be retried: its content hash and name as uploaded.
    pub kept: Option<Kept>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub sha256: String,
    pub filename: Option<String>,
}

pub struct NewBatch<'a> {
    pub name: &'a str,
    pub created_by: &'a str,
    pub agency: &'a str,
    pub split: bool,
    pub owner_id: Option<&'a str>,
    pub manifest: Option<&'a str>,
    /// The client's Idempotency-Key, if it sent one.
    pub idempotency_key: Option<&'a str>,
}

/// How a creation went.
pub enum Creation {
    Created(String),
    /// The creator's key was used before: that batch, as recorded.
    Existing(Batch),
}

/// Record a batch; with an idempotency key used before by the same creator, the batch
/// it made instead (nothing recorded).
pub async fn create(db: &Db, b: &NewBatch<'_>) -> Result<Creation, DbError> {
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO batches (id, name, created_by, agency, split, owner_id, manifest, created_at, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
    )
    .bind(&id)
    .bind(b.name)
    .bind(b.created_by)
    .bind(b.agency)
    .bind(b.split as i64)
    .bind(b.owner_id)
    .bind(b.manifest)
    .bind(now_ms())
    .bind(b.idempotency_key)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Creation::Created(id));
    }
    let first: String =
        sqlx::query_scalar("SELECT id FROM batches WHERE created_by = $1 AND idempotency_key = $2")
            .bind(b.created_by)
            .bind(b.idempotency_key)
            .fetch_one(&db.pool)
            .await?;
    Ok(Creation::Existing(
        get(db, &first).await?.ok_or(sqlx::Error::RowNotFound)?,
    ))
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Batch>, DbError> {
    let row = sqlx::query(
        "SELECT id, name, agency, split, owner_id, manifest, created_at FROM batches WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Batch {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        agency: r.try_get("agency")?,
        split: r.try_get::<i64, _>("split")? != 0,
        owner_id: r.try_get("owner_id")?,
        manifest: r.try_get("manifest")?,
        created_at: r.try_get("created_at")?,
    }))
}

/// Append items, numbered after those already there, in one transaction.
pub async fn add_items(db: &Db, batch_id: &str, items: &[Item]) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    let next: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(position), 0) FROM batch_items WHERE batch_id = $1",
    )
    .bind(batch_id)
    .fetch_one(&mut *tx)
    .await?;
    for (i, it) in items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO batch_items (batch_id, position, label, job_id, reason, content_sha256, filename)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(batch_id)
        .bind(next + 1 + i as i64)
        .bind(&it.label)
        .bind(it.job_id.as_deref())
        .bind(it.reason.as_deref())
        .bind(it.kept.as_ref().map(|k| k.sha256.as_str()))
        .bind(it.kept.as_ref().and_then(|k| k.filename.as_deref()))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn items(db: &Db, batch_id: &str) -> Result<Vec<Item>, DbError> {
    let rows = sqlx::query(
        "SELECT position, label, job_id, reason, content_sha256, filename
         FROM batch_items WHERE batch_id = $1 ORDER BY position",
    )
    .bind(batch_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let sha256: Option<String> = r.try_get("content_sha256")?;
            Ok(Item {
                position: r.try_get("position")?,
                label: r.try_get("label")?,
                job_id: r.try_get("job_id")?,
                reason: r.try_get("reason")?,
                kept: match sha256 {
                    Some(sha256) => Some(Kept {
                        sha256,
                        filename: r.try_get("filename")?,
                    }),
                    None => None,
                },
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// A retried refused item's new outcome: its job (the kept file is no longer needed
/// by the item), or why it was refused again. False when the item is not a refused
/// one (any more): another retry won the race, or it never was.
pub async fn retried(
    db: &Db,
    batch_id: &str,
    position: i64,
    job_id: Option<&str>,
    reason: Option<&str>,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE batch_items SET job_id = $1, reason = $2,
                content_sha256 = CASE WHEN $1 IS NULL THEN content_sha256 ELSE NULL END
         WHERE batch_id = $3 AND position = $4 AND job_id IS NULL",
    )
    .bind(job_id)
    .bind(reason)
    .bind(batch_id)
    .bind(position)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An agency's batches, newest first, each with its number of documents.
pub async fn list(db: &Db, agency: &str, limit: i64) -> Result<Vec<(Batch, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT b.id, b.name, b.agency, b.split, b.owner_id, b.created_at,
                (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id) AS documents
         FROM batches b WHERE b.agency = $1 ORDER BY b.created_at DESC, b.id LIMIT $2",
    )
    .bind(agency)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                Batch {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    agency: r.try_get("agency")?,
                    split: r.try_get::<i64, _>("split")? != 0,
                    owner_id: r.try_get("owner_id")?,
                    manifest: None,
                    created_at: r.try_get("created_at")?,
                },
                r.try_get("documents")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// When the batch's jobs last changed (the end of its run once none waits), if it has
/// any.
pub async fn last_change(db: &Db, batch_id: &str) -> Result<Option<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(j.updated_at) FROM batch_items i JOIN jobs j ON j.id = i.job_id
         WHERE i.batch_id = $1",
    )
    .bind(batch_id)
    .fetch_one(&db.pool)
    .await?)
}
