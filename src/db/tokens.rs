//! SQL for `api_tokens`. Only the SHA-256 of a token is stored; the token is shown once,
//! when it is created.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::{Db, DbError, new_id, now_ms};
use crate::domain::Role;

/// Who is calling: the holder of an API token, a signed-in account, or a requester
/// holding an OAuth access token for one grant.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    /// The token's or the account's id.
    pub id: String,
    /// An API token, a web session, or a requester's grant token.
    pub kind: crate::domain::PrincipalKind,
    pub role: Role,
    pub subject_id: Option<String>,
    pub agency: Option<String>,
    /// For organization members: `admin` or `member` of the organization.
    pub org_role: Option<String>,
    /// For requesters: the live grant the access token was issued for.
    pub grant: Option<crate::db::grants::Grant>,
}

/// A token to create.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub role: Role,
    pub subject_id: Option<&'a str>,
    pub agency: Option<&'a str>,
    /// For organization members: `admin` or `member`.
    pub org_role: Option<&'a str>,
    /// Unix milliseconds; `None` for a token that lasts until revoked.
    pub expires_at: Option<i64>,
}

/// Create a token on `conn` (the caller's transaction) and return it in clear (the only
/// time it exists in clear).
pub async fn insert(conn: &mut AnyConnection, t: &NewToken<'_>) -> Result<String, DbError> {
    let secret: [u8; 32] = rand::random();
    let token = format!("kho_{}", hex::encode(secret));
    sqlx::query(
        "INSERT INTO api_tokens (id, token_hash, role, subject_id, agency, org_role, expires_at,
                                 created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(hash(&token))
    .bind(t.role.as_str())
    .bind(t.subject_id)
    .bind(t.agency)
    .bind(t.org_role)
    .bind(t.expires_at)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Create a token and return it in clear.
pub async fn create(
    db: &Db,
    role: Role,
    subject_id: Option<&str>,
    agency: Option<&str>,
) -> Result<String, DbError> {
    let new = NewToken {
        role,
        subject_id,
        agency,
        org_role: None,
        expires_at: None,
    };
    insert(&mut *db.pool.acquire().await?, &new).await
}

/// Bind a staff member's personal signing key to `token`: their uploads are signed for
/// custody with it.
pub async fn bind_signing_key(db: &Db, token: &str, key_id: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE api_tokens SET signing_key_id = $1 WHERE token_hash = $2")
        .bind(key_id)
        .bind(hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Make `token` stop working at `expires_at` (Unix milliseconds).
pub async fn set_expiry(db: &Db, token: &str, expires_at: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE token_hash = $2")
        .bind(expires_at)
        .bind(hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A token as listed (never the token itself: only its hash is stored).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub role: String,
    pub subject_id: Option<String>,
    pub agency: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Every token, oldest first.
pub async fn list(db: &Db) -> Result<Vec<TokenInfo>, DbError> {
    let rows = sqlx::query(
        "SELECT id, role, subject_id, agency, created_at, expires_at, revoked_at FROM api_tokens
         ORDER BY created_at, id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.try_get("id")?,
                role: r.try_get("role")?,
                subject_id: r.try_get("subject_id")?,
                agency: r.try_get("agency")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// Revoke the token with this id; false when there is none or it was revoked already.
pub async fn revoke(conn: &mut AnyConnection, id: &str) -> Result<bool, DbError> {
    Ok(
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Make an organization member's token that of an organization `admin` or `member`.
pub async fn set_org_role(db: &Db, token: &str, org_role: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE api_tokens SET org_role = $1 WHERE token_hash = $2")
        .bind(org_role)
        .bind(hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The owner of `token`, when it exists and is not revoked.
pub async fn find(db: &Db, token: &str) -> Result<Option<TokenOwner>, DbError> {
    let row = sqlx::query(
        "SELECT id, role, subject_id, agency, org_role FROM api_tokens
         WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(hash(token))
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let role: String = r.try_get("role")?;
    let Ok(role) = role.parse::<Role>() else {
        return Ok(None);
    };
    Ok(Some(TokenOwner {
        id: r.try_get("id")?,
        kind: crate::domain::PrincipalKind::Token,
        role,
        subject_id: r.try_get("subject_id")?,
        agency: r.try_get("agency")?,
        org_role: r.try_get("org_role")?,
        grant: None,
    }))
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
