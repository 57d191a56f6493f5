//! `/admin`: the deployment's accounts and API tokens, for admins. The same rules as the
//! command line (`kho users create|disable`, `kho tokens list|revoke`), each change in
//! the audit trail under the admin's account.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Lang, MaybeSession, Session, ms_to_time, page, same_origin, to_login};
use crate::accounts::{self, AccountError};
use crate::app::App;
use crate::auth::Role;
use crate::db::accounts::NewUser;

/// A role as people call it.
pub fn role_label(l: Lang, role: &str) -> &'static str {
    match role {
        "admin" => l.t("Quản trị viên", "Administrator"),
        "staff" => l.t("Cán bộ số hóa", "Records staff"),
        "officer" => l.t("Cán bộ kiểm tra", "Verifying officer"),
        "citizen" => l.t("Công dân", "Citizen"),
        "org_member" => l.t("Thành viên tổ chức", "Organization member"),
        "requester" => l.t("Hệ thống khai thác", "Requester system"),
        "issuer" => l.t("Hệ thống cơ quan ban hành", "Issuing system"),
        _ => l.t("Khác", "Other"),
    }
}

/// The message for a password typed twice differently.
pub fn passwords_differ(l: Lang) -> &'static str {
    l.t(
        "Hai lần nhập mật khẩu không giống nhau.",
        "The two passwords differ.",
    )
}

/// What to tell a person whose new account was refused; `None` for a failure that is
/// not theirs (logged, never shown).
pub fn account_message(l: Lang, e: &AccountError) -> Option<String> {
    Some(match e {
        AccountError::BadUsername => l
            .t(
                "Tên đăng nhập gồm 3 đến 64 chữ cái không dấu, chữ số, '.', '-', '_' hoặc '@'.",
                "A username has 3 to 64 letters, digits, '.', '-', '_' or '@'.",
            )
            .to_owned(),
        AccountError::BadPassword => l
            .t(
                "Mật khẩu cần từ 10 đến 256 ký tự.",
                "A password has 10 to 256 characters.",
            )
            .to_owned(),
        AccountError::Taken(u) => match l {
            Lang::Vi => format!("Tên đăng nhập {u} đã có người dùng; hãy chọn tên khác."),
            Lang::En => format!("The username {u} is taken; choose another."),
        },
        AccountError::Invalid(_) => l
            .t(
                "Thông tin gắn với vai trò không hợp lệ.",
                "What the role is bound to is not valid.",
            )
            .to_owned(),
        AccountError::BadCredentials | AccountError::RateLimited(_) | AccountError::Db(_) => {
            return None;
        }
    })
}

#[derive(Debug, Deserialize)]
pub struct AdminQuery {
    pub lang: Option<String>,
    /// The username just created or disabled, for the notice.
    pub done: Option<String>,
    pub what: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub org_role: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm: String,
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TargetForm {
    pub csrf: String,
    /// A username (disable) or a token id (revoke).
    pub target: String,
    pub lang: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RequesterForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    /// One redirect URI per line.
    #[serde(default)]
    pub redirect_uris: String,
    pub lang: Option<String>,
}

/// The requester part of the page: what was typed, what went wrong, or the credentials
/// just issued (shown this once).
#[derive(Default)]
struct RequesterPart<'a> {
    typed: Option<&'a RequesterForm>,
    error: Option<String>,
    issued: Option<(String, String)>,
}

/// The roles an admin creates accounts for on this page (systems get API tokens).
const ROLES: [&str; 5] = ["staff", "officer", "citizen", "org_member", "admin"];

// The error side is the page to send instead, as large as any response.
#[allow(clippy::result_large_err)]
fn admin(l: Lang, s: Option<Session>) -> Result<Session, Response> {
    let s = s.ok_or_else(|| to_login(l, "/admin"))?;
    if s.user.role != Role::Admin {
        return Err(super::error_page(
            l,
            &s,
            StatusCode::FORBIDDEN,
            l.t(
                "Trang này dành cho quản trị viên.",
                "This page is for administrators.",
            ),
        ));
    }
    Ok(s)
}

/// An admin's form post: the session, its CSRF token and this site's origin checked.
#[allow(clippy::result_large_err)]
fn admin_form(
    app: &App,
    l: Lang,
    s: Option<Session>,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Session, Response> {
    let s = admin(l, s)?;
    if csrf != s.csrf || !same_origin(headers, &app.config.public_url) {
        return Err(super::error_page(
            l,
            &s,
            StatusCode::FORBIDDEN,
            super::messages::stale_form(l),
        ));
    }
    Ok(s)
}

fn title(l: Lang) -> &'static str {
    l.t("Quản trị", "Administration")
}

/// `GET /admin`: accounts (create, disable) and API tokens (revoke).
#[utoipa::path(get, path = "/admin", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: accounts and API tokens", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login"),
              (status = 403, description = "not an admin")))]
pub async fn admin_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<AdminQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let s = admin(l, s)?;
    let notice = match (q.what.as_deref(), q.done.as_deref()) {
        (Some("created"), Some(u)) => Some(match l {
            Lang::Vi => format!("Đã tạo tài khoản {u}."),
            Lang::En => format!("Account {u} created."),
        }),
        (Some("disabled"), Some(u)) => Some(match l {
            Lang::Vi => {
                format!("Đã khóa tài khoản {u}; các phiên đăng nhập của tài khoản đã kết thúc.")
            }
            Lang::En => format!("Account {u} disabled; its sessions have ended."),
        }),
        (Some("revoked"), Some(_)) => {
            Some(l.t("Đã thu hồi mã truy cập.", "Token revoked.").to_owned())
        }
        (Some("requester_disabled"), Some(id)) => Some(match l {
            Lang::Vi => format!(
                "Đã khóa hệ thống khai thác {id}; các mã truy cập của hệ thống đã hết hiệu lực."
            ),
            Lang::En => format!("Requester {id} disabled; its access tokens have ended."),
        }),
        _ => None,
    };
    show(
        &app,
        l,
        &s,
        (&AccountForm::default(), None),
        notice.as_deref(),
        StatusCode::OK,
        &RequesterPart::default(),
    )
    .await
}

/// An account or an API token on the admin page.
struct Row {
    /// The token's id (tokens); empty for accounts.
    id: String,
    /// The account's username and name (accounts); empty for tokens.
    username: String,
    name: String,
    role: &'static str,
    bound: String,
    created: String,
    state: String,
    /// Whether it can still be disabled or revoked here.
    can_act: bool,
}

/// A requester system on the admin page.
struct RequesterView<'a> {
    id: &'a str,
    name: &'a str,
    uris: &'a [String],
    created: String,
    state: String,
    can_act: bool,
}

#[derive(askama::Template)]
#[template(path = "pages/admin.html")]
struct AdminPage<'a> {
    l: Lang,
    csrf: &'a str,
    notice: Option<&'a str>,
    /// The figures part (rendered by its own template).
    overview: String,
    accounts: Vec<Row>,
    error: Option<&'a str>,
    typed: &'a AccountForm,
    roles: [(&'static str, &'static str); 5],
    agencies: Vec<(&'a str, &'a str)>,
    org_roles: [(&'static str, &'static str); 3],
    tokens: Vec<Row>,
    /// A requester just registered: its client id and secret, shown this once.
    issued: Option<(&'a str, &'a str)>,
    requester_error: Option<&'a str>,
    requesters: Vec<RequesterView<'a>>,
    req_name: &'a str,
    req_uris: &'a str,
}

/// What an account or token is bound to: its subject or its agency, or a dash.
fn bound(subject: Option<&str>, agency: Option<&str>) -> String {
    subject.or(agency).unwrap_or("—").to_owned()
}

async fn show(
    app: &App,
    l: Lang,
    s: &Session,
    (typed, error): (&AccountForm, Option<&str>),
    notice: Option<&str>,
    status: StatusCode,
    requester: &RequesterPart<'_>,
) -> Result<Response, Response> {
    let accounts = crate::db::accounts::list(&app.db)
        .await
        .map_err(super::unavailable(l, s))?;
    let tokens = crate::db::tokens::list(&app.db)
        .await
        .map_err(super::unavailable(l, s))?;
    let requesters = crate::db::grants::list_requesters(&app.db)
        .await
        .map_err(super::unavailable(l, s))?;
    // The figures are a help, not the page's purpose: without them the accounts can
    // still be managed.
    let overview = super::dashboard::admin_overview(app, l)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = ?e, "admin overview");
            super::empty_state(l.t(
                "Chưa đọc được số liệu tổng quan; hãy tải lại trang sau ít phút.",
                "The overview could not be read; reload the page in a few minutes.",
            ))
        });
    let state = |label: &str, at: i64| format!("{label} {}", ms_to_time(at));
    let accounts = accounts
        .iter()
        .map(|a| {
            let u = &a.user;
            Row {
                id: String::new(),
                username: u.username.clone(),
                name: u.display_name.clone().unwrap_or_else(|| "—".into()),
                role: role_label(l, u.role.as_str()),
                bound: bound(u.subject_id.as_deref(), u.agency.as_deref()),
                created: ms_to_time(a.created_at),
                state: match a.disabled_at {
                    Some(ms) => state(l.t("Đã khóa", "Disabled"), ms),
                    None => l.t("Đang hoạt động", "Active").to_owned(),
                },
                can_act: a.disabled_at.is_none() && u.id != s.user.id,
            }
        })
        .collect();
    let now = crate::db::now_ms();
    let tokens = tokens
        .iter()
        .map(|t| Row {
            id: t.id.clone(),
            username: String::new(),
            name: String::new(),
            role: role_label(l, &t.role),
            bound: bound(t.subject_id.as_deref(), t.agency.as_deref()),
            created: ms_to_time(t.created_at),
            state: match (t.revoked_at, t.expires_at) {
                (Some(ms), _) => state(l.t("Đã thu hồi", "Revoked"), ms),
                (None, Some(ms)) if ms <= now => state(l.t("Hết hạn", "Expired"), ms),
                (None, Some(ms)) => state(l.t("Hiệu lực đến", "Valid until"), ms),
                (None, None) => l.t("Còn hiệu lực", "Valid").to_owned(),
            },
            can_act: t.revoked_at.is_none(),
        })
        .collect();
    let requesters = requesters
        .iter()
        .map(|r| RequesterView {
            id: &r.client_id,
            name: &r.name,
            uris: &r.redirect_uris,
            created: ms_to_time(r.created_at),
            state: match r.disabled_at {
                Some(ms) => state(l.t("Đã khóa", "Disabled"), ms),
                None => l.t("Đang hoạt động", "Active").to_owned(),
            },
            can_act: r.disabled_at.is_none(),
        })
        .collect();
    let body = super::render(&AdminPage {
        l,
        csrf: &s.csrf,
        notice,
        overview,
        accounts,
        error,
        typed,
        roles: ROLES.map(|r| (r, role_label(l, r))),
        agencies: app
            .config
            .agencies
            .0
            .iter()
            .map(|a| (a.code.as_str(), a.name.as_str()))
            .collect(),
        org_roles: [
            ("", l.t("(không)", "(none)")),
            ("member", l.t("Thành viên", "Member")),
            ("admin", l.t("Quản trị của tổ chức", "Organization admin")),
        ],
        tokens,
        issued: requester
            .issued
            .as_ref()
            .map(|(a, b)| (a.as_str(), b.as_str())),
        requester_error: if requester.issued.is_none() {
            requester.error.as_deref()
        } else {
            None
        },
        requesters,
        req_name: requester.typed.map_or("", |t| t.name.trim()),
        req_uris: requester.typed.map_or("", |t| t.redirect_uris.trim()),
    });
    Ok((status, Html(page(l, "/admin", title(l), &body, Some(s)))).into_response())
}

/// What an account is bound to: its subject, agency and organization role.
type Bound<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Check what the role is bound to, with a message in the page's language; the subject,
/// agency and organization role the account gets (none where the role takes none).
fn binding<'a>(l: Lang, app: &App, role: Role, f: &'a AccountForm) -> Result<Bound<'a>, String> {
    let subject = f.subject.trim();
    let agency = f.agency.trim();
    let org_role = f.org_role.trim();
    match role {
        Role::Citizen => match crate::domain::SubjectId::parse(subject) {
            Ok(crate::domain::SubjectId::Citizen(_)) => Ok((Some(subject), None, None)),
            _ => Err(l
                .t(
                    "Công dân cần số định danh cá nhân hợp lệ: 12 chữ số, bắt đầu bằng mã tỉnh.",
                    "A citizen needs a valid personal ID: 12 digits starting with a province code.",
                )
                .into()),
        },
        Role::OrgMember => match crate::domain::SubjectId::parse(subject) {
            Ok(crate::domain::SubjectId::Organization(_)) => Ok((
                Some(subject),
                None,
                Some(if org_role == "admin" { "admin" } else { "member" }),
            )),
            _ => Err(l
                .t(
                    "Thành viên tổ chức cần mã số thuế hợp lệ của tổ chức (10 hoặc 13 chữ số).",
                    "An organization member needs the organization's valid tax code (10 or 13 digits).",
                )
                .into()),
        },
        Role::Staff => {
            if app.config.agencies.0.iter().any(|a| a.code == agency) {
                Ok((None, Some(agency), None))
            } else {
                Err(l
                    .t(
                        "Cán bộ số hóa cần thuộc một cơ quan của hệ thống.",
                        "Records staff need one of this deployment's agencies.",
                    )
                    .into())
            }
        }
        _ => Ok((None, None, None)),
    }
}

/// `POST /admin/accounts`: create an account (staff get their personal certificate).
#[utoipa::path(post, path = "/admin/accounts", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, username, name, role, subject, agency, org_role, password, confirm, lang"),
    responses((status = 303, description = "created: back to /admin"),
              (status = 400, description = "the page again with what to change, keeping what was typed"),
              (status = 403, description = "not an admin, wrong CSRF token or another site")))]
pub async fn create_account(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Form(f): Form<AccountForm>,
) -> Result<Response, Response> {
    let l = Lang::from_query(f.lang.as_deref());
    let s = admin_form(&app, l, s, &headers, &f.csrf)?;
    let refused = match created(&app, l, &s, &f).await {
        Ok(Ok(username)) => return Ok(done(l, "created", &username)),
        Ok(Err(msg)) => msg,
        Err(e) => {
            tracing::error!(error = ?e, "create account");
            return Err(super::error_page(
                l,
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                l.t(
                    "Hệ thống tạm thời không tạo được tài khoản; hãy thử lại sau ít phút.",
                    "The account could not be created just now; try again in a few minutes.",
                ),
            ));
        }
    };
    // The page again, with what to change and what was typed (never the password).
    show(
        &app,
        l,
        &s,
        (&f, Some(&refused)),
        None,
        StatusCode::BAD_REQUEST,
        &RequesterPart::default(),
    )
    .await
}

/// Create the account the form asks for: its username, or what the person must change.
async fn created(
    app: &App,
    l: Lang,
    s: &Session,
    f: &AccountForm,
) -> Result<Result<String, String>, AccountError> {
    let Some(role) = ROLES
        .iter()
        .find(|r| **r == f.role)
        .and_then(|r| r.parse::<Role>().ok())
    else {
        return Ok(Err(l.t("Hãy chọn một vai trò.", "Choose a role.").into()));
    };
    if f.password != f.confirm {
        return Ok(Err(passwords_differ(l).into()));
    }
    let (subject, agency, org_role) = match binding(l, app, role, f) {
        Ok(b) => b,
        Err(msg) => return Ok(Err(msg)),
    };
    let username = f.username.trim();
    let name = f.name.trim();
    let new = NewUser {
        username,
        password_hash: "",
        role,
        subject_id: subject,
        agency,
        org_role,
        display_name: (!name.is_empty()).then_some(name),
    };
    match accounts::create_account(
        &app.db,
        &app.keys,
        &app.config.agencies.0,
        &s.user.id,
        &new,
        &f.password,
    )
    .await
    {
        Ok(_) => Ok(Ok(username.to_owned())),
        Err(e) => match account_message(l, &e) {
            Some(msg) => Ok(Err(msg)),
            None => Err(e),
        },
    }
}

/// Back to `/admin` with a notice of what was done.
fn done(l: Lang, what: &str, target: &str) -> Response {
    let mut to = url::form_urlencoded::Serializer::new(String::new());
    to.append_pair("what", what).append_pair("done", target);
    if l == Lang::En {
        to.append_pair("lang", "en");
    }
    Redirect::to(&format!("/admin?{}", to.finish())).into_response()
}

/// `POST /admin/accounts/disable`: disable an account (its sessions end at once).
#[utoipa::path(post, path = "/admin/accounts/disable", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, target (the username), lang"),
    responses((status = 303, description = "disabled: back to /admin"),
              (status = 403, description = "not an admin, wrong CSRF token, another site, or the admin's own account"),
              (status = 404, description = "no such enabled account")))]
pub async fn disable_account(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Form(f): Form<TargetForm>,
) -> Result<Response, Response> {
    let l = Lang::from_query(f.lang.as_deref());
    let s = admin_form(&app, l, s, &headers, &f.csrf)?;
    if f.target == s.user.username {
        return Err(super::error_page(
            l,
            &s,
            StatusCode::FORBIDDEN,
            l.t(
                "Không tự khóa tài khoản của mình được; một quản trị viên khác làm việc này.",
                "You cannot disable your own account; another admin can.",
            ),
        ));
    }
    if !crate::credentials::disable_user(&app.db, &s.user.id, &f.target)
        .await
        .map_err(super::unavailable(l, &s))?
    {
        return Err(super::error_page(
            l,
            &s,
            StatusCode::NOT_FOUND,
            l.t(
                "Không có tài khoản đang hoạt động với tên này.",
                "No enabled account has that name.",
            ),
        ));
    }
    Ok(done(l, "disabled", &f.target))
}

/// `POST /admin/tokens/revoke`: revoke an API token.
#[utoipa::path(post, path = "/admin/tokens/revoke", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, target (the token's id), lang"),
    responses((status = 303, description = "revoked: back to /admin"),
              (status = 403, description = "not an admin, wrong CSRF token or another site"),
              (status = 404, description = "no such live token")))]
pub async fn revoke_token(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Form(f): Form<TargetForm>,
) -> Result<Response, Response> {
    let l = Lang::from_query(f.lang.as_deref());
    let s = admin_form(&app, l, s, &headers, &f.csrf)?;
    if !crate::credentials::revoke_token(&app.db, &s.user.id, &f.target)
        .await
        .map_err(super::unavailable(l, &s))?
    {
        return Err(super::error_page(
            l,
            &s,
            StatusCode::NOT_FOUND,
            l.t(
                "Không có mã truy cập còn hiệu lực này.",
                "No such live token.",
            ),
        ));
    }
    Ok(done(l, "revoked", "token"))
}

/// `POST /admin/requesters`: register a requester system; the page shows its client id
/// and secret this once.
#[utoipa::path(post, path = "/admin/requesters", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, name, redirect_uris (one per line), lang"),
    responses((status = 200, description = "registered: the page with the client id and secret, shown once", content_type = "text/html"),
              (status = 400, description = "the page again with what to change, keeping what was typed", content_type = "text/html"),
              (status = 403, description = "not an admin, wrong CSRF token or another site")))]
pub async fn create_requester(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Form(f): Form<RequesterForm>,
) -> Result<Response, Response> {
    let l = Lang::from_query(f.lang.as_deref());
    let s = admin_form(&app, l, s, &headers, &f.csrf)?;
    let uris: Vec<String> = f
        .redirect_uris
        .lines()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    let part = match crate::consent::register_by(&app.db, &s.user.id, &f.name, &uris).await {
        Ok(issued) => RequesterPart {
            typed: None,
            error: None,
            issued: Some(issued),
        },
        Err(crate::consent::RegisterError::Invalid(_)) => RequesterPart {
            typed: Some(&f),
            error: Some(
                l.t(
                    "Chưa đăng ký được: cần tên từ 1 đến 200 ký tự và từ 1 đến 10 địa chỉ chuyển hướng hợp lệ, mỗi dòng một địa chỉ, dùng https (http chỉ cho 127.0.0.1/localhost), không có phần #. Sửa rồi bấm Đăng ký lại.",
                    "Not registered: give a name of 1 to 200 characters and 1 to 10 valid redirect URIs, one per line, https (http only on 127.0.0.1/localhost), without a #fragment. Correct them and press Register again.",
                )
                .to_owned(),
            ),
            issued: None,
        },
        Err(crate::consent::RegisterError::Db(e)) => {
            return Err(super::unavailable(l, &s)(e));
        }
    };
    let status = if part.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    show(
        &app,
        l,
        &s,
        (&AccountForm::default(), None),
        None,
        status,
        &part,
    )
    .await
}

/// `POST /admin/requesters/disable`: disable a requester (its access tokens end at once).
#[utoipa::path(post, path = "/admin/requesters/disable", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, target (the client id), lang"),
    responses((status = 303, description = "disabled: back to /admin"),
              (status = 403, description = "not an admin, wrong CSRF token or another site"),
              (status = 404, description = "no such enabled requester")))]
pub async fn disable_requester(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    headers: HeaderMap,
    Form(f): Form<TargetForm>,
) -> Result<Response, Response> {
    let l = Lang::from_query(f.lang.as_deref());
    let s = admin_form(&app, l, s, &headers, &f.csrf)?;
    if !crate::credentials::disable_requester(&app.db, &s.user.id, &f.target)
        .await
        .map_err(super::unavailable(l, &s))?
    {
        return Err(super::error_page(
            l,
            &s,
            StatusCode::NOT_FOUND,
            l.t(
                "Không có hệ thống khai thác đang hoạt động với mã này.",
                "No enabled requester has that client id.",
            ),
        ));
    }
    Ok(done(l, "requester_disabled", &f.target))
}
