//! The keyring's table (`signing_keys`): certificates and sealed private keys. What a
//! key is and does lives in `signing::keys`; this module only reads and writes rows.

use sqlx::{Any, Row, Transaction};

use super::{Db, DbError};

const COLUMNS: &str =
    "id, kind, name, agency, serial, certificate_pem, created_at, retired_at, revoked_at";

/// A key's row as listed: never its sealed private part.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub agency: Option<String>,
    pub serial: String,
    pub certificate_pem: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn row(r: &sqlx::any::AnyRow) -> Result<KeyRow, sqlx::Error> {
    Ok(KeyRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        agency: r.try_get("agency")?,
        serial: r.try_get("serial")?,
        certificate_pem: r.try_get("certificate_pem")?,
        created_at: r.try_get("created_at")?,
        retired_at: r.try_get("retired_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Every key, newest first.
pub async fn list(db: &Db) -> Result<Vec<KeyRow>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM signing_keys ORDER BY created_at DESC, id"
    )))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// The newest key of `kind` in use (neither retired nor revoked), the agency's or,
/// without one, the deployment's.
pub async fn active(db: &Db, kind: &str, agency: Option<&str>) -> Result<Option<KeyRow>, DbError> {
    // COLUMNS is a constant; the agency is bound, never spliced.
    let agency_clause = if agency.is_some() {
        "agency = $2"
    } else {
        "agency IS NULL"
    };
    let query = format!(
        "SELECT {COLUMNS} FROM signing_keys
         WHERE kind = $1 AND retired_at IS NULL AND revoked_at IS NULL AND {agency_clause}
         ORDER BY created_at DESC LIMIT 1"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(query)).bind(kind);
    if let Some(a) = agency {
        q = q.bind(a);
    }
    let found = q.fetch_optional(&db.pool).await?;
    Ok(found.as_ref().map(row).transpose()?)
}

/// A new key's row.
pub struct NewKey<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub agency: Option<&'a str>,
    pub issuer_id: Option<&'a str>,
    pub serial: &'a str,
    pub certificate_pem: &'a str,
    pub sealed_key: &'a str,
    pub created_at: i64,
}

pub async fn insert(tx: &mut Transaction<'_, Any>, k: &NewKey<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO signing_keys (id, kind, name, agency, issuer_id, serial, certificate_pem,
                                   sealed_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(k.id)
    .bind(k.kind)
    .bind(k.name)
    .bind(k.agency)
    .bind(k.issuer_id)
    .bind(k.serial)
    .bind(k.certificate_pem)
    .bind(k.sealed_key)
    .bind(k.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What signing with key `id` needs: its name, certificate, sealed private key and
/// issuer's id.
pub struct Sealed {
    pub name: String,
    pub certificate_pem: String,
    pub sealed_key: String,
    pub issuer_id: Option<String>,
}

pub async fn sealed(db: &Db, id: &str) -> Result<Option<Sealed>, DbError> {
    let found = sqlx::query(
        "SELECT name, certificate_pem, sealed_key, issuer_id FROM signing_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found
        .map(|r| -> Result<Sealed, sqlx::Error> {
            Ok(Sealed {
                name: r.try_get("name")?,
                certificate_pem: r.try_get("certificate_pem")?,
                sealed_key: r.try_get("sealed_key")?,
                issuer_id: r.try_get("issuer_id")?,
            })
        })
        .transpose()?)
}

/// Key `id`'s certificate and its issuer's id (for walking up a chain).
pub async fn certificate_and_issuer(
    db: &Db,
    id: &str,
) -> Result<(String, Option<String>), DbError> {
    let r = sqlx::query("SELECT certificate_pem, issuer_id FROM signing_keys WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    Ok((r.try_get("certificate_pem")?, r.try_get("issuer_id")?))
}

/// Key `id`'s issuer's id.
pub async fn issuer_of(db: &Db, id: &str) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT issuer_id FROM signing_keys WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Retire key `id` at `at` (kept for verification).
pub async fn retire(db: &Db, id: &str, at: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Retire the agency's keys of `kind` still in use, at `at`.
pub async fn retire_kind(
    tx: &mut Transaction<'_, Any>,
    kind: &str,
    agency: &str,
    at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE signing_keys SET retired_at = $1
         WHERE kind = $2 AND agency = $3 AND retired_at IS NULL",
    )
    .bind(at)
    .bind(kind)
    .bind(agency)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Revoke key `id` at `at` for `reason`; false when it was already revoked or is none.
pub async fn revoke(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    reason: &str,
    at: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE signing_keys SET revoked_at = $1, revocation_reason = $2
         WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Every revoked key's serial (hex) and when it was revoked.
pub async fn revoked_serials(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    let rows =
        sqlx::query("SELECT serial, revoked_at FROM signing_keys WHERE revoked_at IS NOT NULL")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("serial")?, r.try_get("revoked_at")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// The certificates `issuer` issued that are revoked, with when.
pub async fn revoked_under(db: &Db, issuer: &str) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT certificate_pem, revoked_at FROM signing_keys
         WHERE revoked_at IS NOT NULL AND issuer_id = $1",
    )
    .bind(issuer)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("certificate_pem")?, r.try_get("revoked_at")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}
