//! The home page (`/`) and the page every unknown path gets.
//!
//! A newcomer who opens the address `kho serve` prints finds what this deployment is,
//! who runs it, and the ways in: sign in, check a signed PDF, check a printout's QR
//! code. Someone signed in goes to their own home. A path that is no page gets a 404 page
//! in the layout; only paths under `/api/` answer JSON.

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{Lang, LangQuery, MaybeSession, esc, home, lang_q, page};
use crate::api::error::ApiError;
use crate::app::App;

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
    let agencies: String = app
        .config
        .agencies
        .0
        .iter()
        .map(|a| format!("<li>{}</li>", esc(&a.name)))
        .collect();
    let q = lang_q(l);
    let sign_in = if s.is_none() {
        format!(
            r#"<li><a href="/login{q}">{}</a> — {}</li>"#,
            l.t("Đăng nhập", "Sign in"),
            l.t(
                "công dân, tổ chức xem và chia sẻ hồ sơ của mình; cán bộ văn thư số hóa và duyệt văn bản",
                "citizens and organizations see and share their records; records staff digitize and review"
            ),
        )
    } else {
        String::new()
    };
    let body = format!(
        r#"<p>{what}</p>
<p>{runs}: <strong>{name}</strong></p>
<h2>{ways}</h2>
<ul class="ways">
{sign_in}
<li><a href="/verify{q}">{verify_pdf}</a> — {verify_pdf_how}</li>
<li><a href="/verify/qr{q}">{verify_qr}</a> — {verify_qr_how}</li>
</ul>
<h2>{issuers}</h2>
<ul>{agencies}</ul>"#,
        what = l.t(
            "Kho lưu giữ bản số hóa có ký số của kết quả thủ tục hành chính, để công dân và tổ chức dùng lại khi làm thủ tục trực tuyến thay cho bản giấy.",
            "Kho keeps signed digital copies of the results of administrative procedures, so citizens and organizations can reuse them online instead of bringing paper copies."
        ),
        runs = l.t("Đơn vị vận hành", "Run by"),
        name = esc(&app.config.deployment_name),
        ways = l.t("Bạn muốn làm gì?", "What would you like to do?"),
        verify_pdf = l.t("Kiểm tra tệp PDF có ký số", "Check a signed PDF"),
        verify_pdf_how = l.t(
            "tải tệp lên để biết chữ ký có hợp lệ và văn bản có bị sửa không",
            "upload the file to learn whether its signatures are valid and it is unchanged"
        ),
        verify_qr = l.t("Kiểm tra mã QR trên bản in", "Check a printout's QR code"),
        verify_qr_how = l.t(
            "chụp ảnh mã QR để xem văn bản gốc và tình trạng hiệu lực",
            "photograph the QR code to see the original record and whether it is in force"
        ),
        issuers = l.t("Cơ quan ban hành tại đây", "Issuing agencies here"),
    );
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
    let body = format!(
        r#"<p class="err">{}</p><p><a href="/{}">{}</a></p>"#,
        l.t(
            "Không có trang này. Địa chỉ có thể đã gõ sai hoặc trang đã được chuyển.",
            "There is no such page. The address may be mistyped, or the page has moved."
        ),
        lang_q(l),
        l.t("Về trang chủ", "Go to the home page"),
    );
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
