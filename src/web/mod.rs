//! Server-rendered pages (DESIGN.md §7): one layout for every page, Vietnamese by
//! default with an English switch (`?lang=en`), usable at phone width and by keyboard,
//! plain JavaScript only where it helps.
//!
//! | module | pages |
//! |---|---|
//! | [`home`] | `GET /` (what this deployment is, the ways in; signed in: to the account's home), the 404 page of every unknown path outside `/api/` |
//! | [`help`] | `GET /help`: what each role does here, the reader's own role first; linked from every page's header |
//! | [`verify`] | `GET /verify` (an officer checks a signed PDF), `GET /verify/qr` (a printout's QR code), `GET /v/{id}` (the public status page a printout's QR code leads to) |
//! | [`account`] | `GET/POST /login`, `POST /logout` |
//! | [`setup`] | `GET/POST /setup`: the first admin, through the one-time link `kho serve` prints while none exists |
//! | [`admin`] | `GET /admin` (accounts, API tokens, requester systems), `POST /admin/accounts` (create), `POST /admin/accounts/disable`, `POST /admin/tokens/revoke`, `POST /admin/requesters` (register), `POST /admin/requesters/disable` |
//! | [`owner`] | `GET /me` (my documents, search), `GET /me/documents/{id}`, `GET /me/grants`, `POST /me/grants/{id}/revoke`, `GET /me/access-log` |
//! | [`consent`] | `GET/POST /oauth/authorize`: the consent page |
//! | [`assets`] | `GET /assets/{name}`: the pages' scripts (no page ships inline script) |
//! | [`dashboard`] | `GET /staff` (the agency's day: figures and pages per hour); the deployment's at the top of `/admin` |
//! | [`staff`] | `GET /staff/batches` (upload a batch; the agency's batches), `GET /staff/batches/{id}` (live progress), `GET /staff/reviews` (the queue), `GET /staff/reviews/{id}` (pages beside text; correct, approve, reject) |
//!
//! Signed-in pages use the session cookie ([`Session`]); every form that changes
//! something carries the session's CSRF token, and cookie-carrying POSTs from another
//! origin are refused.

pub mod account;
pub mod admin;
pub mod assets;
pub mod consent;
pub mod dashboard;
pub mod help;
pub mod home;
pub mod messages;
pub mod owner;
pub mod setup;
pub mod staff;
pub mod verify;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::App;
use crate::db::accounts::User;

/// A signed-in account and its session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

/// The session, if the request carries a live one.
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<App> for MaybeSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let Some(value) = crate::api::caller::session_cookie(&parts.headers) else {
            return Ok(MaybeSession(None));
        };
        match crate::accounts::session(&app.db, &value).await {
            Ok(s) => Ok(MaybeSession(s.map(|(user, csrf)| Session { user, csrf }))),
            Err(e) => {
                tracing::error!(error = ?e, "session lookup");
                Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
            }
        }
    }
}

/// Send someone who is not signed in to the sign-in page, and back here afterwards.
pub fn to_login(lang: Lang, back: &str) -> Response {
    let mut u = url::form_urlencoded::Serializer::new(String::new());
    u.append_pair("next", back);
    if lang == Lang::En {
        u.append_pair("lang", "en");
    }
    Redirect::to(&format!("/login?{}", u.finish())).into_response()
}

/// A time for people, from Unix milliseconds. (`Borrow`: templates pass references.)
pub fn ms_to_time(ms: impl std::borrow::Borrow<i64>) -> String {
    local_time(ms.borrow().div_euclid(1000))
}

/// Vietnam's time (UTC+7 all year, no daylight saving), as people write it:
/// `dd/mm/yyyy HH:MM`. The pages show every time this way.
pub fn local_time(unix: impl std::borrow::Borrow<i64>) -> String {
    let (y, mo, d, h, mi, _) = crate::domain::civil(unix.borrow() + 7 * 3600);
    format!("{d:02}/{mo:02}/{y:04} {h:02}:{mi:02}")
}

/// A calendar date as people write it: `2024-06-09` → `09/06/2024`; anything that is
/// not an ISO date is shown as it is.
pub fn day_first(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d]
            if y.len() == 4
                && m.len() == 2
                && d.len() == 2
                && iso.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            format!("{d}/{m}/{y}")
        }
        _ => iso.to_owned(),
    }
}

/// An empty list's place: what the person can do.
pub fn empty_state(text: &str) -> String {
    render(&Note {
        class: "empty",
        text,
    })
}

/// One paragraph of text: an error, or an empty list's place.
#[derive(askama::Template)]
#[template(
    source = r#"<p class="{{ class }}"{% if class == "empty" %} role="status"{% endif %}>{{ text }}</p>"#,
    ext = "html"
)]
pub struct Note<'a> {
    pub class: &'static str,
    pub text: &'a str,
}

/// An alert (`role="alert"`), and the way on when there is one (address, words).
#[derive(askama::Template)]
#[template(path = "parts/alert.html")]
pub struct Alert<'a> {
    pub text: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

/// An error page for a signed-in account.
pub fn error_page(l: Lang, s: &Session, status: StatusCode, msg: &str) -> Response {
    (
        status,
        Html(page(
            l,
            home(&s.user),
            l.t("Lỗi", "Error"),
            &render(&Note {
                class: "err",
                text: msg,
            }),
            Some(s),
        )),
    )
        .into_response()
}

/// A database failure for people: 503 and "try again" when the database cannot be
/// reached, 500 for any other failure, as the API answers. The cause is logged here,
/// never shown.
pub fn outage(l: Lang, e: &crate::db::DbError) -> (StatusCode, &'static str) {
    tracing::error!(error = ?e, "pages");
    if e.is_unreachable() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            l.t(
                "Hệ thống tạm thời không truy cập được dữ liệu. Vui lòng thử lại sau ít phút.",
                "The service cannot reach its data just now. Please try again in a few minutes.",
            ),
        )
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            l.t("Lỗi hệ thống.", "Internal error."),
        )
    }
}

/// The page for a database failure, for a signed-in account ([`outage`]).
pub fn unavailable(l: Lang, s: &Session) -> impl FnOnce(crate::db::DbError) -> Response + '_ {
    move |e| {
        let (status, text) = outage(l, &e);
        error_page(l, s, status, text)
    }
}

// The error side is the page to send instead, as large as any response.
#[allow(clippy::result_large_err)]
/// The session and the subject it acts for under `rule`; or the sign-in page (coming
/// back to `back`), or an error page.
pub fn signed_in(
    l: Lang,
    s: Option<Session>,
    back: &str,
    rule: fn(Lang, &Session) -> Result<String, Response>,
) -> Result<(Session, String), Response> {
    let s = s.ok_or_else(|| to_login(l, back))?;
    let subject = rule(l, &s)?;
    Ok((s, subject))
}

/// Where an account's pages start: records staff at their agency's day, owners at
/// their repository.
pub fn home(user: &User) -> &'static str {
    match user.role {
        crate::auth::Role::Staff => "/staff",
        crate::auth::Role::Citizen | crate::auth::Role::OrgMember => "/me",
        // An officer verifies; an admin manages accounts; any other role starts on `/`.
        crate::auth::Role::Officer => "/verify",
        crate::auth::Role::Admin => "/admin",
        _ => "/",
    }
}

/// Is a form POST from this site? A browser sends `Origin` with POSTs; when present it
/// must be the public URL's origin (or the Host the request came to).
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let public = url::Url::parse(public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin == public || origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// A page with the signed-in navigation.
pub fn page(lang: Lang, path: &str, title: &str, body: &str, s: Option<&Session>) -> String {
    let nav = s.map(|s| Nav {
        links: match s.user.role {
            crate::auth::Role::Staff => vec![
                ("/staff", lang.t("Tổng quan", "Overview")),
                ("/staff/batches", lang.t("Lô số hóa", "Batches")),
                ("/staff/reviews", lang.t("Hàng chờ duyệt", "Review queue")),
            ],
            crate::auth::Role::Citizen | crate::auth::Role::OrgMember => vec![
                ("/me", lang.t("Hồ sơ của tôi", "My documents")),
                ("/me/grants", lang.t("Chia sẻ", "Consents")),
                ("/me/access-log", lang.t("Nhật ký truy cập", "Access log")),
            ],
            crate::auth::Role::Admin => vec![
                ("/admin", lang.t("Quản trị", "Administration")),
                ("/verify", lang.t("Kiểm tra văn bản", "Verify")),
            ],
            crate::auth::Role::Officer => vec![
                ("/verify", lang.t("Kiểm tra tệp PDF", "Verify a PDF")),
                ("/verify/qr", lang.t("Kiểm tra mã QR", "Verify a QR code")),
            ],
            _ => vec![],
        },
        csrf: &s.csrf,
        who: s.user.display_name.as_deref().unwrap_or(&s.user.username),
    });
    render(&Layout::new(lang, path, title, body, nav))
}

/// The signed-in navigation: the role's pages and the sign-out button.
struct Nav<'a> {
    links: Vec<(&'static str, &'static str)>,
    csrf: &'a str,
    who: &'a str,
}

/// The shared layout (templates/layout.html): header with the site name, the language
/// switch and help, the navigation when signed in, the page's body.
#[derive(askama::Template)]
#[template(path = "layout.html")]
struct Layout<'a> {
    l: Lang,
    code: &'static str,
    other: &'static str,
    other_label: &'static str,
    path: &'a str,
    sep: char,
    title: &'a str,
    nav: Option<Nav<'a>>,
    /// Markup rendered by a page's own template (escaped there).
    body: &'a str,
}

impl<'a> Layout<'a> {
    fn new(l: Lang, path: &'a str, title: &'a str, body: &'a str, nav: Option<Nav<'a>>) -> Self {
        let (code, other, other_label) = match l {
            Lang::Vi => ("vi", "en", "English"),
            Lang::En => ("en", "vi", "Tiếng Việt"),
        };
        Layout {
            l,
            code,
            other,
            other_label,
            path,
            sep: if path.contains('?') { '&' } else { '?' },
            title,
            nav,
            body,
        }
    }
}

/// A template's markup. Rendering fails only when a value's `Display` fails, which
/// none of the pages' values do; such a failure is logged and leaves the part empty.
pub fn render(t: &impl askama::Template) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a page");
        String::new()
    })
}

/// A page's `?lang=` query (`en` for English).
#[derive(Debug, serde::Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

/// The query that keeps `l` on a link: `?lang=en`, or nothing for Vietnamese.
pub fn lang_q(l: Lang) -> &'static str {
    if l == Lang::En { "?lang=en" } else { "" }
}

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn from_query(q: Option<&str>) -> Lang {
        if q == Some("en") { Lang::En } else { Lang::Vi }
    }

    /// The query that keeps this language on a link (see [`lang_q`]).
    pub fn q(self) -> &'static str {
        lang_q(self)
    }

    /// The Vietnamese or the English text.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// A document's status in words, for the pages (the printout page writes it in capitals).
pub fn status_label(
    l: Lang,
    status: impl std::borrow::Borrow<crate::domain::Status>,
) -> &'static str {
    match status.borrow() {
        crate::domain::Status::Valid => l.t("Còn hiệu lực", "Valid"),
        crate::domain::Status::Expired => l.t("Hết hiệu lực", "Expired"),
        crate::domain::Status::Revoked => l.t("Đã thu hồi", "Revoked"),
        crate::domain::Status::Superseded => l.t("Đã được thay thế", "Superseded"),
    }
}

/// The shared layout without the signed-in navigation (the printout page).
pub fn layout(lang: Lang, path: &str, title: &str, body: &str) -> String {
    render(&Layout::new(lang, path, title, body, None))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_vietnam_s_time_day_first() {
        // 2026-12-04T20:30:00Z is 03:30 the next morning in Hà Nội.
        assert_eq!(super::local_time(1_796_416_200), "05/12/2026 03:30");
        assert_eq!(super::ms_to_time(0), "01/01/1970 07:00");
    }

    use super::{Lang, Session};

    fn session(display_name: &str) -> Session {
        Session {
            user: crate::db::accounts::User {
                id: "u1".into(),
                username: "canbo".into(),
                password_hash: String::new(),
                role: crate::auth::Role::Staff,
                subject_id: None,
                agency: Some("HCM".into()),
                org_role: None,
                display_name: Some(display_name.into()),
            },
            csrf: "tok\"en".into(),
        }
    }

    /// The layout escapes every value it is given (title, path, the account's name, the
    /// CSRF token) and inserts only the body a page's template rendered.
    #[test]
    fn the_layout_escapes_what_it_is_given() {
        let html = super::page(
            Lang::En,
            "/x\"><script>alert(1)</script>",
            "<b>Title</b>",
            "<p id=\"body\">rendered</p>",
            Some(&session("<img src=x onerror=alert(2)>")),
        );
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<b>Title"), "{html}");
        assert!(
            html.contains("&#60;b&#62;Title&#60;/b&#62; · Kho</title>"),
            "{html}"
        );
        assert!(
            html.contains("&#60;img src=x onerror=alert(2)&#62;"),
            "{html}"
        );
        assert!(html.contains(r#"value="tok&#34;en""#), "{html}");
        assert!(html.contains(r#"<p id="body">rendered</p>"#), "{html}");
        // The structure: English, one main, the hashed stylesheet, the staff's links.
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{html}"
        );
        assert_eq!(html.matches("<main>").count(), 1);
        assert!(
            html.contains(r#"<link rel="stylesheet" href="/assets/kho.css?v="#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="/staff/reviews?lang=en">Review queue</a>"#),
            "{html}"
        );
        assert!(html.contains(r#"lang="vi">Tiếng Việt</a>"#), "{html}");
    }

    /// Signed out, the layout has no account navigation, and Vietnamese is the default.
    #[test]
    fn a_signed_out_page_has_no_account_navigation() {
        let html = super::layout(Lang::Vi, "/verify", "Kiểm tra", "<p>x</p>");
        assert!(html.contains(r#"<html lang="vi">"#), "{html}");
        assert!(!html.contains("/logout"), "{html}");
        assert!(
            html.contains(r#"<a href="/verify?lang=en" lang="en">English</a>"#),
            "{html}"
        );
        assert!(html.contains(r#"<a href="/help">Trợ giúp</a>"#), "{html}");
    }

    #[test]
    fn dates_of_issue_are_written_day_first() {
        assert_eq!(super::day_first("2024-06-09"), "09/06/2024");
        assert_eq!(super::day_first(""), "");
        assert_eq!(super::day_first("06/2024"), "06/2024");
        assert_eq!(super::day_first("2024-6-9"), "2024-6-9");
    }
}
