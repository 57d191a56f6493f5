//! The consent page of the OAuth 2.0 authorization endpoint ([`crate::consent`]): it
//! names the requester, the purpose, the documents asked for and the expiry; the
//! citizen (or organization admin) ticks which documents to release and allows, or
//! denies.

// The error side of `consenting` is the page to send instead.
#![allow(clippy::result_large_err)]

use axum::extract::{Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{Lang, MaybeSession, Session, esc, page, same_origin, to_login};
use crate::api::caller::principal;
use crate::app::App;
use crate::auth;
use crate::consent::{self, AuthorizeError, AuthorizeParams};
use crate::db::documents;
use crate::search::fold;

fn problem(l: Lang, s: Option<&Session>, status: StatusCode, msg: &str) -> Response {
    let body = format!(r#"<p class="err" role="alert">{}</p>"#, esc(msg));
    (
        status,
        Html(page(
            l,
            "/oauth/authorize",
            l.t("Không thể chia sẻ", "Cannot share"),
            &body,
            s,
        )),
    )
        .into_response()
}

/// The subject this account consents for, or the page saying it cannot.
fn consenting(l: Lang, s: &Session) -> Result<String, Response> {
    let who = principal(&s.user);
    who.subject_id
        .clone()
        .filter(|o| auth::can_consent(&who, o))
        .ok_or_else(|| {
            problem(
                l,
                Some(s),
                StatusCode::FORBIDDEN,
                l.t(
                    "Chỉ công dân, hoặc quản trị viên của tổ chức, có thể đồng ý chia sẻ hồ sơ.",
                    "Only the citizen, or the organization's admin, can consent to sharing documents.",
                ),
            )
        })
}

fn refused(l: Lang, s: Option<&Session>, e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Page(msg) => problem(l, s, StatusCode::BAD_REQUEST, &msg),
        AuthorizeError::Redirect(uri, state, code, why) => Redirect::to(&consent::back(
            &uri,
            &[("error", code), ("error_description", &why)],
            state.as_deref(),
        ))
        .into_response(),
        AuthorizeError::Db(e) => {
            tracing::error!(error = ?e, "authorize");
            problem(l, s, StatusCode::SERVICE_UNAVAILABLE, "internal error")
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LangOnly {
    pub lang: Option<String>,
}

/// `GET /oauth/authorize`: the consent page (sign in first).
#[utoipa::path(get, path = "/oauth/authorize", tag = "oauth",
    params(("client_id" = String, Query), ("redirect_uri" = String, Query, description = "exactly as registered"),
           ("response_type" = String, Query, description = "`code`"), ("scope" = String, Query, description = "`documents:read`"),
           ("state" = Option<String>, Query), ("code_challenge" = String, Query, description = "PKCE, BASE64URL(SHA-256(verifier))"),
           ("code_challenge_method" = String, Query, description = "`S256`"),
           ("purpose" = String, Query, description = "why the requester asks, shown to the owner (1–300 characters)"),
           ("documents" = Option<String>, Query, description = "document types asked for, comma-separated"),
           ("max_age_days" = Option<i64>, Query, description = "how long the consent lasts, 1–365 days (default 30)"),
           ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML consent page", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login; or a bad request sent back to the requester with `error`"),
              (status = 400, description = "unknown client or redirect URI (shown, not redirected)")))]
pub async fn authorize_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(p): Query<AuthorizeParams>,
    Query(lq): Query<LangOnly>,
    uri: axum::http::Uri,
) -> Response {
    let l = Lang::from_query(lq.lang.as_deref());
    let Some(s) = s else {
        return to_login(l, &uri.to_string());
    };
    let a = match consent::check(&app.db, &p).await {
        Ok(a) => a,
        Err(e) => return refused(l, Some(&s), e),
    };
    let owner = match consenting(l, &s) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let docs = match documents::list_by_owner(&app.db, &owner, None).await {
        Ok(d) => d,
        Err(e) => return refused(l, Some(&s), AuthorizeError::Db(e)),
    };
    let asked: Vec<String> = a.asked.iter().map(|t| fold(t)).collect();
    let mut boxes = String::new();
    for d in docs
        .iter()
        .filter(|d| d.status == crate::domain::Status::Valid)
    {
        let typ = d.doc_type.as_deref().unwrap_or("");
        let checked = !asked.is_empty() && asked.iter().any(|t| *t == fold(typ));
        boxes.push_str(&format!(
            r#"<label><input type="checkbox" name="document" value="{id}"{c}> {title} <small>{typ} {num} {date}</small></label>"#,
            id = esc(&d.id),
            c = if checked { " checked" } else { "" },
            title = esc(d.title.as_deref().unwrap_or("—")),
            typ = esc(typ),
            num = esc(d.number.as_deref().unwrap_or("")),
            date = esc(&super::day_first(d.issued_on.as_deref().unwrap_or(""))),
        ));
    }
    if boxes.is_empty() {
        boxes = format!(
            "<p>{}</p>",
            l.t(
                "Bạn chưa có văn bản còn hiệu lực nào để chia sẻ.",
                "You have no valid documents to share."
            )
        );
    }
    let mut hidden = String::new();
    let pairs = serde_urlencoded::to_string(&p).unwrap_or_default();
    for (k, v) in url::form_urlencoded::parse(pairs.as_bytes()) {
        hidden.push_str(&format!(
            r#"<input type="hidden" name="{}" value="{}">"#,
            esc(&k),
            esc(&v)
        ));
    }
    let until = super::local_time(crate::db::now_ms() / 1000 + a.days * 86400);
    let body = format!(
        r#"<p id="requester"><strong>{req}</strong> {asks}</p>
<table><tr><th>{purpose_l}</th><td id="purpose">{purpose}</td></tr>
<tr><th>{asked_l}</th><td id="asked">{asked}</td></tr>
<tr><th>{until_l}</th><td id="until">{until} ({days} {days_l})</td></tr></table>
<form method="post" action="/oauth/authorize">
{hidden}<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="lang" value="{lang}">
<fieldset><legend>{pick}</legend>{boxes}</fieldset>
<p><button id="allow" type="submit" name="decision" value="allow">{allow}</button>
<button id="deny" type="submit" name="decision" value="deny">{deny}</button></p>
</form>"#,
        req = esc(&a.requester.name),
        asks = l.t(
            "đề nghị được sử dụng hồ sơ của bạn.",
            "asks to use your documents."
        ),
        purpose_l = l.t("Mục đích", "Purpose"),
        purpose = esc(&a.purpose),
        asked_l = l.t("Văn bản đề nghị", "Documents asked for"),
        asked = if a.asked.is_empty() {
            l.t("do bạn chọn", "your choice").to_owned()
        } else {
            esc(&a.asked.join(", "))
        },
        until_l = l.t("Thời hạn chia sẻ đến", "Consent lasts until"),
        days = a.days,
        days_l = l.t("ngày", "days"),
        csrf = s.csrf,
        lang = if l == Lang::En { "en" } else { "vi" },
        pick = l.t(
            "Chọn văn bản bạn đồng ý chia sẻ",
            "Choose the documents you release"
        ),
        allow = l.t("Đồng ý chia sẻ", "Allow"),
        deny = l.t("Từ chối", "Deny"),
    );
    let path = uri
        .to_string()
        .replace("&lang=en", "")
        .replace("?lang=en&", "?");
    Html(page(
        l,
        &path,
        l.t("Đồng ý chia sẻ hồ sơ", "Consent to share documents"),
        &body,
        Some(&s),
    ))
    .into_response()
}

/// `POST /oauth/authorize`: the owner's decision on the consent page.
#[utoipa::path(post, path = "/oauth/authorize", tag = "oauth",
    request_body(content_type = "application/x-www-form-urlencoded",
                 description = "the authorization parameters, csrf, decision (`allow` or `deny`), and one `document` per released document"),
    responses((status = 303, description = "back to the requester's redirect URI with `code` (allowed) or `error=access_denied`"),
              (status = 400, description = "no document chosen, or one that is not the owner's"),
              (status = 403, description = "missing or wrong CSRF token, another site, or an account that cannot consent")))]
pub async fn decide(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    RawForm(raw): RawForm,
) -> Response {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&raw).into_owned().collect();
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let l = Lang::from_query(one("lang").as_deref());
    let Some(s) = s else {
        return to_login(l, "/me");
    };
    if one("csrf").as_deref() != Some(s.csrf.as_str())
        || !same_origin(&headers, &app.config.public_url)
    {
        return problem(
            l,
            Some(&s),
            StatusCode::FORBIDDEN,
            "missing or wrong CSRF token",
        );
    }
    let p = AuthorizeParams {
        response_type: one("response_type"),
        client_id: one("client_id"),
        redirect_uri: one("redirect_uri"),
        scope: one("scope"),
        state: one("state"),
        code_challenge: one("code_challenge"),
        code_challenge_method: one("code_challenge_method"),
        purpose: one("purpose"),
        documents: one("documents"),
        max_age_days: one("max_age_days"),
    };
    let a = match consent::check(&app.db, &p).await {
        Ok(a) => a,
        Err(e) => return refused(l, Some(&s), e),
    };
    let owner = match consenting(l, &s) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if one("decision").as_deref() != Some("allow") {
        return Redirect::to(&consent::back(
            &a.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the owner refused"),
            ],
            a.state.as_deref(),
        ))
        .into_response();
    }
    let mut chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "document")
        .map(|(_, v)| v.clone())
        .collect();
    chosen.sort();
    chosen.dedup();
    if chosen.is_empty() || chosen.len() > 100 {
        return problem(
            l,
            Some(&s),
            StatusCode::BAD_REQUEST,
            l.t(
                "Hãy chọn ít nhất một văn bản để chia sẻ.",
                "Choose at least one document to release.",
            ),
        );
    }
    for id in &chosen {
        let mine = match uuid::Uuid::parse_str(id) {
            Ok(_) => documents::get(&app.db, id).await.ok().flatten(),
            Err(_) => None,
        }
        .is_some_and(|d| d.owner_id == owner && d.status == crate::domain::Status::Valid);
        if !mine {
            return problem(
                l,
                Some(&s),
                StatusCode::BAD_REQUEST,
                l.t(
                    "Văn bản được chọn không thuộc hồ sơ của bạn.",
                    "A chosen document is not in your repository.",
                ),
            );
        }
    }
    match consent::approve(&app.db, &a, &owner, &s.user.id, &chosen).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => refused(l, Some(&s), AuthorizeError::Db(e)),
    }
}
