//! Credentials over their lifetime, for the deployment's administrator on the command
//! line: list and revoke API tokens, disable accounts (their sessions end) and requester
//! systems (their access tokens end). Each change is recorded in the audit trail.

use crate::db::{Db, DbError, accounts, grants, tokens};

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

/// Revoke a token by id; false when there is no such live token.
pub async fn revoke_token(db: &Db, id: &str) -> Result<bool, DbError> {
    let done = tokens::revoke(db, id).await?;
    if done {
        crate::audit::record(db, "-", "token_revoke", id, serde_json::json!({})).await;
    }
    Ok(done)
}

/// Disable an account and end its sessions; false when there is no such enabled account.
pub async fn disable_user(db: &Db, username: &str) -> Result<bool, DbError> {
    let Some(id) = accounts::disable(db, username).await? else {
        return Ok(false);
    };
    let detail = serde_json::json!({"username": username});
    crate::audit::record(db, "-", "user_disable", &id, detail).await;
    Ok(true)
}

/// Disable a requester system and end its access tokens; false when there is none.
pub async fn disable_requester(db: &Db, client_id: &str) -> Result<bool, DbError> {
    let done = grants::disable_requester(db, client_id).await?;
    if done {
        crate::audit::record(
            db,
            "-",
            "requester_disable",
            client_id,
            serde_json::json!({}),
        )
        .await;
    }
    Ok(done)
}
