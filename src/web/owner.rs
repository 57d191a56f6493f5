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
    Lang, MaybeSession, Session, error_page, esc, ms_to_time, page, same_origin, signed_in,
    status_label, unavailable,
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

fn doc_rows(l: Lang, docs: &[Document], lang_q: &str) -> String {
    let (t, ty, n, d_h, s) = (
        l.t("Tên", "Title"),
        l.t("Loại", "Type"),
        l.t("Số, ký hiệu", "Number"),
        l.t("Ngày ban hành", "Issued"),
        l.t("Tình trạng", "Status"),
    );
    let mut rows = String::new();
    for d in docs {
        // At phone width each row is a card and each cell says what it is (data-label).
        rows.push_str(&format!(
            r#"<tr data-doc-id="{id}"><td><a href="/me/documents/{id}{lang_q}"><img class="thumb" src="/api/v1/documents/{id}/thumbnail" alt="" width="48" loading="lazy">{title}</a></td><td data-label="{ty}">{typ}</td><td data-label="{n}">{num}</td><td data-label="{d_h}">{date}</td><td class="status" data-label="{s}">{status}</td><td><a href="/api/v1/documents/{id}/pdf" download>{dl}</a></td></tr>"#,
            id = esc(&d.id),
            title = esc(d.title.as_deref().unwrap_or("—")),
            typ = esc(d.doc_type.as_deref().unwrap_or("")),
            num = esc(d.number.as_deref().unwrap_or("")),
            date = esc(&super::day_first(d.issued_on.as_deref().unwrap_or(""))),
            status = status_label(l, d.status),
            dl = l.t("Tải PDF", "Download PDF"),
        ));
    }
    format!(
        r#"<table id="documents" class="cards"><thead><tr><th>{t}</th><th>{ty}</th><th>{n}</th><th>{d_h}</th><th>{s}</th><th><span class="sr">{dl}</span></th></tr></thead><tbody>{rows}</tbody></table>"#,
        dl = l.t("Tải về", "Download"),
    )
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
    let lang_q = if l == Lang::En { "?lang=en" } else { "" };
    let summary = if words.is_empty() {
        match l {
            Lang::Vi => format!("{} văn bản trong kho của {}.", docs.len(), esc(&owner)),
            Lang::En => format!(
                "{} documents in the repository of {}.",
                docs.len(),
                esc(&owner)
            ),
        }
    } else {
        match l {
            Lang::Vi => format!("{} kết quả cho “{}”.", docs.len(), esc(&words)),
            Lang::En => format!("{} results for “{}”.", docs.len(), esc(&words)),
        }
    };
    let body = format!(
        r#"<form method="get" action="/me" role="search">
<label for="q">{find}</label>
<input id="q" name="q" type="search" value="{words}" maxlength="200">
{lang_field}<button id="search" type="submit">{go}</button>
</form>
<p id="summary" role="status">{summary}</p>
{table}"#,
        find = l.t(
            "Tìm trong hồ sơ (có thể gõ không dấu)",
            "Search my documents (diacritics optional)"
        ),
        words = esc(&words),
        lang_field = if l == Lang::En {
            r#"<input type="hidden" name="lang" value="en">"#
        } else {
            ""
        },
        go = l.t("Tìm", "Search"),
        table = if docs.is_empty() {
            let empty = if words.is_empty() {
                l.t(
                    "Kho của bạn chưa có văn bản nào. Khi cơ quan số hóa hồ sơ giấy hoặc cấp kết quả điện tử cho bạn, văn bản sẽ hiện ở đây.",
                    "Your repository holds no documents yet. When an agency digitizes your papers or issues you a result, it appears here.",
                )
            } else {
                l.t(
                    "Không có văn bản nào khớp. Hãy thử ít từ hơn, hoặc một từ trong tên, số hay cơ quan ban hành.",
                    "No document matches. Try fewer words, or one word of the title, number or issuing body.",
                )
            };
            super::empty_state(empty)
        } else {
            doc_rows(l, &docs, lang_q)
        },
    );
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
    let row = |k: &str, v: Option<&str>| {
        v.map(|v| format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v)))
            .unwrap_or_default()
    };
    // The PDF in the browser's own viewer beside what it is and whether it verifies
    // (checked by the page on opening, as an officer's /verify would).
    let pdf_url = format!("/api/v1/documents/{}/pdf", d.id);
    let body = format!(
        r#"<div class="preview"><iframe id="preview" src="{pdf}" title="{view}"></iframe>
<div><table id="document">{}{}{}{}{}{}{}{}{}</table>
<p><a href="{pdf}" target="_blank">{open}</a> · <a href="{pdf}" download>{dl}</a></p>
<h2>{check}</h2>
{panel}</div></div>"#,
        row(l.t("Tên", "Title"), d.title.as_deref()),
        row(l.t("Loại", "Type"), d.doc_type.as_deref()),
        row(l.t("Số, ký hiệu", "Number"), d.number.as_deref()),
        row(
            l.t("Ngày ban hành", "Issued"),
            d.issued_on.as_deref().map(super::day_first).as_deref(),
        ),
        row(l.t("Cơ quan ban hành", "Issued by"), d.issuer.as_deref()),
        row(
            l.t("Hiệu lực từ", "Valid from"),
            d.valid_from.as_deref().map(super::day_first).as_deref(),
        ),
        row(
            l.t("Hiệu lực đến", "Valid to"),
            d.valid_to.as_deref().map(super::day_first).as_deref(),
        ),
        row(l.t("Tình trạng", "Status"), Some(status_label(l, d.status))),
        row("SHA-256", Some(&d.pdf_sha256)),
        pdf = esc(&pdf_url),
        view = l.t("Bản PDF của văn bản", "The document's PDF"),
        check = l.t("Kiểm tra chữ ký số", "Signature check"),
        panel = super::verify::verdict_panel(l, Some(&pdf_url)),
        open = l.t("Mở PDF", "Open the PDF"),
        dl = l.t("Tải PDF", "Download PDF"),
    );
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
    let lang_field = if l == Lang::En {
        r#"<input type="hidden" name="lang" value="en">"#
    } else {
        ""
    };
    let (r_h, p_h, n_h, u_h, s_h) = (
        l.t("Bên sử dụng", "Requester"),
        l.t("Mục đích", "Purpose"),
        l.t("Số văn bản", "Documents"),
        l.t("Hết hạn", "Expires"),
        l.t("Tình trạng", "State"),
    );
    let mut rows = String::new();
    for g in &list {
        let state = match g.state.as_str() {
            "active" => l.t("Đang hiệu lực", "Active"),
            "revoked" => l.t("Đã thu hồi", "Revoked"),
            _ => l.t("Đã hết hạn", "Expired"),
        };
        let action = if g.state == "active" {
            format!(
                r#"<form method="post" action="/me/grants/{id}/revoke" class="inline"><input type="hidden" name="csrf" value="{csrf}">{lang_field}<button type="submit">{rv}</button></form>"#,
                id = esc(&g.id),
                csrf = s.csrf,
                rv = l.t("Thu hồi", "Revoke"),
            )
        } else {
            String::new()
        };
        rows.push_str(&format!(
            r#"<tr data-grant-id="{id}"><td data-label="{r_h}">{req}</td><td data-label="{p_h}">{purpose}</td><td data-label="{n_h}">{n}</td><td data-label="{u_h}">{until}</td><td class="state" data-label="{s_h}">{state}</td><td>{action}</td></tr>"#,
            id = esc(&g.id),
            req = esc(&g.requester),
            purpose = esc(&g.purpose),
            n = g.document_ids.len(),
            until = ms_to_time(g.expires_at),
        ));
    }
    let body = format!(
        r#"<table id="grants" class="cards"><thead><tr><th>{r_h}</th><th>{p_h}</th><th>{n_h}</th><th>{u_h}</th><th>{s_h}</th><th><span class="sr">{act}</span></th></tr></thead><tbody>{rows}</tbody></table>"#,
        act = l.t("Thao tác", "Action"),
    );
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
        return Err((StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response());
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
    let (t_h, r_h, d_h, a_h, p_h) = (
        l.t("Thời gian", "When"),
        l.t("Bên sử dụng", "Who"),
        l.t("Văn bản", "Document"),
        l.t("Thao tác", "What"),
        l.t("Mục đích", "Purpose"),
    );
    let mut rows = String::new();
    for p in &pulls {
        rows.push_str(&format!(
            r#"<tr data-doc-id="{id}"><td data-label="{t_h}">{at}</td><td data-label="{r_h}">{req}</td><td data-label="{d_h}">{doc}</td><td data-label="{a_h}">{action}</td><td data-label="{p_h}">{purpose}</td></tr>"#,
            id = esc(&p.document_id),
            at = ms_to_time(p.at),
            req = esc(&p.requester),
            doc = esc(p.document_title.as_deref().unwrap_or(&p.document_id)),
            action = match p.action.as_str() {
                "pdf" => l.t("tải bản PDF", "downloaded the PDF"),
                "original" => l.t("tải bản quét gốc", "downloaded the original scan"),
                "list" => l.t("xem trong danh sách", "saw it in the repository list"),
                "thumbnail" => l.t("xem ảnh thu nhỏ trang 1", "viewed page 1's thumbnail"),
                _ => l.t("xem thông tin", "read the metadata"),
            },
            purpose = esc(&p.purpose),
        ));
    }
    let body = format!(
        r#"<table id="access-log" class="cards"><thead><tr><th>{t_h}</th><th>{r_h}</th><th>{d_h}</th><th>{a_h}</th><th>{p_h}</th></tr></thead><tbody>{rows}</tbody></table>"#,
    );
    Ok(Html(page(
        l,
        "/me/access-log",
        l.t("Nhật ký truy cập", "Access log"),
        &body,
        Some(&s),
    ))
    .into_response())
}
