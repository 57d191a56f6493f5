//! Consent-based reuse (DESIGN.md §6): requester systems registered as OAuth 2.0
//! clients, the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, S256 only),
//! and the grants it creates.
//!
//! An online application sends the citizen to `/oauth/authorize` with its `client_id`,
//! an exact registered `redirect_uri`, `scope=documents:read`, a `state`, a PKCE
//! `code_challenge`, the `purpose` of the request, the document types it asks for
//! (`documents`, comma-separated, optional) and how many days it needs them
//! (`max_age_days`, 1–365, default 30). The citizen signs in, sees the consent page
//! (`crate::web::consent`), picks which documents to release, and is sent back with a
//! code valid for two minutes and once. The requester exchanges it at `/oauth/token`
//! (client secret by HTTP Basic or in the form, plus the PKCE verifier) for an access
//! token that reads exactly the released documents until the grant expires (at most an
//! hour per token), is revoked, or the token expires. Every read is in the owner's
//! access log.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::db::grants::{self, Requester};
use crate::db::tokens::hash;
use crate::db::{Db, DbError, now_ms};
use crate::domain::audit::{Action, Entry};

/// The one scope: read the documents the owner releases.
pub const SCOPE: &str = "documents:read";
const CODE_MS: i64 = 2 * 60 * 1000;
const TOKEN_MS: i64 = 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Register a requester from the command line; returns (client id, client secret).
/// The secret is shown once.
pub async fn register(
    db: &Db,
    name: &str,
    redirect_uris: &[String],
) -> Result<(String, String), RegisterError> {
    register_by(db, "-", name, redirect_uris).await
}

/// Register a requester for `actor` (recorded in its `requester_create` event); returns
/// (client id, client secret). The secret is shown once.
pub async fn register_by(
    db: &Db,
    actor: &str,
    name: &str,
    redirect_uris: &[String],
) -> Result<(String, String), RegisterError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(RegisterError::Invalid("name: 1 to 200 characters".into()));
    }
    if redirect_uris.is_empty() || redirect_uris.len() > 10 {
        return Err(RegisterError::Invalid("1 to 10 redirect URIs".into()));
    }
    for u in redirect_uris {
        check_redirect_uri(u).map_err(RegisterError::Invalid)?;
    }
    let secret = format!("kho_cs_{}", hex::encode(rand::random::<[u8; 32]>()));
    let id = grants::create_requester(db, actor, name, redirect_uris, &hash(&secret)).await?;
    Ok((id, secret))
}

/// A redirect URI must be absolute, without a fragment, and https — or http on a
/// loopback address (RFC 8252 §7.3).
fn check_redirect_uri(u: &str) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("redirect URI {u:?}: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.fragment().is_some()
        || !(url.scheme() == "https" || (url.scheme() == "http" && loopback))
    {
        return Err(format!(
            "redirect URI {u:?}: https (or http on loopback), without a fragment"
        ));
    }
    Ok(())
}

/// The parameters of `/oauth/authorize`, as sent (and carried through the consent form).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub purpose: Option<String>,
    pub documents: Option<String>,
    pub max_age_days: Option<String>,
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct Authorize {
    pub requester: Requester,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub purpose: String,
    /// Document types asked for (may be empty: the citizen chooses freely).
    pub asked: Vec<String>,
    pub days: i64,
}

/// Why an authorization request fails. Before the client and its redirect URI are known
/// good, the error is shown on the page; after, the user agent is sent back with it.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown to the person, never redirected (unknown client, bad redirect URI).
    Page(String),
    /// Sent back to the requester: (redirect URI, state, RFC 6749 error code, description).
    Redirect(String, Option<String>, &'static str, String),
    Db(DbError),
}

impl From<DbError> for AuthorizeError {
    fn from(e: DbError) -> Self {
        AuthorizeError::Db(e)
    }
}

/// Check an authorization request.
pub async fn check(db: &Db, p: &AuthorizeParams) -> Result<Authorize, AuthorizeError> {
    let client_id = p
        .client_id
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 64)
        .ok_or_else(|| AuthorizeError::Page("client_id is missing".into()))?;
    let requester = grants::requester(db, client_id)
        .await?
        .ok_or_else(|| AuthorizeError::Page(format!("unknown requester {client_id:?}")))?;
    let redirect_uri = p
        .redirect_uri
        .clone()
        .filter(|u| requester.redirect_uris.contains(u))
        .ok_or_else(|| {
            AuthorizeError::Page("redirect_uri is not one this requester registered".into())
        })?;
    // A state the requester cannot get back would break its CSRF check: refuse it
    // rather than drop it (RFC 6749: visible ASCII and space).
    if let Some(st) = &p.state
        && (st.len() > 500 || !st.bytes().all(|b| (0x20..=0x7e).contains(&b)))
    {
        return Err(AuthorizeError::Page(
            "state: at most 500 characters of visible ASCII".into(),
        ));
    }
    let state = p.state.clone();
    let fail = |code: &'static str, why: &str| {
        AuthorizeError::Redirect(redirect_uri.clone(), state.clone(), code, why.to_owned())
    };
    if p.response_type.as_deref() != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let scopes: Vec<&str> = p.scope.as_deref().unwrap_or("").split(' ').collect();
    if !scopes.contains(&SCOPE) || scopes.iter().any(|s| *s != SCOPE && !s.is_empty()) {
        return Err(fail("invalid_scope", "scope must be documents:read"));
    }
    if p.code_challenge_method.as_deref() != Some("S256") {
        return Err(fail(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required",
        ));
    }
    let code_challenge = p
        .code_challenge
        .clone()
        .filter(|c| {
            c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .ok_or_else(|| fail("invalid_request", "code_challenge: 43 base64url characters"))?;
    let purpose = p
        .purpose
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.chars().count() <= 300)
        .ok_or_else(|| fail("invalid_request", "purpose: 1 to 300 characters"))?
        .to_owned();
    let asked: Vec<String> = p
        .documents
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(20)
        .map(|s| s.chars().take(100).collect())
        .collect();
    let days = match p.max_age_days.as_deref() {
        None | Some("") => 30,
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| fail("invalid_request", "max_age_days: 1 to 365"))?,
    };
    Ok(Authorize {
        requester,
        redirect_uri,
        state,
        code_challenge,
        purpose,
        asked,
        days,
    })
}

/// The consent given: record the grant and return the URL that sends the user agent
/// back to the requester with a fresh code.
pub async fn approve(
    db: &Db,
    a: &Authorize,
    owner_id: &str,
    user_id: &str,
    document_ids: &[String],
) -> Result<String, DbError> {
    let code = hex::encode(rand::random::<[u8; 32]>());
    // The consent, its code and the `grant` event commit together.
    let mut tx = db.pool.begin().await?;
    let grant_id = grants::create_with_code(
        &mut tx,
        &grants::NewGrant {
            client_id: &a.requester.client_id,
            owner_id,
            granted_by: user_id,
            purpose: &a.purpose,
            document_ids,
            expires_at: now_ms() + a.days * DAY_MS,
        },
        &hash(&code),
        &a.redirect_uri,
        &a.code_challenge,
        now_ms() + CODE_MS,
    )
    .await?;
    let detail = serde_json::json!({
        "owner": owner_id, "requester": a.requester.client_id, "purpose": a.purpose,
        "documents": document_ids, "days": a.days,
    });
    let event = Entry::new(user_id, Action::Grant, &grant_id, detail);
    crate::db::audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(back(
        &a.redirect_uri,
        &[("code", &code)],
        a.state.as_deref(),
    ))
}

/// `redirect_uri` with the given query parameters and the state added.
pub fn back(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>) -> String {
    let mut url = url::Url::parse(redirect_uri).expect("registered redirect URIs parse");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    url.to_string()
}

/// The form of a token request.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub code_verifier: Option<String>,
}

/// An RFC 6749 §5.2 error: HTTP status, error code, description.
#[derive(Debug)]
pub struct TokenError(pub u16, pub &'static str, pub String);

impl From<DbError> for TokenError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = ?e, "token endpoint");
        TokenError(500, "server_error", "internal error".into())
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: &'static str,
    /// The grant this token reads through (its documents: `GET /api/v1/grants/current`).
    pub grant_id: String,
}

/// Exchange an authorization code. `basic` is the client's HTTP Basic credentials, when
/// it sent them.
pub async fn exchange(
    db: &Db,
    f: &TokenForm,
    basic: Option<(String, String)>,
) -> Result<TokenResponse, TokenError> {
    let (client_id, secret) = match (basic, &f.client_id, &f.client_secret) {
        (Some((id, secret)), _, _) => (id, secret),
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => {
            return Err(TokenError(
                401,
                "invalid_client",
                "client authentication is required".into(),
            ));
        }
    };
    let requester = grants::requester(db, &client_id).await?;
    let Some(requester) = requester.filter(|r| {
        secret.len() <= 200 && constant_eq(r.secret_hash.as_bytes(), hash(&secret).as_bytes())
    }) else {
        return Err(TokenError(
            401,
            "invalid_client",
            "unknown client or wrong secret".into(),
        ));
    };
    if f.grant_type.as_deref() != Some("authorization_code") {
        return Err(TokenError(
            400,
            "unsupported_grant_type",
            "grant_type must be authorization_code".into(),
        ));
    }
    let invalid = |why: &str| TokenError(400, "invalid_grant", why.to_owned());
    let code = f
        .code
        .as_deref()
        .filter(|c| c.len() == 64)
        .ok_or_else(|| invalid("unknown code"))?;
    let Some(c) = grants::redeem_code(db, &hash(code)).await? else {
        grants::revoke_tokens_of_used_code(db, &hash(code), &requester.client_id).await?;
        return Err(invalid("unknown or already used code"));
    };
    if c.client_id != requester.client_id {
        return Err(invalid("the code was issued to another client"));
    }
    if c.expires_at <= now_ms() {
        return Err(invalid("the code has expired"));
    }
    if f.redirect_uri.as_deref() != Some(c.redirect_uri.as_str()) {
        return Err(invalid(
            "redirect_uri differs from the authorization request",
        ));
    }
    let verifier = f
        .code_verifier
        .as_deref()
        .filter(|v| {
            (43..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        })
        .ok_or_else(|| {
            TokenError(
                400,
                "invalid_request",
                "code_verifier: 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~' (RFC 7636)"
                    .into(),
            )
        })?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !constant_eq(challenge.as_bytes(), c.code_challenge.as_bytes()) {
        return Err(invalid("code_verifier does not match the code_challenge"));
    }
    let grant = grants::get(db, &c.grant_id)
        .await?
        .filter(|g| g.state == "active")
        .ok_or_else(|| invalid("the consent was revoked or has expired"))?;
    let token = format!("kho_at_{}", hex::encode(rand::random::<[u8; 32]>()));
    let expires_at = (now_ms() + TOKEN_MS).min(grant.expires_at);
    grants::create_token(db, &hash(&token), &grant.id, expires_at).await?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: ((expires_at - now_ms()) / 1000).max(0),
        scope: SCOPE,
        grant_id: grant.id,
    })
}

/// Comparison whose time does not depend on where two byte strings differ.
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_or_loopback() {
        assert!(check_redirect_uri("https://dvc.example.vn/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:9000/cb").is_ok());
        assert!(check_redirect_uri("http://dvc.example.vn/cb").is_err());
        assert!(check_redirect_uri("https://dvc.example.vn/cb#x").is_err());
        assert!(check_redirect_uri("/cb").is_err());
    }

    #[test]
    fn back_adds_code_and_state() {
        let u = back("https://a.example/cb?x=1", &[("code", "abc")], Some("s t"));
        assert_eq!(u, "https://a.example/cb?x=1&code=abc&state=s+t");
    }
}
