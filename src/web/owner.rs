//! The owner's pages (DESIGN.md §7): my documents with their status, search, one
//! document (open, download), my consents with revoke, and who used my documents.
//! A citizen, or a member of an organization, sees that subject's repository; consents
//! and the access log are the citizen's, or the organization admin's
//! ([`crate::auth::can_consent`]).

// The error side of these helpers is the page to send instead (a redirect to sign in,
// or an error page), which is as large as any response.
#![allow(clippy::result_large_err)]

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    Lang, MaybeSession, Session, error_page, page, render, same_origin, signed_in, status_label,
    unavailable,
};
use crate::api::caller::principal;
use crate::app::App;
use crate::auth::{self, Visible};
use crate::db::documents::{self, Document};
use crate::db::grants;
use crate::search;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub q: Option<String>,
    pub lang: Option<String>,
}

/// The repository a signed-in account reads, or an error page.
fn repository(l: Lang, s: &Session) -> Result<String, Response> {
    match auth::visible(&principal(&s.user)) {
        Visible::Owner(o) => Ok(o),
        _ => Err(error_page(
            l,
            s,
            StatusCode::FORBIDDEN,
            l.t(
                "Trang này dành cho công dân và tổ chức sở hữu hồ sơ.",
                "These pages are for citizens and organizations that own records.",
            ),
        )),
    }
}

#[derive(askama::Template)]
#[template(path = "pages/my_documents.html")]
struct DocumentsPage<'a> {
    l: Lang,
    owner: &'a str,
    /// The search words, or empty: every document.
    words: &'a str,
    docs: Vec<Document>,
}

#[derive(askama::Template)]
#[template(path = "pages/my_document.html")]
struct DocumentPage<'a> {
    l: Lang,
    pdf: &'a str,
    /// What the document is, as label and value.
    rows: Vec<(&'a str, String)>,
    panel: String,
}

#[derive(askama::Template)]
#[template(path = "pages/my_grants.html")]
struct GrantsPage<'a> {
    l: Lang,
    grants: Vec<grants::Grant>,
    csrf: &'a str,
}

#[derive(askama::Template)]
#[template(path = "pages/my_access_log.html")]
struct AccessLogPage {
    l: Lang,
    pulls: Vec<grants::Pull>,
}

/// `GET /me`: my documents, or those matching `q`.
#[utoipa::path(get, path = "/me", tag = "pages",
    params(("q" = Option<String>, Query, description = "search words (diacritics optional)"),
           ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the signed-in owner's documents", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login")))]
pub async fn documents_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<PageQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, owner) = signed_in(l, s, "/me", repository)?;
    let words = q.q.as_deref().unwrap_or("").trim().to_owned();
    let docs = if words.is_empty() {
        documents::list_by_owner(&app.db, &owner, None).await
    } else {
        match search::Query::parse(&words) {
            Some(query) => {
                search::search(
                    &app.db,
                    &query,
                    &Visible::Owner(owner.clone()),
                    &search::Filters::default(),
                    100,
                )
                .await
            }
            None => Ok(vec![]),
        }
    };
    let docs = docs.map_err(unavailable(l, &s))?;
    let body = render(&DocumentsPage {
        l,
        owner: &owner,
        words: &words,
        docs,
    });
    Ok(Html(page(
        l,
        "/me",
        l.t("Hồ sơ của tôi", "My documents"),
        &body,
        Some(&s),
    ))
    .into_response())
}

/// `GET /me/documents/{id}`: one of my documents.
#[utoipa::path(get, path = "/me/documents/{id}", tag = "pages",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the document's details and links", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login"), (status = 404, description = "not yours, or no such document")))]
pub async fn document_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, owner) = signed_in(l, s, &format!("/me/documents/{id}"), repository)?;
    let doc = match uuid::Uuid::parse_str(&id) {
        Ok(_) => documents::get(&app.db, &id)
            .await
            .map_err(unavailable(l, &s))?,
        Err(_) => None,
    };
    let Some(d) = doc.filter(|d| d.owner_id == owner) else {
        return Err(error_page(
            l,
            &s,
            StatusCode::NOT_FOUND,
            l.t("Không tìm thấy văn bản.", "No such document."),
        ));
    };
    let day = |v: &Option<String>| v.as_deref().map(super::day_first);
    let rows = [
        (l.t("Tên", "Title"), d.title.clone()),
        (l.t("Loại", "Type"), d.doc_type.clone()),
        (l.t("Số, ký hiệu", "Number"), d.number.clone()),
        (l.t("Ngày ban hành", "Issued"), day(&d.issued_on)),
        (l.t("Cơ quan ban hành", "Issued by"), d.issuer.clone()),
        (l.t("Hiệu lực từ", "Valid from"), day(&d.valid_from)),
        (l.t("Hiệu lực đến", "Valid to"), day(&d.valid_to)),
        (
            l.t("Tình trạng", "Status"),
            Some(status_label(l, d.status).to_owned()),
        ),
        ("SHA-256", Some(d.pdf_sha256.clone())),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    // The PDF in the browser's own viewer beside what it is and whether it verifies
    // (checked by the page on opening, as an officer's /verify would).
    let pdf_url = format!("/api/v1/documents/{}/pdf", d.id);
    let body = render(&DocumentPage {
        l,
        pdf: &pdf_url,
        rows,
        panel: super::verify::verdict_panel(l, Some(&pdf_url)),
    });
    let title = d
        .title
        .clone()
        .unwrap_or_else(|| l.t("Văn bản", "Document").into());
    Ok(Html(page(
        l,
        &format!("/me/documents/{}", d.id),
        &title,
        &body,
        Some(&s),
    ))
    .into_response())
}

/// The subject whose consents this account manages, or an error page.
fn consenting(l: Lang, s: &Session) -> Result<String, Response> {
    let p = principal(&s.user);
    match &p.subject_id {
        Some(o) if auth::can_consent(&p, o) => Ok(o.clone()),
        _ => Err(error_page(
            l,
            s,
            StatusCode::FORBIDDEN,
            l.t(
                "Chỉ công dân, hoặc quản trị viên của tổ chức, quản lý việc chia sẻ.",
                "Only the citizen, or the organization's admin, manages consents.",
            ),
        )),
    }
}

/// `GET /me/grants`: my consents, with revoke buttons.
#[utoipa::path(get, path = "/me/grants", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the consents given, with revoke", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login")))]
pub async fn grants_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<PageQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, owner) = signed_in(l, s, "/me/grants", consenting)?;
    let list = grants::for_owner(&app.db, &owner)
        .await
        .map_err(unavailable(l, &s))?;
    let body = render(&GrantsPage {
        l,
        grants: list,
        csrf: &s.csrf,
    });
    Ok(Html(page(
        l,
        "/me/grants",
        l.t("Chia sẻ hồ sơ", "Consents"),
        &body,
        Some(&s),
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    pub csrf: String,
    pub lang: Option<String>,
}

/// `POST /me/grants/{id}/revoke`: withdraw a consent.
#[utoipa::path(post, path = "/me/grants/{id}/revoke", tag = "pages",
    params(("id" = String, Path)),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, lang"),
    responses((status = 303, description = "revoked; back to /me/grants"),
              (status = 403, description = "missing or wrong CSRF token, or another site"),
              (status = 404, description = "not your consent, or already ended")))]
pub async fn revoke_grant(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, Response> {
    let l = Lang::from_query(f.lang.as_deref());
    let (s, owner) = signed_in(l, s, "/me/grants", consenting)?;
    if f.csrf != s.csrf || !same_origin(&headers, &app.config.public_url) {
        return Err(error_page(
            l,
            &s,
            StatusCode::FORBIDDEN,
            super::messages::stale_form(l),
        ));
    }
    if !grants::revoke(&app.db, &id, &owner)
        .await
        .map_err(unavailable(l, &s))?
    {
        return Err(error_page(
            l,
            &s,
            StatusCode::NOT_FOUND,
            l.t("Không có sự chia sẻ này.", "No such consent."),
        ));
    }
    let back = if l == Lang::En {
        "/me/grants?lang=en"
    } else {
        "/me/grants"
    };
    Ok(Redirect::to(back).into_response())
}

/// `GET /me/access-log`: who used my documents, when, for what.
#[utoipa::path(get, path = "/me/access-log", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: every pull of the owner's documents", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login")))]
pub async fn access_log_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<PageQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, owner) = signed_in(l, s, "/me/access-log", consenting)?;
    let pulls = grants::access_log(&app.db, &owner, 500)
        .await
        .map_err(unavailable(l, &s))?;
    let body = render(&AccessLogPage { l, pulls });
    Ok(Html(page(
        l,
        "/me/access-log",
        l.t("Nhật ký truy cập", "Access log"),
        &body,
        Some(&s),
    ))
    .into_response())
}
