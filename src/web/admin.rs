//! `/admin`: the deployment's accounts and API tokens, for admins. The same rules as the
//! command line (`kho users create|disable`, `kho tokens list|revoke`), each change in
//! the audit trail under the admin's account.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Lang, MaybeSession, Session, esc, ms_to_time, page, same_origin, to_login};
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
        return Err((StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response());
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
    render(
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

async fn render(
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
    let lang = if l == Lang::En { "en" } else { "vi" };
    let hidden = format!(
        r#"<input type="hidden" name="csrf" value="{}"><input type="hidden" name="lang" value="{lang}">"#,
        esc(&s.csrf)
    );
    let mut rows = String::new();
    for a in &accounts {
        let u = &a.user;
        let bound = u
            .subject_id
            .as_deref()
            .or(u.agency.as_deref())
            .unwrap_or("—");
        let state = match a.disabled_at {
            Some(ms) => format!("{} {}", l.t("Đã khóa", "Disabled"), ms_to_time(ms)),
            None => l.t("Đang hoạt động", "Active").to_owned(),
        };
        let action = if a.disabled_at.is_none() && u.id != s.user.id {
            format!(
                r#"<form method="post" action="/admin/accounts/disable" class="inline">{hidden}<input type="hidden" name="target" value="{name}"><button type="submit" aria-label="{label} {name}">{label}</button></form>"#,
                name = esc(&u.username),
                label = l.t("Khóa", "Disable"),
            )
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<tr><td>{user}</td><td>{name}</td><td>{role}</td><td>{bound}</td><td>{created}</td><td>{state}</td><td>{action}</td></tr>\n",
            user = esc(&u.username),
            name = esc(u.display_name.as_deref().unwrap_or("—")),
            role = role_label(l, u.role.as_str()),
            bound = esc(bound),
            created = ms_to_time(a.created_at),
        ));
    }
    let mut token_rows = String::new();
    for t in &tokens {
        let state = match (t.revoked_at, t.expires_at) {
            (Some(ms), _) => format!("{} {}", l.t("Đã thu hồi", "Revoked"), ms_to_time(ms)),
            (None, Some(ms)) if ms <= crate::db::now_ms() => {
                format!("{} {}", l.t("Hết hạn", "Expired"), ms_to_time(ms))
            }
            (None, Some(ms)) => {
                format!("{} {}", l.t("Hiệu lực đến", "Valid until"), ms_to_time(ms))
            }
            (None, None) => l.t("Còn hiệu lực", "Valid").to_owned(),
        };
        let action = if t.revoked_at.is_none() {
            format!(
                r#"<form method="post" action="/admin/tokens/revoke" class="inline">{hidden}<input type="hidden" name="target" value="{id}"><button type="submit">{label}</button></form>"#,
                id = esc(&t.id),
                label = l.t("Thu hồi", "Revoke"),
            )
        } else {
            String::new()
        };
        token_rows.push_str(&format!(
            "<tr><td>{role}</td><td>{bound}</td><td>{created}</td><td>{state}</td><td>{action}</td></tr>\n",
            role = role_label(l, &t.role),
            bound = esc(t.subject_id.as_deref().or(t.agency.as_deref()).unwrap_or("—")),
            created = ms_to_time(t.created_at),
        ));
    }
    let mut requester_rows = String::new();
    for r in &requesters {
        let state = match r.disabled_at {
            Some(ms) => format!("{} {}", l.t("Đã khóa", "Disabled"), ms_to_time(ms)),
            None => l.t("Đang hoạt động", "Active").to_owned(),
        };
        let action = if r.disabled_at.is_none() {
            format!(
                r#"<form method="post" action="/admin/requesters/disable" class="inline">{hidden}<input type="hidden" name="target" value="{id}"><button type="submit" aria-label="{label} {name}">{label}</button></form>"#,
                id = esc(&r.client_id),
                name = esc(&r.name),
                label = l.t("Khóa", "Disable"),
            )
        } else {
            String::new()
        };
        requester_rows.push_str(&format!(
            "<tr><td>{name}</td><td><code>{id}</code></td><td>{uris}</td><td>{created}</td><td>{state}</td><td>{action}</td></tr>\n",
            name = esc(&r.name),
            id = esc(&r.client_id),
            uris = r
                .redirect_uris
                .iter()
                .map(|u| esc(u))
                .collect::<Vec<_>>()
                .join("<br>"),
            created = ms_to_time(r.created_at),
        ));
    }
    let requester_notice = match (&requester.issued, &requester.error) {
        (Some((id, secret)), _) => format!(
            r#"<div class="good" role="status" id="issued"><p>{said}</p><p>client_id: <code>{id}</code><br>client_secret: <code>{secret}</code></p></div>"#,
            said = l.t(
                "Đã đăng ký hệ thống khai thác. Hãy sao chép khóa bí mật (client_secret) ngay: nó chỉ hiện một lần này, Kho chỉ giữ bản băm.",
                "Requester registered. Copy the client secret now: it is shown this once; Kho keeps only its hash.",
            ),
            id = esc(id),
            secret = esc(secret),
        ),
        (None, Some(e)) => format!(r#"<p class="err" role="alert">{}</p>"#, esc(e)),
        (None, None) => String::new(),
    };
    let role_options: String = ROLES
        .iter()
        .map(|r| {
            format!(
                r#"<option value="{r}"{sel}>{label}</option>"#,
                sel = if typed.role == *r { " selected" } else { "" },
                label = role_label(l, r),
            )
        })
        .collect();
    let agency_options: String = std::iter::once(format!(
        r#"<option value="">{}</option>"#,
        l.t("(không thuộc cơ quan nào)", "(no agency)")
    ))
    .chain(app.config.agencies.0.iter().map(|a| {
        format!(
            r#"<option value="{code}"{sel}>{name}</option>"#,
            code = esc(&a.code),
            sel = if typed.agency == a.code {
                " selected"
            } else {
                ""
            },
            name = esc(&a.name),
        )
    }))
    .collect();
    let org_options: String = [
        ("", l.t("(không)", "(none)")),
        ("member", l.t("Thành viên", "Member")),
        ("admin", l.t("Quản trị của tổ chức", "Organization admin")),
    ]
    .iter()
    .map(|(v, label)| {
        format!(
            r#"<option value="{v}"{sel}>{label}</option>"#,
            sel = if typed.org_role == *v {
                " selected"
            } else {
                ""
            }
        )
    })
    .collect();
    let body = format!(
        r#"{notice}{overview}<h2 id="accounts">{accounts_h}</h2>
<div class="scroll" tabindex="0"><table><thead><tr><th>{user_h}</th><th>{name_h}</th><th>{role_h}</th><th>{bound_h}</th><th>{created_h}</th><th>{state_h}</th><th><span class="sr">{action_h}</span></th></tr></thead>
<tbody>
{rows}</tbody></table></div>
<h2 id="new-account">{new_h}</h2>
{err}<form method="post" action="/admin/accounts">{hidden}
<label for="username">{user_h}</label>
<input id="username" name="username" required minlength="3" maxlength="64" autocomplete="off" value="{username}">
<label for="name">{name_h}</label>
<input id="name" name="name" maxlength="200" value="{name}">
<label for="role">{role_h}</label>
<select id="role" name="role">{role_options}</select>
<label for="subject">{subject_l}</label>
<input id="subject" name="subject" inputmode="numeric" maxlength="14" value="{subject}" aria-describedby="subject-help">
<small id="subject-help">{subject_help}</small>
<label for="agency">{agency_l}</label>
<select id="agency" name="agency" aria-describedby="agency-help">{agency_options}</select>
<small id="agency-help">{agency_help}</small>
<label for="org_role">{org_l}</label>
<select id="org_role" name="org_role">{org_options}</select>
<label for="password">{pass_l}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="256">
<label for="confirm">{again_l}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="10" maxlength="256">
<p><button id="create-account" type="submit">{create}</button></p>
</form>
<h2 id="tokens">{tokens_h}</h2>
<p>{tokens_p}</p>
<div class="scroll" tabindex="0"><table><thead><tr><th>{role_h}</th><th>{bound_h}</th><th>{created_h}</th><th>{state_h}</th><th><span class="sr">{action_h}</span></th></tr></thead>
<tbody>
{token_rows}</tbody></table></div>
<h2 id="requesters">{requesters_h}</h2>
<p>{requesters_p}</p>
{requester_notice}<div class="scroll" tabindex="0"><table><thead><tr><th>{req_name_h}</th><th>client_id</th><th>{uris_h}</th><th>{created_h}</th><th>{state_h}</th><th><span class="sr">{action_h}</span></th></tr></thead>
<tbody>
{requester_rows}</tbody></table></div>
<h3 id="new-requester">{new_req_h}</h3>
<form method="post" action="/admin/requesters">{hidden}
<label for="req-name">{req_name_h}</label>
<input id="req-name" name="name" required maxlength="200" value="{req_name}">
<label for="req-uris">{uris_l}</label>
<textarea id="req-uris" name="redirect_uris" required rows="3" cols="50" aria-describedby="req-uris-help">{req_uris}</textarea>
<small id="req-uris-help">{uris_help}</small>
<p><button id="create-requester" type="submit">{register}</button></p>
</form>"#,
        notice = notice
            .map(|n| format!(r#"<p class="good" role="status">{}</p>"#, esc(n)))
            .unwrap_or_default(),
        err = error
            .map(|e| format!(r#"<p class="err" role="alert">{}</p>"#, esc(e)))
            .unwrap_or_default(),
        accounts_h = l.t("Tài khoản", "Accounts"),
        user_h = l.t("Tên đăng nhập", "Username"),
        name_h = l.t("Họ và tên", "Full name"),
        role_h = l.t("Vai trò", "Role"),
        bound_h = l.t("Gắn với", "Bound to"),
        created_h = l.t("Ngày tạo", "Created"),
        state_h = l.t("Trạng thái", "State"),
        action_h = l.t("Thao tác", "Action"),
        new_h = l.t("Tạo tài khoản", "New account"),
        username = esc(typed.username.trim()),
        name = esc(typed.name.trim()),
        subject = esc(typed.subject.trim()),
        subject_l = l.t("Số định danh cá nhân / mã số thuế", "Personal ID / tax code"),
        subject_help = l.t(
            "Chỉ cho công dân (12 chữ số) và thành viên tổ chức (mã số thuế).",
            "Only for citizens (12 digits) and organization members (tax code).",
        ),
        agency_l = l.t("Cơ quan", "Agency"),
        agency_help = l.t(
            "Bắt buộc với cán bộ số hóa; cán bộ được cấp chứng thư cá nhân của cơ quan.",
            "Required for records staff, who get a personal certificate of the agency.",
        ),
        org_l = l.t("Vai trò trong tổ chức", "Role in the organization"),
        pass_l = l.t("Mật khẩu (10 đến 256 ký tự)", "Password (10 to 256 characters)"),
        again_l = l.t("Nhập lại mật khẩu", "Password again"),
        create = l.t("Tạo tài khoản", "Create account"),
        requesters_h = l.t("Hệ thống khai thác dữ liệu", "Requester systems"),
        requesters_p = l.t(
            "Các cổng dịch vụ công và ứng dụng được công dân, tổ chức cho phép đọc văn bản của mình (OAuth). Khóa một hệ thống thì các mã truy cập của nó hết hiệu lực ngay.",
            "Public-service portals and applications that citizens and organizations let read their documents (OAuth). Disabling one ends its access tokens at once.",
        ),
        req_name_h = l.t("Tên hiển thị cho công dân", "Name citizens see"),
        uris_h = l.t("Địa chỉ chuyển hướng", "Redirect URIs"),
        uris_l = l.t(
            "Địa chỉ chuyển hướng (mỗi dòng một địa chỉ)",
            "Redirect URIs (one per line)"
        ),
        uris_help = l.t(
            "Từ 1 đến 10 địa chỉ chính xác, dùng https (http chỉ cho 127.0.0.1/localhost), không có phần #.",
            "1 to 10 exact URIs, https (http only on 127.0.0.1/localhost), without a #fragment.",
        ),
        new_req_h = l.t("Đăng ký hệ thống khai thác", "Register a requester"),
        register = l.t("Đăng ký", "Register"),
        req_name = esc(requester.typed.map_or("", |t| t.name.trim())),
        req_uris = esc(requester.typed.map_or("", |t| t.redirect_uris.trim())),
        tokens_h = l.t("Mã truy cập API", "API tokens"),
        tokens_p = l.t(
            "Mã truy cập cho hệ thống được tạo bằng dòng lệnh kho tokens create; tại đây có thể thu hồi.",
            "Tokens for systems are made with kho tokens create; they can be revoked here.",
        ),
    );
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
    render(
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
    render(
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
