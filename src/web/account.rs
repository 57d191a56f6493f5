//! Sign in and out of the web pages ([`crate::accounts`] holds the rules).

use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::{Lang, MaybeSession, layout, render, same_origin};
use crate::accounts::{self, AccountError};
use crate::app::App;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub lang: Option<String>,
}

/// Only a path on this site is a place to go back to after signing in (without one,
/// the account's home page): visible ASCII only (no control characters, whitespace or
/// `\\`, which browsers strip or turn into `/`), and it must resolve, the way a browser
/// resolves a `Location`, to this origin — so `/%09/evil.example` and `//evil.example`
/// are refused.
pub(crate) fn local(next: Option<&str>) -> Option<String> {
    let n = next?;
    if n.len() > 2048 || !n.starts_with('/') || n.contains('\\') {
        return None;
    }
    if !n.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let base = url::Url::parse("http://kho.invalid/").expect("a valid base");
    let resolved = base.join(n).ok()?;
    let same = resolved.origin() == base.origin() && resolved.username().is_empty();
    // Decoded, a second slash at the start, a backslash or a control character would
    // read as another host to some clients.
    let decoded = percent_encoding::percent_decode_str(resolved.path()).decode_utf8_lossy();
    let decoded_bad = decoded.starts_with("//")
        || decoded.contains('\\')
        || decoded.chars().any(|c| c.is_control());
    (same && !decoded_bad).then(|| n.to_owned())
}

/// The client's address: the last entry of the configured proxy header
/// (`--client-ip-header`) when Kho runs behind a reverse proxy, else the peer's.
pub(crate) fn client_address(
    app: &App,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> String {
    let from_proxy = app.config.client_ip_header.as_deref().and_then(|name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| v.parse::<std::net::IpAddr>().is_ok())
            .map(str::to_owned)
    });
    from_proxy
        .or_else(|| peer.map(|a| a.ip().to_string()))
        .unwrap_or_default()
}

/// The sign-in form; after a refusal it keeps the username typed (never the password).
#[derive(askama::Template)]
#[template(path = "pages/login.html")]
struct LoginPage<'a> {
    l: Lang,
    next: &'a str,
    typed: &'a str,
    error: Option<&'a str>,
}

fn form(l: Lang, next: &str, typed: &str, error: Option<&str>) -> String {
    render(&LoginPage {
        l,
        next,
        typed,
        error,
    })
}

/// `GET /login`: the sign-in form.
#[utoipa::path(get, path = "/login", tag = "pages",
    params(("next" = Option<String>, Query, description = "where to go after signing in (a path on this site)"),
           ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML sign-in form", content_type = "text/html")))]
pub async fn login_page(Query(q): Query<LoginQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let next = local(q.next.as_deref()).unwrap_or_default();
    Html(layout(
        l,
        "/login",
        l.t("Đăng nhập", "Sign in"),
        &form(l, &next, "", None),
    ))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub next: Option<String>,
    pub lang: Option<String>,
}

/// `POST /login`: check the password (rate-limited), start a session, go on to `next`.
#[utoipa::path(post, path = "/login", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "username, password, next, lang"),
    responses((status = 303, description = "signed in: session cookie set, redirect to `next`"),
              (status = 401, description = "wrong username or password (HTML form again)"),
              (status = 403, description = "posted from another site"),
              (status = 429, description = "too many failed attempts")))]
pub async fn login(
    State(app): State<App>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = Lang::from_query(f.lang.as_deref());
    let back = local(f.next.as_deref());
    let next = back.clone().unwrap_or_default();
    let title = l.t("Đăng nhập", "Sign in");
    if !same_origin(&headers, &app.config.public_url) {
        return (StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response();
    }
    let username = f.username.trim();
    match accounts::sign_in(
        &app.db,
        username,
        &f.password,
        &client_address(&app, &headers, peer.map(|Extension(ConnectInfo(a))| a)),
    )
    .await
    {
        Ok(user) => match accounts::start_session(&app.db, &user).await {
            Ok((value, _)) => {
                let to = back.as_deref().unwrap_or(super::home(&user));
                let jar = CookieJar::default().add(session_cookie(value, &app));
                (jar, Redirect::to(to)).into_response()
            }
            Err(e) => {
                tracing::error!(error = ?e, "start session");
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        },
        Err(AccountError::BadCredentials) => {
            let msg = l.t(
                "Sai tên đăng nhập hoặc mật khẩu.",
                "Wrong username or password.",
            );
            (
                StatusCode::UNAUTHORIZED,
                Html(layout(
                    l,
                    "/login",
                    title,
                    &form(l, &next, username, Some(msg)),
                )),
            )
                .into_response()
        }
        Err(AccountError::RateLimited(minutes)) => {
            let msg = match l {
                Lang::Vi => format!("Đăng nhập sai quá nhiều lần; hãy thử lại sau {minutes} phút."),
                Lang::En => format!("Too many failed sign-ins; try again in {minutes} minutes."),
            };
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                Html(layout(
                    l,
                    "/login",
                    title,
                    &form(l, &next, username, Some(&msg)),
                )),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(minutes as u64 * 60));
            r
        }
        Err(e) => {
            tracing::error!(error = ?e, "sign in");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// `POST /logout`: end the session.
#[utoipa::path(post, path = "/logout", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "signed out; redirect to /login"),
              (status = 403, description = "missing or wrong CSRF token")))]
pub async fn logout(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(s) = s {
        if f.csrf != s.csrf {
            let l = Lang::from_query(None);
            return super::error_page(l, &s, StatusCode::FORBIDDEN, super::messages::stale_form(l));
        }
        if let Some(v) = crate::api::caller::session_cookie(&headers)
            && let Err(e) =
                crate::db::accounts::end_session(&app.db, &crate::db::tokens::hash(&v)).await
        {
            tracing::error!(error = ?e, "end session");
        }
    }
    // A removal (empty, expired) for the same path, so the browser drops the cookie.
    let mut removal = session_cookie(String::new(), &app);
    removal.make_removal();
    let jar = CookieJar::default().add(removal);
    (jar, Redirect::to("/login")).into_response()
}

/// The session cookie carrying `value`: for the whole site, out of scripts' reach, not
/// sent on cross-site requests, `Secure` where the browser keeps it
/// ([`accounts::secure_cookies`]), for the session's lifetime.
fn session_cookie(value: String, app: &App) -> Cookie<'static> {
    Cookie::build((accounts::SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(accounts::secure_cookies(&app.config.public_url))
        .max_age(time::Duration::milliseconds(accounts::SESSION_MS))
        .build()
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn sign_in_goes_back_only_to_a_path_on_this_site() {
        for ok in [
            "/me",
            "/staff/reviews?lang=en",
            "/me/documents/abc#x",
            "/%C3%A1",
        ] {
            assert_eq!(local(Some(ok)).as_deref(), Some(ok), "{ok}");
        }
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "//evil.example",
            "/\\evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "https://evil.example/",
            "evil.example",
            "/ /evil.example",
            "/\u{0085}",
            "",
        ] {
            assert_eq!(local(Some(bad)), None, "{bad:?}");
        }
    }
}
