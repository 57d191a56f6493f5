//! First-run setup: while no admin account exists, a one-time link creates the first.
//!
//! `kho serve` asks [`open`] for a link at start. When the deployment has no admin, it
//! gets a random 32-byte token (only its SHA-256 is kept, in this process's memory),
//! valid for [`VALID_MS`], and prints `PUBLIC_URL/setup?token=…` for whoever started
//! the server. `/setup` answers only with that token, only from the server's own machine
//! unless `--setup-public` is given, and only while no admin exists: the deployment is
//! never open to whoever comes first. [`create_admin`] spends the token.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::accounts::{self, AccountError};
use crate::db::accounts::NewUser;
use crate::db::{Db, DbError, now_ms};
use crate::domain::Role;

/// How long a setup link works.
pub const VALID_MS: i64 = 3600 * 1000;

/// The pending setup link of this process, if any.
#[derive(Clone, Default)]
pub struct SetupGate(Arc<Mutex<Option<Pending>>>);

struct Pending {
    hash: [u8; 32],
    expires_ms: i64,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh setup token when the deployment has no admin account yet (the last one
/// given stops working); `None` when it has one.
pub async fn open(db: &Db, gate: &SetupGate) -> Result<Option<String>, DbError> {
    let mut pending = gate.0.lock().await;
    if crate::db::accounts::admin_exists(db).await? {
        *pending = None;
        return Ok(None);
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    *pending = Some(Pending {
        hash: digest(&token),
        expires_ms: now_ms() + VALID_MS,
    });
    Ok(Some(token))
}

/// Whether `token` is the live setup token (compared in constant time).
pub async fn valid(gate: &SetupGate, token: &str) -> bool {
    let pending = gate.0.lock().await;
    matches(pending.as_ref(), token)
}

fn matches(pending: Option<&Pending>, token: &str) -> bool {
    let Some(p) = pending else {
        return false;
    };
    crate::consent::constant_eq(&digest(token), &p.hash) && now_ms() < p.expires_ms
}

/// Why the first admin was not created.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The link is wrong, spent or expired, or an admin exists already.
    #[error("this setup link is not valid (wrong, used or expired), or an admin exists")]
    Closed,
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// Create the first admin with `token`, which is spent on success (a refused username
/// or password leaves it live, to try again).
pub async fn create_admin(
    db: &Db,
    gate: &SetupGate,
    token: &str,
    username: &str,
    password: &str,
    display_name: Option<&str>,
) -> Result<String, SetupError> {
    let mut pending = gate.0.lock().await;
    if !matches(pending.as_ref(), token)
        || crate::db::accounts::admin_exists(db)
            .await
            .map_err(AccountError::from)?
    {
        return Err(SetupError::Closed);
    }
    let new = NewUser {
        username,
        password_hash: "",
        role: Role::Admin,
        subject_id: None,
        agency: None,
        org_role: None,
        display_name,
    };
    let id = accounts::create_user_by(db, "setup", &new, password).await?;
    *pending = None;
    Ok(id)
}
