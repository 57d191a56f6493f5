//! SQL for consent-based reuse: `requesters` (registered OAuth 2.0 clients), `grants`
//! and the documents they release, single-use `oauth_codes`, `grant_tokens`, and the
//! `access_log` of every pull. Secrets, codes and tokens are stored only as SHA-256.

use sqlx::Row;
use sqlx::Transaction;
use sqlx::any::{Any, AnyRow};

use crate::domain::audit::{Action, Entry};

use super::{Db, DbError, new_id, now_ms};

/// A registered requester system.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Requester {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    #[serde(skip)]
    pub secret_hash: String,
}

/// Register a requester, with its `requester_create` event naming `actor` in the same
/// transaction; returns its client id.
pub async fn create_requester(
    db: &Db,
    actor: &str,
    name: &str,
    redirect_uris: &[String],
    secret_hash: &str,
) -> Result<String, DbError> {
    let client_id = format!("req_{}", hex::encode(rand::random::<[u8; 8]>()));
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO requesters (client_id, secret_hash, name, redirect_uris, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&client_id)
    .bind(secret_hash)
    .bind(name)
    .bind(serde_json::to_string(redirect_uris).expect("strings serialize"))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"name": name, "redirect_uris": redirect_uris});
    let event = Entry::new(actor, Action::RequesterCreate, &client_id, detail);
    super::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(client_id)
}

/// A requester as the admin pages list it.
#[derive(Debug, Clone)]
pub struct RequesterRow {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// Every requester, newest first.
pub async fn list_requesters(db: &Db) -> Result<Vec<RequesterRow>, DbError> {
    let rows = sqlx::query(
        "SELECT client_id, name, redirect_uris, created_at, disabled_at FROM requesters
         ORDER BY created_at DESC, client_id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let uris: String = r.try_get("redirect_uris")?;
            Ok(RequesterRow {
                client_id: r.try_get("client_id")?,
                name: r.try_get("name")?,
                redirect_uris: serde_json::from_str(&uris).unwrap_or_default(),
                created_at: r.try_get("created_at")?,
                disabled_at: r.try_get("disabled_at")?,
            })
        })
        .collect()
}

/// An enabled requester.
pub async fn requester(db: &Db, client_id: &str) -> Result<Option<Requester>, DbError> {
    let row = sqlx::query(
        "SELECT client_id, name, redirect_uris, secret_hash FROM requesters
         WHERE client_id = $1 AND disabled_at IS NULL",
    )
    .bind(client_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let uris: String = r.try_get("redirect_uris")?;
    Ok(Some(Requester {
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        redirect_uris: serde_json::from_str(&uris).map_err(|e| DbError::Corrupt(e.to_string()))?,
        secret_hash: r.try_get("secret_hash")?,
    }))
}

/// A consent as the owner sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    /// The requester's name, as on the consent page.
    pub requester: String,
    pub owner_id: String,
    pub purpose: String,
    pub document_ids: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// `active`, `revoked` or `expired`.
    pub state: String,
}

/// What a new grant releases.
pub struct NewGrant<'a> {
    pub client_id: &'a str,
    pub owner_id: &'a str,
    pub granted_by: &'a str,
    pub purpose: &'a str,
    pub document_ids: &'a [String],
    pub expires_at: i64,
}

/// Record a consent and the authorization code that redeems it, in the caller's
/// transaction (which also takes the `grant` event).
pub async fn create_with_code(
    tx: &mut Transaction<'_, Any>,
    g: &NewGrant<'_>,
    code_hash: &str,
    redirect_uri: &str,
    code_challenge: &str,
    code_expires_at: i64,
) -> Result<String, DbError> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO grants (id, client_id, owner_id, granted_by, purpose, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(g.client_id)
    .bind(g.owner_id)
    .bind(g.granted_by)
    .bind(g.purpose)
    .bind(now_ms())
    .bind(g.expires_at)
    .execute(&mut **tx)
    .await?;
    for d in g.document_ids {
        sqlx::query("INSERT INTO grant_documents (grant_id, document_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(d)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge,
                                  expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(code_hash)
    .bind(&id)
    .bind(g.client_id)
    .bind(redirect_uri)
    .bind(code_challenge)
    .bind(code_expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// An authorization code, once redeemed.
pub struct Code {
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: i64,
}

/// Mark a code used and return it; `None` when unknown or already used (a code works
/// once, even when two exchanges race).
pub async fn redeem_code(db: &Db, code_hash: &str) -> Result<Option<Code>, DbError> {
    let r =
        sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
            .bind(now_ms())
            .bind(code_hash)
            .execute(&db.pool)
            .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    let r = sqlx::query(
        "SELECT grant_id, client_id, redirect_uri, code_challenge, expires_at FROM oauth_codes
         WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_one(&db.pool)
    .await?;
    Ok(Some(Code {
        grant_id: r.try_get("grant_id")?,
        client_id: r.try_get("client_id")?,
        redirect_uri: r.try_get("redirect_uri")?,
        code_challenge: r.try_get("code_challenge")?,
        expires_at: r.try_get("expires_at")?,
    }))
}

/// Disable a requester system and end its access tokens, in one transaction; false
/// when there is no such enabled requester.
pub async fn disable_requester(db: &Db, actor: &str, client_id: &str) -> Result<bool, DbError> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE requesters SET disabled_at = $1 WHERE client_id = $2 AND disabled_at IS NULL",
    )
    .bind(now)
    .bind(client_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if done {
        sqlx::query(
            "UPDATE grant_tokens SET expires_at = $1 WHERE expires_at > $1
             AND grant_id IN (SELECT id FROM grants WHERE client_id = $2)",
        )
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        let event = Entry::new(
            actor,
            Action::RequesterDisable,
            client_id,
            serde_json::json!({}),
        );
        super::audit::append(&mut tx, &event).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// A code presented again after it was used: end every access token issued for its
/// grant (RFC 6749 §4.1.2: the code may have been stolen), recording the replay by
/// `client_id` when any were. Returns how many were ended.
pub async fn revoke_tokens_of_used_code(
    db: &Db,
    code_hash: &str,
    client_id: &str,
) -> Result<u64, DbError> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let ended = sqlx::query(
        "UPDATE grant_tokens SET expires_at = $1
         WHERE expires_at > $1 AND grant_id IN
             (SELECT grant_id FROM oauth_codes WHERE code_hash = $2 AND used_at IS NOT NULL)",
    )
    .bind(now)
    .bind(code_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if ended > 0 {
        let detail = serde_json::json!({"client": client_id, "tokens_ended": ended});
        let event = Entry::new("-", Action::OauthCodeReplayed, client_id, detail);
        super::audit::append(&mut tx, &event).await?;
    }
    tx.commit().await?;
    Ok(ended)
}

/// Issue an access token for a grant.
pub async fn create_token(
    db: &Db,
    token_hash: &str,
    grant_id: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO grant_tokens (token_hash, grant_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(grant_id)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The live grant behind an access token: not revoked, not expired, token not expired.
pub async fn by_token(db: &Db, token_hash: &str) -> Result<Option<Grant>, DbError> {
    let now = now_ms();
    let id: Option<String> = sqlx::query_scalar(
        "SELECT g.id FROM grant_tokens t JOIN grants g ON g.id = t.grant_id
              JOIN requesters r ON r.client_id = g.client_id
         WHERE t.token_hash = $1 AND t.expires_at > $2 AND g.expires_at > $2
               AND g.revoked_at IS NULL AND r.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    match id {
        Some(id) => get(db, &id).await,
        None => Ok(None),
    }
}

const GRANT_SELECT: &str = "SELECT g.id, g.client_id, r.name, g.owner_id, g.purpose, g.created_at,
    g.expires_at, g.revoked_at FROM grants g JOIN requesters r ON r.client_id = g.client_id";

async fn from_row(db: &Db, r: &AnyRow) -> Result<Grant, DbError> {
    let id: String = r.try_get("id")?;
    let document_ids: Vec<String> = sqlx::query_scalar(
        "SELECT document_id FROM grant_documents WHERE grant_id = $1 ORDER BY document_id",
    )
    .bind(&id)
    .fetch_all(&db.pool)
    .await?;
    let expires_at: i64 = r.try_get("expires_at")?;
    let revoked_at: Option<i64> = r.try_get("revoked_at")?;
    let state = if revoked_at.is_some() {
        "revoked"
    } else if expires_at <= now_ms() {
        "expired"
    } else {
        "active"
    };
    Ok(Grant {
        id,
        client_id: r.try_get("client_id")?,
        requester: r.try_get("name")?,
        owner_id: r.try_get("owner_id")?,
        purpose: r.try_get("purpose")?,
        document_ids,
        created_at: r.try_get("created_at")?,
        expires_at,
        revoked_at,
        state: state.into(),
    })
}

/// One grant.
pub async fn get(db: &Db, id: &str) -> Result<Option<Grant>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{GRANT_SELECT} WHERE g.id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(Some(from_row(db, &r).await?)),
        None => Ok(None),
    }
}

/// An owner's grants, newest first.
pub async fn for_owner(db: &Db, owner_id: &str) -> Result<Vec<Grant>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{GRANT_SELECT} WHERE g.owner_id = $1 ORDER BY g.created_at DESC, g.id"
    )))
    .bind(owner_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(from_row(db, r).await?);
    }
    Ok(out)
}

/// Revoke an owner's live grant; false when there is none to revoke.
/// The revocation and its `grant_revoke` event commit together.
pub async fn revoke(db: &Db, id: &str, owner_id: &str) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    let r = sqlx::query(
        "UPDATE grants SET revoked_at = $1 WHERE id = $2 AND owner_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .bind(owner_id)
    .execute(&mut *tx)
    .await?;
    let done = r.rows_affected() == 1;
    if done {
        let detail = serde_json::json!({"owner": owner_id});
        let event = Entry::new(owner_id, Action::GrantRevoke, id, detail);
        super::audit::append(&mut tx, &event).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Does the grant release this document?
pub async fn releases(db: &Db, grant_id: &str, document_id: &str) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM grant_documents WHERE grant_id = $1 AND document_id = $2",
    )
    .bind(grant_id)
    .bind(document_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// One pull, as the owner sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Pull {
    pub document_id: String,
    pub document_title: Option<String>,
    pub grant_id: String,
    pub client_id: String,
    /// The requester's name.
    pub requester: String,
    pub purpose: String,
    /// `metadata`, `pdf`, `original` or `list` (seen in the repository list).
    pub action: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// Record a pull in the owner's access log and the audit trail, together.
pub async fn log_pull(db: &Db, g: &Grant, document_id: &str, action: &str) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO access_log (id, owner_id, document_id, grant_id, client_id, purpose, action, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(&g.owner_id)
    .bind(document_id)
    .bind(&g.id)
    .bind(&g.client_id)
    .bind(&g.purpose)
    .bind(action)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"grant": g.id, "owner": g.owner_id, "purpose": g.purpose, "read": action});
    let event = Entry::new(&g.client_id, Action::Pull, document_id, detail);
    super::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// An owner's access log, newest first (at most `limit` lines).
pub async fn access_log(db: &Db, owner_id: &str, limit: i64) -> Result<Vec<Pull>, DbError> {
    let rows = sqlx::query(
        "SELECT a.document_id, d.title, a.grant_id, a.client_id, r.name, a.purpose, a.action, a.at
         FROM access_log a JOIN requesters r ON r.client_id = a.client_id
         LEFT JOIN documents d ON d.id = a.document_id
         WHERE a.owner_id = $1 ORDER BY a.at DESC, a.id LIMIT $2",
    )
    .bind(owner_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Pull {
                document_id: r.try_get("document_id")?,
                document_title: r.try_get("title")?,
                grant_id: r.try_get("grant_id")?,
                client_id: r.try_get("client_id")?,
                requester: r.try_get("name")?,
                purpose: r.try_get("purpose")?,
                action: r.try_get("action")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
