//! Server-rendered pages (DESIGN.md §7): one layout for every page, Vietnamese by
//! default with an English switch (`?lang=en`), usable at phone width and by keyboard,
//! plain JavaScript only where it helps.
//!
//! | module | pages |
//! |---|---|
//! | [`home`] | `GET /` (what this deployment is, the ways in; signed in: to the account's home), the 404 page of every unknown path outside `/api/` |
//! | [`help`] | `GET /help`: what each role does here, the reader's own role first; linked from every page's header |
//! | [`verify`] | `GET /verify` (an officer checks a signed PDF), `GET /verify/qr` (a printout's QR code) |
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

/// A time for people, from Unix milliseconds.
pub fn ms_to_time(ms: i64) -> String {
    local_time(ms.div_euclid(1000))
}

/// Vietnam's time (UTC+7 all year, no daylight saving), as people write it:
/// `dd/mm/yyyy HH:MM`. The pages show every time this way.
pub fn local_time(unix: i64) -> String {
    let (y, mo, d, h, mi, _) = crate::domain::civil(unix + 7 * 3600);
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

/// `table`, or when it has no rows (`rows` is empty) what the person can do instead.
pub fn or_empty(rows: &str, table: String, empty: &str) -> String {
    if rows.is_empty() {
        empty_state(empty)
    } else {
        table
    }
}

/// An empty list's place: what the person can do.
pub fn empty_state(text: &str) -> String {
    format!(r#"<p class="empty" role="status">{}</p>"#, esc(text))
}

/// An error page for a signed-in account.
pub fn error_page(l: Lang, s: &Session, status: StatusCode, msg: &str) -> Response {
    (
        status,
        Html(page(
            l,
            home(&s.user),
            l.t("Lỗi", "Error"),
            &format!(r#"<p class="err">{}</p>"#, esc(msg)),
            Some(s),
        )),
    )
        .into_response()
}

/// The page for a database failure: 503 when the database cannot be reached, 500 for
/// any other failure, as the API answers; the cause is logged, never shown.
pub fn unavailable(l: Lang, s: &Session) -> impl FnOnce(crate::db::DbError) -> Response + '_ {
    move |e| {
        tracing::error!(error = ?e, "pages");
        if e.is_unreachable() {
            error_page(
                l,
                s,
                StatusCode::SERVICE_UNAVAILABLE,
                l.t(
                    "Hệ thống tạm thời không truy cập được dữ liệu. Vui lòng thử lại sau ít phút.",
                    "The service cannot reach its data just now. Please try again in a few minutes.",
                ),
            )
        } else {
            error_page(
                l,
                s,
                StatusCode::INTERNAL_SERVER_ERROR,
                l.t("Lỗi hệ thống.", "Internal error."),
            )
        }
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
    let nav = match s {
        None => String::new(),
        Some(s) => {
            let q = if lang == Lang::En { "?lang=en" } else { "" };
            let links: Vec<(&str, &str)> = match s.user.role {
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
            };
            let links: String = links
                .iter()
                .map(|(href, label)| format!(r#"<a href="{href}{q}">{label}</a>"#))
                .collect();
            format!(
                r#"<nav class="user" aria-label="{menu}">{links}
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">{out} ({who})</button></form></nav>
"#,
                menu = lang.t("Tài khoản", "Account"),
                out = lang.t("Đăng xuất", "Sign out"),
                who = esc(s.user.display_name.as_deref().unwrap_or(&s.user.username)),
                csrf = s.csrf,
            )
        }
    };
    layout(lang, path, title, &format!("{nav}{body}"))
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

    /// The Vietnamese or the English text.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// A document's status in words, for the pages (the printout page writes it in capitals).
pub fn status_label(l: Lang, status: crate::domain::Status) -> &'static str {
    match status {
        crate::domain::Status::Valid => l.t("Còn hiệu lực", "Valid"),
        crate::domain::Status::Expired => l.t("Hết hiệu lực", "Expired"),
        crate::domain::Status::Revoked => l.t("Đã thu hồi", "Revoked"),
        crate::domain::Status::Superseded => l.t("Đã được thay thế", "Superseded"),
    }
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The shared layout: header with the site name and the language switch, main content.
pub fn layout(lang: Lang, path: &str, title: &str, body: &str) -> String {
    let (code, other, other_label) = match lang {
        Lang::Vi => ("vi", "en", "English"),
        Lang::En => ("en", "vi", "Tiếng Việt"),
    };
    format!(
        r#"<!doctype html>
<html lang="{code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} · Kho</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:0 1rem;line-height:1.45}}
header{{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #ccc}}
nav a{{margin-left:1rem}}
.good{{color:#0a6b2d;font-weight:bold}} .bad{{color:#a4161a;font-weight:bold}} .warn{{color:#7a4a00;font-weight:bold}}
th{{text-align:left;padding-right:1rem;vertical-align:top}}
button,input{{font-size:1rem;margin:.25rem 0}}
a:focus,button:focus,input:focus{{outline:3px solid #1d4ed8}}
nav.user{{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0}} nav.user a{{margin:0}}
form.inline{{display:inline}} table{{border-collapse:collapse;width:100%}} td,th{{padding:.25rem .5rem .25rem 0;border-bottom:1px solid #eee}}
.err{{color:#a4161a}} label{{display:block;margin-top:.5rem}} fieldset{{margin:.5rem 0}}
select{{font-size:1rem;margin:.25rem 0}} .scroll{{overflow-x:auto;position:relative}}
.preview{{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;width:min(72rem,calc(100vw - 2rem));position:relative;left:50%;transform:translateX(-50%)}}
.preview iframe{{width:100%;height:80vh;border:1px solid #ccc}}
@media (max-width:700px){{.preview{{grid-template-columns:minmax(0,1fr)}}.preview iframe{{height:60vh}}}}
.tiles{{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.5rem;margin:1rem 0}}
.tile{{border:1px solid #ccc;border-radius:.25rem;padding:.5rem}} .tile dt{{font-size:.9rem}} .tile dd{{margin:0;font-size:1.5rem}} .tile small{{display:block;font-size:.8rem}}
.chart{{width:100%;max-width:30rem;height:auto}} .chart .bar{{fill:#1d4ed8}} .chart .axis{{font-size:10px;fill:#333}} .chart .axis-line{{stroke:#333}}
a.button{{display:inline-block;padding:.5rem .75rem;border:1px solid #1d4ed8;border-radius:.25rem;margin:.25rem .25rem .25rem 0;text-decoration:none}}
textarea{{max-width:100%;box-sizing:border-box;font-size:1rem}} #document td{{overflow-wrap:anywhere}}
@media (max-width:600px){{table.cards thead{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}}
table.cards tr{{display:block;border-bottom:1px solid #ccc;padding:.5rem 0}} table.cards td{{display:block;border:0;padding:.15rem 0}}
table.cards td[data-label]::before{{content:attr(data-label) ": ";font-weight:bold}} table.cards a,table.cards button{{display:inline-block;min-height:44px;line-height:44px}}}}
.thumb{{float:left;margin:0 .5rem .25rem 0;border:1px solid #ccc;height:auto}}
.sr{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}}
</style>
</head>
<body>
<header><h1>Kho — {t}</h1><nav><a href="{path}{sep}lang={other}" lang="{other}">{other_label}</a><a href="/help{help_q}">{help}</a></nav></header>
<main>
{body}
</main>
</body>
</html>"#,
        t = esc(title),
        help_q = lang_q(lang),
        help = lang.t("Trợ giúp", "Help"),
        sep = if path.contains('?') { '&' } else { '?' },
        path = esc(path),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_vietnam_s_time_day_first() {
        // 2026-12-04T20:30:00Z is 03:30 the next morning in Hà Nội.
        assert_eq!(super::local_time(1_796_416_200), "05/12/2026 03:30");
        assert_eq!(super::ms_to_time(0), "01/01/1970 07:00");
    }

    #[test]
    fn dates_of_issue_are_written_day_first() {
        assert_eq!(super::day_first("2024-06-09"), "09/06/2024");
        assert_eq!(super::day_first(""), "");
        assert_eq!(super::day_first("06/2024"), "06/2024");
        assert_eq!(super::day_first("2024-6-9"), "2024-6-9");
    }
}
