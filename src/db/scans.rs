//! SQL for `subjects`, `scans` and `scan_files`: an upload is recorded together with the
//! job that will digitize it, in one transaction.

use sqlx::Row;

use super::{Db, DbError, new_id, now_ms};
use crate::domain::SubjectId;
use crate::domain::audit::{Action, Entry};

/// One uploaded file, already stored as an object.
#[derive(Debug, Clone)]
pub struct NewScanFile {
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub pages: i64,
    pub filename: Option<String>,
}

/// A stored file of a scan, in upload order.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScanFile {
    /// 1-based position among the upload's files.
    pub position: i64,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub pages: i64,
    pub filename: Option<String>,
}

/// Ids created for an upload.
#[derive(Debug, Clone)]
pub struct Created {
    pub scan_id: String,
    pub job_id: String,
    /// True when a scan with the same content key was already recorded: these are its
    /// ids, and nothing new was written.
    pub existing: bool,
}

/// The scan and job recorded under `content_key`, if any.
async fn by_content_key(db: &Db, content_key: &str) -> Result<Option<Created>, DbError> {
    let row = sqlx::query(
        "SELECT s.id AS scan_id, j.id AS job_id FROM scans s JOIN jobs j ON j.scan_id = s.id
         WHERE s.content_key = $1 ORDER BY j.created_at LIMIT 1",
    )
    .bind(content_key)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(Some(Created {
            scan_id: r.try_get("scan_id")?,
            job_id: r.try_get("job_id")?,
            existing: true,
        })),
        None => Ok(None),
    }
}

/// Record the owner (when new), the scan, its files, a queued `digitize` job and the
/// `upload` audit event — all or nothing. With a `content_key`, a scan already recorded under it is returned instead
/// (also when another process records it at the same moment: the unique index decides).
/// A scan to record.
pub struct NewScan<'a> {
    pub owner: &'a SubjectId,
    pub files: &'a [NewScanFile],
    pub uploader: &'a crate::domain::Uploader,
    pub max_attempts: u32,
    /// Record the scan once per key (idempotent batch ingest).
    pub content_key: Option<&'a str>,
    /// What a batch manifest says about its document.
    pub metadata: Option<&'a crate::domain::manifest::Entry>,
}

pub async fn create_with_job(db: &Db, scan: &NewScan<'_>) -> Result<Created, DbError> {
    if let Some(key) = scan.content_key
        && let Some(found) = by_content_key(db, key).await?
    {
        return Ok(found);
    }
    match insert_with_job(db, scan).await {
        Err(DbError::Sqlx(sqlx::Error::Database(e)))
            if e.is_unique_violation() && scan.content_key.is_some() =>
        {
            by_content_key(db, scan.content_key.expect("checked"))
                .await?
                .ok_or_else(|| DbError::Corrupt("a content key without its scan".into()))
        }
        other => other,
    }
}

/// What the manifest said about a scan's document, if anything.
pub async fn metadata(
    db: &Db,
    scan_id: &str,
) -> Result<Option<crate::domain::manifest::Entry>, DbError> {
    let json: Option<Option<String>> =
        sqlx::query_scalar("SELECT metadata_json FROM scans WHERE id = $1")
            .bind(scan_id)
            .fetch_optional(&db.pool)
            .await?;
    json.flatten()
        .map(|j| {
            serde_json::from_str(&j).map_err(|e| DbError::Corrupt(format!("scan metadata: {e}")))
        })
        .transpose()
}

async fn insert_with_job(db: &Db, scan: &NewScan<'_>) -> Result<Created, DbError> {
    let NewScan {
        owner,
        files,
        uploader,
        max_attempts,
        content_key,
        metadata,
    } = *scan;
    let now = now_ms();
    let scan_id = new_id();
    let job_id = new_id();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO subjects (id, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(owner.as_str())
    .bind(owner.kind())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO scans (id, owner_id, file_count, page_count, total_bytes, uploaded_by, created_at,
                            content_key, metadata_json, uploader_kind, agency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&scan_id)
    .bind(owner.as_str())
    .bind(files.len() as i64)
    .bind(files.iter().map(|f| f.pages).sum::<i64>())
    .bind(files.iter().map(|f| f.bytes).sum::<i64>())
    .bind(uploader.id.as_deref())
    .bind(now)
    .bind(content_key)
    .bind(metadata.map(|m| serde_json::to_string(m).expect("metadata serializes")))
    .bind(uploader.kind.as_str())
    .bind(&uploader.agency)
    .execute(&mut *tx)
    .await?;
    for (i, f) in files.iter().enumerate() {
        sqlx::query(
            "INSERT INTO scan_files (scan_id, position, sha256, content_type, bytes, pages, filename)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&scan_id)
        .bind(i as i64 + 1)
        .bind(&f.sha256)
        .bind(&f.content_type)
        .bind(f.bytes)
        .bind(f.pages)
        .bind(f.filename.as_deref())
        .execute(&mut *tx)
        .await?;
    }
    super::jobs::enqueue(&mut tx, &job_id, "digitize", &scan_id, max_attempts, now).await?;
    // The upload's event commits with the scan: no scan without its event, and none
    // recorded for a scan that was not.
    let detail = serde_json::json!({
        "owner": owner.as_str(), "job": job_id,
        "files": files.iter().map(|f| &f.sha256).collect::<Vec<_>>(),
    });
    let actor = uploader.id.as_deref().unwrap_or("-");
    super::audit::append(
        &mut tx,
        &Entry::new(actor, Action::Upload, &scan_id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        scan_id,
        job_id,
        existing: false,
    })
}

/// The files of a scan, in upload order.
pub async fn files(db: &Db, scan_id: &str) -> Result<Vec<ScanFile>, DbError> {
    let rows = sqlx::query(
        "SELECT position, sha256, content_type, bytes, pages, filename
         FROM scan_files WHERE scan_id = $1 ORDER BY position",
    )
    .bind(scan_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ScanFile {
                position: r.try_get("position")?,
                sha256: r.try_get("sha256")?,
                content_type: r.try_get("content_type")?,
                bytes: r.try_get("bytes")?,
                pages: r.try_get("pages")?,
                filename: r.try_get("filename")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// The owner of a scan.
pub async fn owner(db: &Db, scan_id: &str) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT owner_id FROM scans WHERE id = $1")
            .bind(scan_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Counts used by tests and health figures: (subjects, scans, scan files, jobs).
pub async fn counts(db: &Db) -> Result<(i64, i64, i64, i64), DbError> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM subjects) AS a, (SELECT COUNT(*) FROM scans) AS b,
                (SELECT COUNT(*) FROM scan_files) AS c, (SELECT COUNT(*) FROM jobs) AS d",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((
        row.try_get("a")?,
        row.try_get("b")?,
        row.try_get("c")?,
        row.try_get("d")?,
    ))
}

/// Who uploaded a scan, as recorded at intake, with their personal signing key.
#[derive(Debug, Clone)]
pub struct ScanUploader {
    pub kind: Option<String>,
    /// The agency the uploader acted for; `None` only for a scan whose uploader could
    /// not be resolved (it is filed by no one).
    pub agency: Option<String>,
    /// The uploader's personal signing key (a staff token's or a staff account's).
    pub signing_key_id: Option<String>,
}

/// The uploader of a scan, if the scan exists.
pub async fn uploader(db: &Db, scan_id: &str) -> Result<Option<ScanUploader>, DbError> {
    let row = sqlx::query(
        "SELECT s.uploader_kind, s.agency,
                CASE s.uploader_kind WHEN 'token' THEN t.signing_key_id
                                     WHEN 'user' THEN u.signing_key_id END AS signing_key_id
         FROM scans s
         LEFT JOIN api_tokens t ON t.id = s.uploaded_by
         LEFT JOIN users u ON u.id = s.uploaded_by
         WHERE s.id = $1",
    )
    .bind(scan_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(ScanUploader {
            kind: r.try_get("uploader_kind")?,
            agency: r.try_get("agency")?,
            signing_key_id: r.try_get("signing_key_id")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| DbError::from(e))
}

/// Scans recorded before their agency was (by the command line, which then filed for
/// the first configured agency) are given that agency; returns how many.
pub async fn adopt_operator_scans(db: &Db, agency: &str) -> Result<u64, DbError> {
    Ok(sqlx::query(
        "UPDATE scans SET agency = $1 WHERE agency IS NULL AND uploader_kind = 'operator'",
    )
    .bind(agency)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Record a born-digital document pushed by an issuing system as its own "scan" (the
/// pushed PDF is its original) with a `push` job already done, inside the caller's
/// transaction, so the document has the same provenance as a digitized one.
pub async fn record_push(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    owner: &SubjectId,
    file: &NewScanFile,
    uploaded_by: &str,
    agency: &str,
    document_id: &str,
) -> Result<Created, DbError> {
    let now = now_ms();
    let scan_id = new_id();
    let job_id = new_id();
    sqlx::query(
        "INSERT INTO subjects (id, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(owner.as_str())
    .bind(owner.kind())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO scans (id, owner_id, file_count, page_count, total_bytes, uploaded_by, created_at,
                            uploader_kind, agency)
         VALUES ($1, $2, 1, $3, $4, $5, $6, 'token', $7)",
    )
    .bind(&scan_id)
    .bind(owner.as_str())
    .bind(file.pages)
    .bind(file.bytes)
    .bind(uploaded_by)
    .bind(now)
    .bind(agency)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO scan_files (scan_id, position, sha256, content_type, bytes, pages, filename)
         VALUES ($1, 1, $2, $3, $4, $5, $6)",
    )
    .bind(&scan_id)
    .bind(&file.sha256)
    .bind(&file.content_type)
    .bind(file.bytes)
    .bind(file.pages)
    .bind(file.filename.as_deref())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO jobs (id, kind, scan_id, state, attempts, max_attempts, run_after, document_id,
                           created_at, updated_at)
         VALUES ($1, 'push', $2, 'done', 1, 1, $3, $4, $3, $3)",
    )
    .bind(&job_id)
    .bind(&scan_id)
    .bind(now)
    .bind(document_id)
    .execute(&mut **tx)
    .await?;
    Ok(Created {
        scan_id,
        job_id,
        existing: false,
    })
}
