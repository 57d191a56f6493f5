//! SQL for `users`, `sessions` and `sign_in_throttle`: local accounts for the web pages.
//! Password hashing and the sign-in rules live in [`crate::accounts`]; session ids are
//! stored only as their SHA-256.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, new_id, now_ms};
use crate::domain::Role;

/// An account as stored.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub subject_id: Option<String>,
    pub agency: Option<String>,
    pub org_role: Option<String>,
    pub display_name: Option<String>,
}

/// What an account is created with.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub subject_id: Option<&'a str>,
    pub agency: Option<&'a str>,
    pub org_role: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Disable the account `username` and end its sessions, in the caller's transaction; its id, or
/// `None` when there is no such enabled account.
pub async fn disable(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    username: &str,
) -> Result<Option<String>, DbError> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE users SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL RETURNING id",
    )
    .bind(now_ms())
    .bind(username)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = &id {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Whether an enabled admin account exists.
pub async fn admin_exists(db: &Db) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// An account as the admin pages list it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub user: User,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// Every account, newest first.
pub async fn list(db: &Db) -> Result<Vec<Listed>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, created_at, disabled_at FROM users ORDER BY created_at DESC, username"
    )))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                user: from_row(r)?,
                created_at: r.try_get("created_at")?,
                disabled_at: r.try_get("disabled_at")?,
            })
        })
        .collect()
}

/// Bind a staff account's personal signing key: what it uploads is signed for custody
/// with it.
pub async fn bind_signing_key(db: &Db, user_id: &str, key_id: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET signing_key_id = $1 WHERE id = $2")
        .bind(key_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Create an account (and its subject, for citizens and organization members) in the
/// caller's transaction; `None` when the username is taken.
pub async fn create(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    u: &NewUser<'_>,
) -> Result<Option<String>, DbError> {
    let id = new_id();
    let now = now_ms();
    if let Some(s) = u.subject_id {
        let kind = if u.role == Role::Citizen {
            "citizen"
        } else {
            "organization"
        };
        sqlx::query(
            "INSERT INTO subjects (id, kind, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(s)
        .bind(kind)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let r = sqlx::query(
        "INSERT INTO users (id, username, password_hash, role, subject_id, agency, org_role,
                            display_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username) DO NOTHING",
    )
    .bind(&id)
    .bind(u.username)
    .bind(u.password_hash)
    .bind(u.role.as_str())
    .bind(u.subject_id)
    .bind(u.agency)
    .bind(u.org_role)
    .bind(u.display_name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() == 0 {
        return Ok(None);
    }
    Ok(Some(id))
}

const COLUMNS: &str =
    "id, username, password_hash, role, subject_id, agency, org_role, display_name";

fn from_row(r: &AnyRow) -> Result<User, DbError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        role: role.parse().map_err(DbError::Corrupt)?,
        subject_id: r.try_get("subject_id")?,
        agency: r.try_get("agency")?,
        org_role: r.try_get("org_role")?,
        display_name: r.try_get("display_name")?,
    })
}

/// An enabled account by username.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE username = $1 AND disabled_at IS NULL"
    )))
    .bind(username)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Count one sign-in attempt against `key` (`user:NAME` or `addr:IP`) and return how
/// many it has had in the window that began at or after `since_ms` (this one included).
/// The upsert is atomic, so attempts made in parallel each get their own number.
pub async fn count_attempt(db: &Db, key: &str, since_ms: i64) -> Result<i64, DbError> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO sign_in_throttle (key, window_start, attempts) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
             attempts = CASE WHEN sign_in_throttle.window_start < $3 THEN 1
                             ELSE sign_in_throttle.attempts + 1 END,
             window_start = CASE WHEN sign_in_throttle.window_start < $3 THEN $2
                                 ELSE sign_in_throttle.window_start END
         RETURNING attempts",
    )
    .bind(key)
    .bind(now)
    .bind(since_ms)
    .fetch_one(&db.pool)
    .await?)
}

/// Take back one attempt counted against `key` (a successful sign-in is not held
/// against its address).
pub async fn release_attempt(db: &Db, key: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE sign_in_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
    )
    .bind(key)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forget the attempts counted against `key` (after a successful sign-in).
pub async fn clear_attempts(db: &Db, key: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Start a session; `id_hash` is the SHA-256 of the cookie value.
pub async fn create_session(
    db: &Db,
    id_hash: &str,
    user_id: &str,
    csrf: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The account and CSRF token of a live session.
pub async fn session(db: &Db, id_hash: &str) -> Result<Option<(User, String)>, DbError> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.password_hash, u.role, u.subject_id, u.agency, u.org_role,
                u.display_name, s.csrf
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(id_hash)
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(Some((from_row(&r)?, r.try_get("csrf")?))),
        None => Ok(None),
    }
}

/// End a session.
pub async fn end_session(db: &Db, id_hash: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}
