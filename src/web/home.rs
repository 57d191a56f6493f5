//! The home page (`/`) and the page every unknown path gets.
//!
//! A newcomer who opens the address `kho serve` prints finds what this deployment is,
//! who runs it, and the ways in: sign in, check a signed PDF, check a printout's QR
//! code. Someone signed in goes to their own home. A path that is no page gets a 404 page
//! in the layout; only paths under `/api/` answer JSON.

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{Lang, LangQuery, MaybeSession, home, lang_q, page, render};
use crate::api::error::ApiError;
use crate::app::App;

#[derive(askama::Template)]
#[template(path = "pages/home.html")]
struct HomePage<'a> {
    l: Lang,
    deployment: &'a str,
    signed_in: bool,
    agencies: Vec<&'a str>,
}

#[derive(askama::Template)]
#[template(path = "pages/not_found.html")]
struct NotFoundPage {
    l: Lang,
}

/// `GET /`: what this deployment is and the ways in; a signed-in user goes home.
#[utoipa::path(get, path = "/", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the home page", content_type = "text/html"),
              (status = 303, description = "signed in: to the account's home")))]
pub async fn home_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<LangQuery>,
) -> Response {
    let l = Lang::from_query(q.lang.as_deref());
    if let Some(s) = &s
        && home(&s.user) != "/"
    {
        return Redirect::to(&format!("{}{}", home(&s.user), lang_q(l))).into_response();
    }
    let body = render(&HomePage {
        l,
        deployment: &app.config.deployment_name,
        signed_in: s.is_some(),
        agencies: app
            .config
            .agencies
            .0
            .iter()
            .map(|a| a.name.as_str())
            .collect(),
    });
    Html(page(l, "/", l.t("Trang chủ", "Home"), &body, s.as_ref())).into_response()
}

/// Every path no route takes: the JSON error under `/api/`, a page in the layout elsewhere.
pub async fn not_found(
    uri: Uri,
    MaybeSession(s): MaybeSession,
    Query(q): Query<LangQuery>,
) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::NotFound("route").into_response();
    }
    let l = Lang::from_query(q.lang.as_deref());
    let body = render(&NotFoundPage { l });
    (
        StatusCode::NOT_FOUND,
        // The language switch leads home: the unknown path is not echoed into the page.
        Html(page(
            l,
            "/",
            l.t("Không tìm thấy trang", "Page not found"),
            &body,
            s.as_ref(),
        )),
    )
        .into_response()
}
