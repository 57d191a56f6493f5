//! Local accounts for the web pages: argon2id password hashes, sign-in with rate
//! limiting, and cookie sessions with a CSRF token each.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2
//!   passes) and a random salt; only the PHC string is stored.
//! - Sign-in is refused for 15 minutes after 5 failures for one username, or 20 from one
//!   client address; the counts live in the database, so every `kho serve` process
//!   shares them. An unknown username costs the same hash as a wrong password.
//! - A session is a random 32-byte cookie value (`kho_session`, HttpOnly, SameSite=Lax,
//!   Secure unless the public URL is plain http on a non-loopback host); the database
//!   keeps its SHA-256, the account, a CSRF token and the expiry (12 hours).

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::db::accounts::{self, User};
use crate::db::{Db, DbError, now_ms};
use crate::domain::audit::{Action, Entry};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "kho_session";
/// How long a session lasts.
pub const SESSION_MS: i64 = 12 * 3600 * 1000;
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Attempts one username gets in a window (a success starts the count again).
const MAX_USER_ATTEMPTS: i64 = 5;
/// Attempts one client address gets in a window, over all usernames: high enough that
/// an office behind one address is not locked out by one person's typos, low enough to
/// stop spraying guesses over many accounts.
const MAX_ADDRESS_ATTEMPTS: i64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {0} minutes")]
    RateLimited(i64),
    #[error("a username has 3 to 64 letters, digits, '.', '-', '_' or '@'")]
    BadUsername,
    #[error("a password has 10 to 256 characters")]
    BadPassword,
    #[error("username {0:?} is taken")]
    Taken(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AccountError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Invalid(e.to_string()))
}

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password policy a records system can defend: 10 to 256 characters.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(AccountError::BadPassword);
    }
    Ok(())
}

/// A usable username: 3 to 64 letters, digits, `.`, `-`, `_` or `@`.
pub fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !ok {
        return Err(AccountError::BadUsername);
    }
    Ok(())
}

/// Check a username and password from `address`; on success the account, with the
/// username's failures forgotten.
pub async fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    address: &str,
) -> Result<User, AccountError> {
    // The attempt is counted before the password is checked: parallel guesses each
    // take a number, and only the first few are checked at all.
    let since = now_ms() - WINDOW_MS;
    let user_key = format!("user:{}", username.chars().take(64).collect::<String>());
    let by_user = accounts::count_attempt(db, &user_key, since).await?;
    let address_key = format!("addr:{address}");
    let by_address = accounts::count_attempt(db, &address_key, since).await?;
    if by_user > MAX_USER_ATTEMPTS || by_address > MAX_ADDRESS_ATTEMPTS {
        let detail = serde_json::json!({"address": address});
        let event = Entry::new("-", Action::SignInThrottled, username, detail);
        crate::db::audit::append_alone(db, &event).await?;
        return Err(AccountError::RateLimited(WINDOW_MS / 60_000));
    }
    let user = if username.len() <= 64 && password.len() <= 1024 {
        accounts::by_username(db, username).await?
    } else {
        None
    };
    // Hash even for an unknown user, so timing does not tell which usernames exist.
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no such account here").expect("argon2 hashes"));
    let phc = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY.clone());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || password_matches(&password, &phc))
        .await
        .unwrap_or(false);
    match user {
        Some(u) if ok => {
            accounts::clear_attempts(db, &user_key).await?;
            accounts::release_attempt(db, &address_key).await?;
            let detail = serde_json::json!({"address": address});
            let event = Entry::new(&u.id, Action::SignIn, username, detail);
            crate::db::audit::append_alone(db, &event).await?;
            Ok(u)
        }
        _ => {
            let detail = serde_json::json!({"address": address});
            let event = Entry::new("-", Action::SignInFailed, username, detail);
            crate::db::audit::append_alone(db, &event).await?;
            Err(AccountError::BadCredentials)
        }
    }
}

/// A new session for `user`: the cookie value (shown once) and its CSRF token.
pub async fn start_session(db: &Db, user: &User) -> Result<(String, String), DbError> {
    let value = hex::encode(rand::random::<[u8; 32]>());
    let csrf = hex::encode(rand::random::<[u8; 16]>());
    accounts::create_session(
        db,
        &crate::db::tokens::hash(&value),
        &user.id,
        &csrf,
        now_ms() + SESSION_MS,
    )
    .await?;
    Ok((value, csrf))
}

/// The account and CSRF token behind a session cookie value.
pub async fn session(db: &Db, value: &str) -> Result<Option<(User, String)>, DbError> {
    if value.len() != 64 {
        return Ok(None);
    }
    accounts::session(db, &crate::db::tokens::hash(value)).await
}

/// Should cookies carry `Secure` for this public URL? Yes for https and for loopback
/// (browsers treat http://127.0.0.1 and localhost as secure contexts); no for plain
/// http elsewhere, where the browser would drop them.
pub fn secure_cookies(public_url: &str) -> bool {
    match url::Url::parse(public_url) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) => matches!(
            u.host_str(),
            Some("localhost") | Some("127.0.0.1") | Some("[::1]")
        ),
        Err(_) => true,
    }
}

/// Create an account from the command line.
pub async fn create_user(
    db: &Db,
    new: &crate::db::accounts::NewUser<'_>,
    password: &str,
) -> Result<String, AccountError> {
    create_user_by(db, "-", new, password).await
}

/// Create an account under every rule the command line and the admin pages share: what
/// the role is bound to (a subject of the right kind, an agency of this deployment), the
/// username and password rules, and for staff a personal certificate (their uploads are
/// signed for custody). `actor` is who the trail names (`-` for the command line).
pub async fn create_account(
    db: &Db,
    keys: &crate::signing::keys::Keyring,
    agencies: &[crate::signing::keys::Agency],
    actor: &str,
    new: &crate::db::accounts::NewUser<'_>,
    password: &str,
) -> Result<String, AccountError> {
    let subject = new
        .subject_id
        .map(crate::domain::SubjectId::parse)
        .transpose()
        .map_err(|e| AccountError::Invalid(e.to_string()))?;
    crate::auth::check_binding(
        new.role,
        subject.as_ref(),
        new.agency,
        new.org_role,
        agencies,
    )
    .map_err(AccountError::Invalid)?;
    let id = create_user_by(db, actor, new, password).await?;
    if new.role == crate::auth::Role::Staff
        && let Some(agency) = agencies
            .iter()
            .find(|a| Some(a.code.as_str()) == new.agency)
    {
        let signer = new.display_name.unwrap_or(new.username);
        let key = keys
            .issue_staff(signer, agency)
            .await
            .map_err(|e| AccountError::Invalid(format!("no personal certificate: {e}")))?;
        accounts::bind_signing_key(db, &id, &key.id).await?;
        tracing::info!(signer, serial = %key.serial, "personal certificate issued");
    }
    Ok(id)
}

pub(crate) async fn create_user_by(
    db: &Db,
    actor: &str,
    new: &crate::db::accounts::NewUser<'_>,
    password: &str,
) -> Result<String, AccountError> {
    check_username(new.username)?;
    check_password(password)?;
    let phc = hash_password(password)?;
    let u = crate::db::accounts::NewUser {
        password_hash: &phc,
        ..new.clone()
    };
    // The account and its `user_create` event commit together.
    let mut tx = db.pool.begin().await.map_err(DbError::from)?;
    let id = accounts::create(&mut tx, &u)
        .await?
        .ok_or_else(|| AccountError::Taken(new.username.to_owned()))?;
    let detail = serde_json::json!({"role": format!("{:?}", new.role), "username": new.username});
    crate::db::audit::append(&mut tx, &Entry::new(actor, Action::UserCreate, &id, detail)).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
}
