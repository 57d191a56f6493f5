//! The consent page of the OAuth 2.0 authorization endpoint ([`crate::consent`]): it
//! names the requester, the purpose, the documents asked for and the expiry; the
//! citizen (or organization admin) ticks which documents to release and allows, or
//! denies.

// The error side of `consenting` is the page to send instead.
#![allow(clippy::result_large_err)]

use axum::extract::{Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{Alert, Lang, MaybeSession, Session, page, render, same_origin, to_login};
use crate::api::caller::principal;
use crate::app::App;
use crate::auth;
use crate::consent::{self, AuthorizeError, AuthorizeParams};
use crate::db::documents;
use crate::search::fold;

/// A document the owner may tick on the consent page.
struct Choice<'a> {
    id: &'a str,
    checked: bool,
    title: &'a str,
    typ: &'a str,
    number: &'a str,
    date: String,
}

#[derive(askama::Template)]
#[template(path = "pages/consent.html")]
struct ConsentPage<'a> {
    l: Lang,
    requester: &'a str,
    purpose: &'a str,
    /// The document types asked for, or empty: the owner chooses.
    asked: String,
    until: String,
    days: i64,
    /// The authorization request's parameters, posted back with the decision.
    hidden: Vec<(String, String)>,
    csrf: &'a str,
    boxes: Vec<Choice<'a>>,
}

fn problem(l: Lang, s: Option<&Session>, status: StatusCode, msg: &str) -> Response {
    let body = render(&Alert {
        text: msg,
        link: None,
    });
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
            problem(
                l,
                s,
                StatusCode::SERVICE_UNAVAILABLE,
                l.t(
                    "Hệ thống tạm thời không xử lý được. Vui lòng thử lại sau ít phút.",
                    "The service cannot do this just now. Please try again in a few minutes.",
                ),
            )
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
    let boxes: Vec<Choice> = docs
        .iter()
        .filter(|d| d.status == crate::domain::Status::Valid)
        .map(|d| {
            let typ = d.doc_type.as_deref().unwrap_or("");
            Choice {
                id: &d.id,
                checked: !asked.is_empty() && asked.iter().any(|t| *t == fold(typ)),
                title: d.title.as_deref().unwrap_or("—"),
                typ,
                number: d.number.as_deref().unwrap_or(""),
                date: super::day_first(d.issued_on.as_deref().unwrap_or("")),
            }
        })
        .collect();
    let pairs = serde_urlencoded::to_string(&p).unwrap_or_default();
    let body = render(&ConsentPage {
        l,
        requester: &a.requester.name,
        purpose: &a.purpose,
        asked: a.asked.join(", "),
        until: super::local_time(crate::db::now_ms() / 1000 + a.days * 86400),
        days: a.days,
        hidden: url::form_urlencoded::parse(pairs.as_bytes())
            .into_owned()
            .collect(),
        csrf: &s.csrf,
        boxes,
    });
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
            super::messages::stale_form(l),
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
