//! SQL for `documents`: filed results in their owners' repositories.

use sqlx::any::{Any, AnyRow};
use sqlx::{AssertSqlSafe, Row, Transaction};

use super::{Db, DbError, now_ms};

/// A document about to be filed (or held in review as a draft).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewDocument {
    pub id: String,
    pub owner_id: String,
    pub scan_id: String,
    pub job_id: String,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub status: String,
    pub pdf_sha256: String,
    pub pdf_bytes: i64,
    pub page_count: i64,
    pub mean_confidence: f64,
    pub ocr_text: String,
    pub pages_json: String,
    pub fields_json: String,
    pub pipeline_version: String,
}

/// A filed document as stored.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub owner_id: String,
    pub scan_id: String,
    pub job_id: String,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub status: String,
    pub pdf_sha256: String,
    pub pdf_bytes: i64,
    pub page_count: i64,
    pub mean_confidence: f64,
    pub ocr_text: String,
    pub pages_json: String,
    pub fields_json: String,
    pub pipeline_version: String,
    pub created_at: i64,
}

pub async fn insert(tx: &mut Transaction<'_, Any>, d: &NewDocument) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO documents (id, owner_id, scan_id, job_id, title, doc_type, number, issued_on,
                                status, pdf_sha256, pdf_bytes, page_count, mean_confidence,
                                ocr_text, pages_json, fields_json, pipeline_version, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&d.id)
    .bind(&d.owner_id)
    .bind(&d.scan_id)
    .bind(&d.job_id)
    .bind(d.title.as_deref())
    .bind(d.doc_type.as_deref())
    .bind(d.number.as_deref())
    .bind(d.issued_on.as_deref())
    .bind(&d.status)
    .bind(&d.pdf_sha256)
    .bind(d.pdf_bytes)
    .bind(d.page_count)
    .bind(d.mean_confidence)
    .bind(&d.ocr_text)
    .bind(&d.pages_json)
    .bind(&d.fields_json)
    .bind(&d.pipeline_version)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, owner_id, scan_id, job_id, title, doc_type, number, issued_on, status,
    pdf_sha256, pdf_bytes, page_count, mean_confidence, ocr_text, pages_json, fields_json,
    pipeline_version, created_at";

fn from_row(r: &AnyRow) -> Result<Document, sqlx::Error> {
    Ok(Document {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        scan_id: r.try_get("scan_id")?,
        job_id: r.try_get("job_id")?,
        title: r.try_get("title")?,
        doc_type: r.try_get("doc_type")?,
        number: r.try_get("number")?,
        issued_on: r.try_get("issued_on")?,
        status: r.try_get("status")?,
        pdf_sha256: r.try_get("pdf_sha256")?,
        pdf_bytes: r.try_get("pdf_bytes")?,
        page_count: r.try_get("page_count")?,
        mean_confidence: r.try_get("mean_confidence")?,
        ocr_text: r.try_get("ocr_text")?,
        pages_json: r.try_get("pages_json")?,
        fields_json: r.try_get("fields_json")?,
        pipeline_version: r.try_get("pipeline_version")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Document>, DbError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// An owner's documents, newest first.
pub async fn list_by_owner(db: &Db, owner_id: &str) -> Result<Vec<Document>, DbError> {
    // COLUMNS is a constant: no caller input reaches the SQL text.
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE owner_id = $1 ORDER BY created_at DESC, id"
    )))
    .bind(owner_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// How many documents were filed from one scan (exactly-once checks).
pub async fn count_for_scan(db: &Db, scan_id: &str) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE scan_id = $1")
            .bind(scan_id)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Why and when a document was revoked, and by what it was superseded.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Revocation {
    pub revoked_at: Option<i64>,
    pub reason: Option<String>,
    pub superseded_by: Option<String>,
}

/// The revocation record of document `id`.
pub async fn revocation(db: &Db, id: &str) -> Result<Revocation, DbError> {
    let row = sqlx::query(
        "SELECT revoked_at, revocation_reason, superseded_by FROM documents WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Revocation {
            revoked_at: r.try_get("revoked_at")?,
            reason: r.try_get("revocation_reason")?,
            superseded_by: r.try_get("superseded_by")?,
        },
        None => Revocation::default(),
    })
}

/// Revoke a valid document with a reason; false when it is not valid (already revoked,
/// or no such document).
pub async fn revoke(db: &Db, id: &str, reason: &str) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE documents SET status = 'revoked', revoked_at = $1, revocation_reason = $2
         WHERE id = $3 AND status = 'valid'",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The document whose signed PDF has this SHA-256.
pub async fn by_pdf_sha256(db: &Db, sha256: &str) -> Result<Option<Document>, DbError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE pdf_sha256 = $1 LIMIT 1"
    )))
    .bind(sha256)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}
