//! `GET /help`: a short help page per role, Vietnamese by default with the English
//! switch, linked from every page's header. Signed in, the reader's own role comes
//! first.

use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};

use super::{Lang, LangQuery, MaybeSession, page, render};
use crate::auth::Role;

/// One role's help: its anchor, heading and steps.
struct Section {
    id: &'static str,
    heading: (&'static str, &'static str),
    steps: &'static [(&'static str, &'static str)],
}

const CITIZEN: Section = Section {
    id: "citizen",
    heading: ("Công dân và tổ chức", "Citizens and organizations"),
    steps: &[
        (
            "Đăng nhập rồi mở “Hồ sơ của tôi” để xem mọi văn bản đã được số hóa và lưu cho bạn; tìm theo tên, số hoặc cơ quan — gõ không dấu cũng được.",
            "Sign in and open “My documents” to see every document digitized and filed for you; search by title, number or agency — without diacritics is fine.",
        ),
        (
            "Mở một văn bản để xem, tải tệp PDF đã ký số; tệp tải về có thể được kiểm tra ở bất cứ đâu.",
            "Open a document to view it and download the signed PDF; the downloaded file can be checked anywhere.",
        ),
        (
            "Khi một cổng dịch vụ công xin đọc văn bản, bạn chọn văn bản nào được chia sẻ và trong bao lâu. “Chia sẻ” liệt kê các lần cho phép; có thể thu hồi bất cứ lúc nào.",
            "When a public-service portal asks to read your documents, you choose which and for how long. “Consents” lists what you allowed; you can revoke any of it at any time.",
        ),
        (
            "“Nhật ký truy cập” cho biết hệ thống nào đã đọc văn bản nào, khi nào.",
            "“Access log” shows which system read which document, and when.",
        ),
    ],
};

const STAFF: Section = Section {
    id: "staff",
    heading: ("Cán bộ số hóa", "Records staff"),
    steps: &[
        (
            "“Lô số hóa”: đặt tên lô, chọn các tệp quét (PNG, JPEG, TIFF, PDF hoặc ZIP) rồi bấm Tải lên và số hóa. Ghi chủ sở hữu (số định danh hoặc mã số thuế) khi cả lô thuộc một người, hoặc kèm bảng kê CSV.",
            "“Batches”: name the batch, choose the scanned files (PNG, JPEG, TIFF, PDF or ZIP) and press Upload and digitize. Give the owner (personal ID or tax code) when the whole batch is one person's, or attach a CSV manifest.",
        ),
        (
            "Chồng giấy nhiều văn bản: in tờ phân cách của Kho giữa các văn bản và chọn “Tách chồng”.",
            "A stack of several documents: put Kho's separator sheets between them and tick “Split”.",
        ),
        (
            "Trang lô cho biết tiến độ từng văn bản. Văn bản đọc chưa rõ, thiếu trường, hoặc ghi chủ sở hữu khác với lô sẽ vào “Hàng chờ duyệt”, không bao giờ tự lưu sai kho.",
            "The batch page shows each document's progress. A document that reads poorly, lacks a field, or names a holder other than the batch's goes to the “Review queue”: it is never filed into the wrong repository.",
        ),
        (
            "Trong hàng chờ: xem ảnh trang bên cạnh chữ đọc được, sửa trường hoặc chủ sở hữu, rồi Duyệt (ký số và lưu) hoặc Từ chối kèm lý do.",
            "In the queue: see the page image beside the text read, correct fields or the owner, then Approve (signed and filed) or Reject with a reason.",
        ),
    ],
};

const OFFICER: Section = Section {
    id: "officer",
    heading: ("Cán bộ kiểm tra", "Officers who check documents"),
    steps: &[
        (
            "“Kiểm tra văn bản ký số”: chọn tệp PDF. Kết quả “Hợp lệ” nghĩa là mọi chữ ký đúng và tệp không bị sửa; bảng bên dưới cho biết ai ký, lúc nào, và thời điểm được chứng thực bằng dấu thời gian.",
            "“Verify a signed document”: choose the PDF. “Valid” means every signature is right and the file is unchanged; the table below says who signed, when, and the trusted time a timestamp proves.",
        ),
        (
            "“Chưa kết luận được” không phải là giả mạo: Kho không kiểm tra được loại chữ ký đó hoặc thiếu dữ liệu thu hồi; hãy kiểm tra bằng công cụ của nơi cấp chứng thư.",
            "“Undecided” is not a forgery: Kho cannot check that kind of signature or lacks revocation data; check it with the certificate issuer's tool.",
        ),
        (
            "Bản in: chụp mã QR ở trang 1 và tải ảnh lên “Kiểm tra mã QR” để xem văn bản còn hiệu lực hay đã bị thu hồi.",
            "A printout: photograph the QR code on page 1 and upload it on “Verify a QR code” to see whether the document is still valid or was revoked.",
        ),
        (
            "Không có mạng: lấy chứng thư gốc tại /api/v1/trust/roots.pem một lần; tệp đã mang sẵn dữ liệu để kiểm tra ngoại tuyến (kho verify, pyHanko, hoặc trình đọc PDF).",
            "No network: fetch the root certificate from /api/v1/trust/roots.pem once; each file carries the data to check it offline (kho verify, pyHanko, or a PDF reader).",
        ),
    ],
};

const ADMIN: Section = Section {
    id: "admin",
    heading: ("Quản trị viên", "Administrators"),
    steps: &[
        (
            "“Quản trị”: tạo và khóa tài khoản (cán bộ số hóa được cấp chứng thư cá nhân của cơ quan), thu hồi mã truy cập API, đăng ký hoặc khóa hệ thống khai thác dữ liệu. Mọi thao tác đều được ghi nhật ký.",
            "“Administration”: create and disable accounts (records staff get a personal certificate of their agency), revoke API tokens, register or disable requester systems. Every action is recorded in the audit trail.",
        ),
        (
            "Khóa và chứng thư: kho keys list, kho keys rotate --agency MÃ; kho keys revoke khi khóa bị lộ.",
            "Keys and certificates: kho keys list, kho keys rotate --agency CODE; kho keys revoke when a key is compromised.",
        ),
        (
            "Giữ văn bản kiểm tra được lâu dài: chạy kho archive refresh hằng tháng (cron).",
            "Keep documents verifiable for decades: run kho archive refresh monthly (cron).",
        ),
        (
            "Sao lưu: kho backup, và giữ khóa mã hóa khóa (KHO_KEK hoặc tệp kek.key) tách khỏi bản sao lưu.",
            "Backups: kho backup, and keep the key-encryption key (KHO_KEK or the kek.key file) apart from them.",
        ),
    ],
};

/// The section a role reads first.
fn own(role: Role) -> Option<&'static str> {
    match role {
        Role::Citizen | Role::OrgMember => Some("citizen"),
        Role::Staff => Some("staff"),
        Role::Officer => Some("officer"),
        Role::Admin => Some("admin"),
        _ => None,
    }
}

#[derive(askama::Template)]
#[template(path = "pages/help.html")]
struct HelpPage {
    l: Lang,
    sections: [&'static Section; 4],
}

/// `GET /help`: what each role does here, the reader's own role first.
#[utoipa::path(get, path = "/help", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: help for each role", content_type = "text/html")))]
pub async fn help_page(MaybeSession(s): MaybeSession, Query(q): Query<LangQuery>) -> Response {
    let l = Lang::from_query(q.lang.as_deref());
    let mut sections = [&CITIZEN, &STAFF, &OFFICER, &ADMIN];
    if let Some(first) = s.as_ref().and_then(|s| own(s.user.role)) {
        sections.sort_by_key(|x| x.id != first);
    }
    let body = render(&HelpPage { l, sections });
    Html(page(l, "/help", l.t("Trợ giúp", "Help"), &body, s.as_ref())).into_response()
}
