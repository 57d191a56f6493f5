//! Credentials over their lifetime, for the deployment's administrator on the command
//! line: list and revoke API tokens, disable accounts (their sessions end) and requester
//! systems (their access tokens end). Each change is recorded in the audit trail.

use crate::db::{Db, DbError, accounts, grants, tokens};
use crate::domain::audit::{Action, Entry};

/// `ms` (Unix milliseconds) as an RFC 3339 UTC time, for people and scripts alike.
fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// The token list as printed by `kho tokens list`: a header, then one tab-separated line
/// per token.
pub async fn token_lines(db: &Db) -> Result<Vec<String>, DbError> {
    let mut out = vec!["id\trole\tsubject\tagency\tcreated\texpires\trevoked".to_owned()];
    for t in tokens::list(db).await? {
        out.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            t.id,
            t.role,
            t.subject_id.as_deref().unwrap_or("-"),
            t.agency.as_deref().unwrap_or("-"),
            time(t.created_at),
            t.expires_at.map(time).unwrap_or_else(|| "-".into()),
            t.revoked_at.map(time).unwrap_or_else(|| "-".into()),
        ));
    }
    Ok(out)
}

/// Create an API token (the operator's `kho tokens create`) and its `token_create`
/// event in one transaction; the token in clear.
pub async fn create_token(db: &Db, new: &tokens::NewToken<'_>) -> Result<String, DbError> {
    let mut tx = db.pool.begin().await?;
    let token = tokens::insert(&mut tx, new).await?;
    let detail = serde_json::json!({
        "role": format!("{:?}", new.role), "subject": new.subject_id, "agency": new.agency,
        "org_role": new.org_role, "expires_at": new.expires_at,
    });
    // The token itself is a secret: the trail names it by its hash's first half.
    let token_id = &tokens::hash(&token)[..32];
    let event = Entry::new("-", Action::TokenCreate, token_id, detail);
    crate::db::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(token)
}

/// Revoke a token by id, with its event naming `actor` (`-` for the command line);
/// false when there is no such live token.
pub async fn revoke_token(db: &Db, actor: &str, id: &str) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    let done = tokens::revoke(&mut tx, id).await?;
    if done {
        let event = Entry::new(actor, Action::TokenRevoke, id, serde_json::json!({}));
        crate::db::audit::append(&mut tx, &event).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Disable an account and end its sessions, with its event naming `actor`; false when
/// there is no such enabled account.
pub async fn disable_user(db: &Db, actor: &str, username: &str) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    let Some(id) = accounts::disable(&mut tx, username).await? else {
        return Ok(false);
    };
    let detail = serde_json::json!({"username": username});
    crate::db::audit::append(
        &mut tx,
        &Entry::new(actor, Action::UserDisable, &id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Disable a requester system and end its access tokens (with its event naming
/// `actor`, in the same transaction); false when there is none.
pub async fn disable_requester(db: &Db, actor: &str, client_id: &str) -> Result<bool, DbError> {
    grants::disable_requester(db, actor, client_id).await
}
