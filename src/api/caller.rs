//! The caller of a request: an `Authorization: Bearer TOKEN` header (an API token, or an
//! OAuth access token a requester got for a grant), or else the web session cookie.
//! A session may read (GET, HEAD); anything else it does needs the session's CSRF token
//! in an `X-CSRF-Token` header, so another site cannot act with the citizen's cookie.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

use super::error::ApiError;
use crate::accounts::{self, SESSION_COOKIE};
use crate::app::App;
use crate::auth::Role;
use crate::db::accounts::User;
use crate::db::grants;
use crate::db::tokens::{self, TokenOwner};

/// An authenticated caller; extracting it answers 401 when the token is missing,
/// malformed, unknown, revoked or expired, and 403 for a session's write without CSRF.
pub struct Caller(pub TokenOwner);

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            let value = header.to_str().map_err(|_| ApiError::Unauthorized)?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty() && t.len() <= 256)
                .ok_or(ApiError::Unauthorized)?;
            if let Some(owner) = tokens::find(&app.db, token).await? {
                return Ok(Caller(owner));
            }
            let grant = grants::by_token(&app.db, &tokens::hash(token))
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(Caller(TokenOwner {
                id: grant.client_id.clone(),
                kind: crate::domain::PrincipalKind::Grant,
                role: Role::Requester,
                subject_id: None,
                agency: None,
                org_role: None,
                grant: Some(grant),
            }));
        }
        let value = session_cookie(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let (user, csrf) = accounts::session(&app.db, &value)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(csrf.as_str()) {
                return Err(ApiError::Forbidden);
            }
        }
        Ok(Caller(principal(&user)))
    }
}

/// The caller a signed-in account is.
pub fn principal(user: &User) -> TokenOwner {
    TokenOwner {
        id: user.id.clone(),
        kind: crate::domain::PrincipalKind::User,
        role: user.role,
        subject_id: user.subject_id.clone(),
        agency: user.agency.clone(),
        org_role: user.org_role.clone(),
        grant: None,
    }
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}
