//! SQL for `documents`: filed results in their owners' repositories.

use sqlx::AnyConnection;
use sqlx::any::{Any, AnyRow};
use sqlx::{AssertSqlSafe, Row, Transaction};

use super::{Db, DbError, now_ms};
use crate::domain::Status;

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
    pub status: Status,
    pub pdf_sha256: String,
    pub pdf_bytes: i64,
    pub page_count: i64,
    pub mean_confidence: f64,
    pub ocr_text: String,
    pub pages_json: String,
    pub fields_json: String,
    pub pipeline_version: String,
    /// The agency that filed it (its seal is on the PDF).
    #[serde(default)]
    pub agency: Option<String>,
    /// The issuing body named on the document.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Validity, `YYYY-MM-DD`, when known.
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// `scan` (digitized here) or `push` (sent by an issuing agency's system).
    #[serde(default = "scan_source")]
    pub source: String,
}

fn scan_source() -> String {
    "scan".into()
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
    pub status: Status,
    pub pdf_sha256: String,
    pub pdf_bytes: i64,
    pub page_count: i64,
    pub mean_confidence: f64,
    pub ocr_text: String,
    pub pages_json: String,
    pub fields_json: String,
    pub pipeline_version: String,
    pub created_at: i64,
    pub agency: Option<String>,
    pub issuer: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub source: String,
}

pub async fn insert(tx: &mut Transaction<'_, Any>, d: &NewDocument) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO documents (id, owner_id, scan_id, job_id, title, doc_type, number, issued_on,
                                status, pdf_sha256, pdf_bytes, page_count, mean_confidence,
                                ocr_text, pages_json, fields_json, pipeline_version, created_at,
                                agency, issuer, issuer_folded, valid_from, valid_to, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $23, $24)",
    )
    .bind(&d.id)
    .bind(&d.owner_id)
    .bind(&d.scan_id)
    .bind(&d.job_id)
    .bind(d.title.as_deref())
    .bind(d.doc_type.as_deref())
    .bind(d.number.as_deref())
    .bind(d.issued_on.as_deref())
    .bind(d.status.as_str())
    .bind(&d.pdf_sha256)
    .bind(d.pdf_bytes)
    .bind(d.page_count)
    .bind(d.mean_confidence)
    .bind(&d.ocr_text)
    .bind(&d.pages_json)
    .bind(&d.fields_json)
    .bind(&d.pipeline_version)
    .bind(now_ms())
    .bind(d.agency.as_deref())
    .bind(d.issuer.as_deref())
    .bind(d.issuer.as_deref().map(crate::domain::text::fold))
    .bind(d.valid_from.as_deref())
    .bind(d.valid_to.as_deref())
    .bind(&d.source)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, owner_id, scan_id, job_id, title, doc_type, number, issued_on, status,
    pdf_sha256, pdf_bytes, page_count, mean_confidence, ocr_text, pages_json, fields_json,
    pipeline_version, created_at, agency, issuer, valid_from, valid_to, source";

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
        status: effective_status(
            r.try_get::<String, _>("status")?
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            r.try_get("valid_to")?,
        ),
        pdf_sha256: r.try_get("pdf_sha256")?,
        pdf_bytes: r.try_get("pdf_bytes")?,
        page_count: r.try_get("page_count")?,
        mean_confidence: r.try_get("mean_confidence")?,
        ocr_text: r.try_get("ocr_text")?,
        pages_json: r.try_get("pages_json")?,
        fields_json: r.try_get("fields_json")?,
        pipeline_version: r.try_get("pipeline_version")?,
        created_at: r.try_get("created_at")?,
        agency: r.try_get("agency")?,
        issuer: r.try_get("issuer")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        source: r.try_get("source")?,
    })
}

/// A valid document whose validity ended before today reads as `expired`; nothing needs
/// to run at midnight to make it so.
fn effective_status(stored: Status, valid_to: Option<String>) -> Status {
    match valid_to {
        Some(to) if stored == Status::Valid && to.as_str() < today().as_str() => Status::Expired,
        _ => stored,
    }
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let (y, m, d, ..) = crate::domain::civil(now_ms() / 1000);
    format!("{y:04}-{m:02}-{d:02}")
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

/// The documents with these ids, in one query (those that exist, in no order).
pub async fn get_many(db: &Db, ids: &[String]) -> Result<Vec<Document>, DbError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Only numbered placeholders are spliced in; the ids are bound.
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM documents WHERE id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// An owner's documents, newest first; only those `agency` filed, when given.
pub async fn list_by_owner(
    db: &Db,
    owner_id: &str,
    agency: Option<&str>,
) -> Result<Vec<Document>, DbError> {
    // COLUMNS is a constant: no caller input reaches the SQL text.
    let by_agency = if agency.is_some() {
        " AND agency = $2"
    } else {
        ""
    };
    let mut q = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE owner_id = $1{by_agency}
         ORDER BY created_at DESC, id"
    )))
    .bind(owner_id);
    if let Some(a) = agency {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&db.pool).await?;
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
pub async fn revoke(conn: &mut AnyConnection, id: &str, reason: &str) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE documents SET status = 'revoked', revoked_at = $1, revocation_reason = $2
         WHERE id = $3 AND status = 'valid'",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The document whose signed PDF has this SHA-256: where several filings share the file,
/// a revoked one first, then a superseded one, then the earliest, so a revocation shows
/// wherever the same file is verified.
pub async fn by_pdf_sha256(db: &Db, sha256: &str) -> Result<Option<Document>, DbError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE pdf_sha256 = $1
         ORDER BY CASE status WHEN 'revoked' THEN 0 WHEN 'superseded' THEN 1 ELSE 2 END,
                  created_at, id
         LIMIT 1"
    )))
    .bind(sha256)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Mark `old_id` superseded by `new_id`, inside the caller's transaction; false unless
/// `old_id` is a valid document of the same owner filed by the same agency.
pub async fn supersede(
    tx: &mut Transaction<'_, Any>,
    old_id: &str,
    new_id: &str,
    owner_id: &str,
    agency: &str,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE documents SET status = 'superseded', superseded_by = $1
         WHERE id = $2 AND owner_id = $3 AND agency = $4 AND status = 'valid'",
    )
    .bind(new_id)
    .bind(old_id)
    .bind(owner_id)
    .bind(agency)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Record `agency` as the filer of scanned documents that name none (filed before
/// documents carried their agency, by uploaders bound to no agency); returns how many.
pub async fn adopt_unfiled(db: &Db, agency: &str) -> Result<u64, DbError> {
    let r =
        sqlx::query("UPDATE documents SET agency = $1 WHERE agency IS NULL AND source = 'scan'")
            .bind(agency)
            .execute(&db.pool)
            .await?;
    Ok(r.rows_affected())
}

/// Up to `limit` filed documents (each a signed PDF), by id after `after`: (id, PDF
/// SHA-256).
pub async fn signed_pdfs_after(
    db: &Db,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT id, pdf_sha256 FROM documents
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("pdf_sha256")?)))
        .collect()
}

/// Point document `id` at a new PDF (a longer revision of the one it had), when it
/// still has `old_sha256`; false when another process changed it first.
pub async fn replace_pdf(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    old_sha256: &str,
    new_sha256: &str,
    new_bytes: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE documents SET pdf_sha256 = $1, pdf_bytes = $2 WHERE id = $3 AND pdf_sha256 = $4",
    )
    .bind(new_sha256)
    .bind(new_bytes)
    .bind(id)
    .bind(old_sha256)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}
