//! `GET/POST /setup`: the first admin account, through the one-time link `kho serve`
//! prints while none exists ([`crate::setup`] holds the rules).

use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Alert, Lang, lang_q, layout, render, same_origin};
use crate::app::App;
use crate::setup::{self, SetupError};

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    pub token: Option<String>,
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    pub token: String,
    pub username: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
    pub confirm: String,
    pub lang: Option<String>,
}

/// What the person typed, kept when the form comes back with an error.
#[derive(Default)]
struct Typed<'a> {
    username: &'a str,
    name: &'a str,
}

#[derive(askama::Template)]
#[template(path = "pages/setup.html")]
struct SetupPage<'a> {
    l: Lang,
    token: &'a str,
    typed: &'a Typed<'a>,
    error: Option<&'a str>,
}

fn form(l: Lang, token: &str, typed: &Typed, error: Option<&str>) -> String {
    render(&SetupPage {
        l,
        token,
        typed,
        error,
    })
}

fn title(l: Lang) -> &'static str {
    l.t("Thiết lập lần đầu", "First-run setup")
}

/// The page for a link that does not (or no longer) work: 404, with the way on.
fn closed(l: Lang) -> Response {
    let login = format!("/login{}", lang_q(l));
    let body = render(&Alert {
        text: l.t(
            "Liên kết thiết lập này không dùng được: sai, đã dùng, đã quá một giờ, hoặc hệ thống đã có quản trị viên. Người vận hành khởi động lại kho serve để nhận liên kết mới khi chưa có quản trị viên.",
            "This setup link does not work: it is wrong, used, over an hour old, or the deployment has an admin already. Restarting kho serve prints a new link while no admin exists."
        ),
        link: Some((&login, l.t("Đăng nhập", "Sign in"))),
    });
    (
        StatusCode::NOT_FOUND,
        Html(layout(l, "/setup", title(l), &body)),
    )
        .into_response()
}

/// The request comes from the server's own machine, or setup is allowed from anywhere.
fn allowed(app: &App, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> bool {
    app.config.setup_public
        || super::account::client_address(app, headers, peer)
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

fn elsewhere(l: Lang) -> Response {
    let msg = l.t(
        "Chỉ thiết lập được từ chính máy chủ chạy Kho (hoặc khi khởi động với --setup-public).",
        "Setup works only from the machine Kho runs on (or when started with --setup-public).",
    );
    (
        StatusCode::FORBIDDEN,
        Html(layout(
            l,
            "/setup",
            title(l),
            &render(&Alert {
                text: msg,
                link: None,
            }),
        )),
    )
        .into_response()
}

/// `GET /setup`: the form for the first admin, with the printed link's token.
#[utoipa::path(get, path = "/setup", tag = "pages",
    params(("token" = Option<String>, Query, description = "the one-time token `kho serve` printed"),
           ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: create the first admin", content_type = "text/html"),
              (status = 403, description = "not from the server's machine (without --setup-public)"),
              (status = 404, description = "the link is wrong, used or expired, or an admin exists")))]
pub async fn setup_page(
    State(app): State<App>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> Response {
    let l = Lang::from_query(q.lang.as_deref());
    if !allowed(&app, &headers, peer.map(|Extension(ConnectInfo(a))| a)) {
        return elsewhere(l);
    }
    let token = q.token.unwrap_or_default();
    if !setup::valid(&app.setup, &token).await {
        return closed(l);
    }
    Html(layout(
        l,
        "/setup",
        title(l),
        &form(l, &token, &Typed::default(), None),
    ))
    .into_response()
}

/// `POST /setup`: create the first admin, then sign in.
#[utoipa::path(post, path = "/setup", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "token, username, name, password, confirm, lang"),
    responses((status = 303, description = "created: to the sign-in page"),
              (status = 400, description = "the form again, with what to change"),
              (status = 403, description = "posted from another site or machine"),
              (status = 404, description = "the link is wrong, used or expired, or an admin exists")))]
pub async fn create_admin(
    State(app): State<App>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Response {
    let l = Lang::from_query(f.lang.as_deref());
    if !same_origin(&headers, &app.config.public_url) {
        return (StatusCode::FORBIDDEN, "cross-site form refused").into_response();
    }
    if !allowed(&app, &headers, peer.map(|Extension(ConnectInfo(a))| a)) {
        return elsewhere(l);
    }
    let username = f.username.trim();
    let name = f.name.trim();
    let typed = Typed { username, name };
    let again = |msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            Html(layout(
                l,
                "/setup",
                title(l),
                &form(l, &f.token, &typed, Some(msg)),
            )),
        )
            .into_response()
    };
    if f.password != f.confirm {
        return again(super::admin::passwords_differ(l));
    }
    let display = (!name.is_empty()).then_some(name);
    match setup::create_admin(
        &app.db,
        &app.setup,
        &f.token,
        username,
        &f.password,
        display,
    )
    .await
    {
        Ok(_) => {
            let mut to = url::form_urlencoded::Serializer::new(String::new());
            to.append_pair("next", "/admin");
            if l == Lang::En {
                to.append_pair("lang", "en");
            }
            Redirect::to(&format!("/login?{}", to.finish())).into_response()
        }
        Err(SetupError::Closed) => closed(l),
        Err(SetupError::Account(e)) => match super::admin::account_message(l, &e) {
            Some(msg) => again(&msg),
            None => {
                tracing::error!(error = ?e, "first admin");
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        },
    }
}
