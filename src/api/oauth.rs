//! The OAuth 2.0 endpoints for requester systems ([`crate::consent`]): the token
//! endpoint, the server metadata (RFC 8414), and registration by an admin. The
//! authorization endpoint is the consent page, [`crate::web::consent`].

use axum::Json;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth::Role;
use crate::consent::{self, RegisterError, TokenForm, TokenResponse};

/// HTTP Basic client credentials (RFC 6749 §2.3.1: form-urlencoded id and secret).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (id, secret) = s.split_once(':')?;
    let dec = |x: &str| {
        url::form_urlencoded::parse(format!("x={x}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}

/// An RFC 6749 §5.2 error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    pub error: String,
    pub error_description: String,
}

#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content_type = "application/x-www-form-urlencoded",
                 description = "grant_type=authorization_code, code, redirect_uri, code_verifier; client_id and client_secret in the form or by HTTP Basic"),
    responses((status = 200, body = TokenResponse), (status = 400, body = OAuthError), (status = 401, body = OAuthError)))]
pub async fn token(State(app): State<App>, headers: HeaderMap, RawForm(raw): RawForm) -> Response {
    let form: TokenForm = serde_urlencoded::from_bytes(&raw).unwrap_or_default();
    let mut r = match consent::exchange(&app.db, &form, basic(&headers)).await {
        Ok(t) => Json(t).into_response(),
        Err(consent::TokenError(status, error, description)) => {
            let mut r = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                Json(OAuthError {
                    error: error.into(),
                    error_description: description,
                }),
            )
                .into_response();
            if status == 401 {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"kho\""),
                );
            }
            r
        }
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth",
    responses((status = 200, description = "RFC 8414 authorization server metadata", content_type = "application/json")))]
pub async fn metadata(State(app): State<App>) -> Json<serde_json::Value> {
    let base = app.config.public_url.trim_end_matches('/');
    Json(serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": [consent::SCOPE],
        "service_documentation": format!("{base}/api/v1/openapi.json"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRequester {
    /// Shown to citizens on the consent page.
    pub name: String,
    /// Exact redirect URIs (https, or http on loopback).
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredRequester {
    pub client_id: String,
    /// Shown once; only its hash is kept.
    pub client_secret: String,
}

#[utoipa::path(post, path = "/api/v1/requesters", tag = "oauth", request_body = NewRequester,
    responses((status = 201, body = RegisteredRequester), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "admins only")),
    security(("bearer" = [])))]
pub async fn register(
    State(app): State<App>,
    Caller(caller): Caller,
    body: Result<Json<NewRequester>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<RegisteredRequester>), ApiError> {
    if caller.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let Json(r) = body?;
    match consent::register_by(&app.db, &caller.id, &r.name, &r.redirect_uris).await {
        Ok((client_id, client_secret)) => Ok((
            StatusCode::CREATED,
            Json(RegisteredRequester {
                client_id,
                client_secret,
            }),
        )),
        Err(RegisterError::Invalid(m)) => Err(ApiError::BadRequest(m)),
        Err(RegisterError::Db(e)) => Err(e.into()),
    }
}
