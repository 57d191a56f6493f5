//! The officer's verification pages: upload a signed PDF (`/verify`) or a photo of a
//! printout (`/verify/qr`); the page sends it to the public API and shows the verdict in
//! words: each signer by name and organization (not the certificate's DN), the signing
//! time in Vietnam's time day first, what each signature covers, whether the file carries
//! the revocation data to check it offline; the verifier's reasons in the page's language
//! (the English originals under the technical details); the verdict's code stays in
//! `data-verdict` for programs.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;

use super::{Lang, LangQuery, layout, render};

#[derive(askama::Template)]
#[template(path = "pages/verify_pdf.html")]
struct PdfPage {
    l: Lang,
    panel: String,
}

#[derive(askama::Template)]
#[template(path = "parts/verdict_panel.html")]
struct VerdictPanel<'a> {
    l: Lang,
    pdf_url: Option<&'a str>,
    /// The texts `/assets/verify-pdf.js` shows.
    data: serde_json::Value,
}

#[derive(askama::Template)]
#[template(path = "pages/verify_qr.html")]
struct QrPage {
    l: Lang,
    /// The texts `/assets/verify-qr.js` shows.
    data: serde_json::Value,
}

/// `GET /verify`: check a signed PDF.
#[utoipa::path(get, path = "/verify", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML page: upload a signed PDF, see the verdict", content_type = "text/html")))]
pub async fn pdf_page(Query(q): Query<LangQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let body = render(&PdfPage {
        l,
        panel: verdict_panel(l, None),
    });
    Html(layout(
        l,
        "/verify",
        l.t("Kiểm tra văn bản ký số", "Verify a signed document"),
        &body,
    ))
}

/// The verdict of a signed PDF in words, filled in by `/assets/verify-pdf.js`: for the
/// file chosen in the page's `#form`, or, with `pdf_url`, for that PDF of this
/// deployment as soon as the page opens (a document's own page).
pub fn verdict_panel(l: Lang, pdf_url: Option<&str>) -> String {
    render(&VerdictPanel {
        l,
        pdf_url,
        data: serde_json::json!({
            "same": l.t("tệp trùng khớp bản lưu", "the file is the vault's copy"),
            "earlier": l.t(
            "tệp là bản trước của bản lưu (bản lưu đã được bổ sung dữ liệu kiểm tra lâu dài sau đó)",
            "the file is an earlier revision of the vault's copy (long-term validation data was added to it since)"
        ),
            "differs": l.t("tệp KHÁC bản lưu", "the file DIFFERS from the vault's copy"),
            "vault": l.t("Bản lưu trong Kho", "The vault's record"),
            "whole": l.t("toàn bộ tệp", "the whole file"),
            "part": l.t(
            "tệp đến trước các phần thêm sau (như chữ ký kế tiếp)",
            "the file before later additions (such as the next signature)"
        ),
            "docValid": l.t("văn bản còn hiệu lực", "the document is valid"),
            "docNot": l.t(
            "văn bản không còn hiệu lực",
            "the document is no longer valid"
        ),
            "VALID": l.t(
            "Hợp lệ: các chữ ký số đều đúng và tệp không bị sửa",
            "Valid: every signature is right and the file is unchanged"
        ),
            "UNKNOWN_SIGNER": l.t(
            "Không xác định được người ký: chứng thư không thuộc nơi cấp được tin cậy",
            "Signer unknown: the certificate is not from a trusted issuer"
        ),
            "REVOKED": l.t(
            "Chứng thư của người ký đã bị thu hồi",
            "The signer's certificate has been revoked"
        ),
            "MODIFIED_AFTER_SIGNING": l.t(
            "Tệp đã bị thay đổi sau khi ký",
            "The file was changed after signing"
        ),
            "INVALID": l.t(
            "Không hợp lệ: chữ ký số không khớp với tệp",
            "Not valid: a signature does not match the file"
        ),
            "INDETERMINATE": l.t(
            "Chưa kết luận được: Kho không kiểm tra được loại chữ ký số này, nên chưa thể coi văn bản là hợp lệ; hãy kiểm tra bằng công cụ của nơi cấp chứng thư",
            "Undecided: Kho cannot check this kind of signature, so the document cannot be taken as valid; check it with the certificate issuer's tool"
        ),
            "REVOKED_NO_POE": l.t(
            "Chưa kết luận được: chứng thư của người ký đã bị thu hồi (theo danh sách thu hồi trong tệp) và không có dấu thời gian chứng minh chữ ký có trước thời điểm đó",
            "Undecided: the signer's certificate was revoked (by the revocation list in the file) and no timestamp proves the signature came before that"
        ),
            "sigOk": l.t("hợp lệ", "valid"),
            "sigBad": l.t("không hợp lệ", "not valid"),
            "sigUndecided": l.t("chưa kiểm tra được", "could not be checked"),
            "ltvIn": l.t("có trong tệp, lập lúc", "in the file, issued"),
            "ltvOut": l.t(
            "không có trong tệp: cần tra cứu trực tuyến",
            "not in the file: check online"
        ),
            "sig": l.t("Chữ ký", "Signature"),
            "docStamp": l.t("dấu thời gian của tệp", "document timestamp"),
            "rStamp": l.t(
            "dấu thời gian không khớp với nội dung tệp: nó được cấp cho một tệp khác",
            "the timestamp does not match the file: it was issued for other content"
        ),
            "rChanged": l.t(
            "nội dung đã ký bị thay đổi hoặc chữ ký bị hỏng",
            "the signed content was changed or the signature is damaged"
        ),
            "rModified": l.t(
            "tệp bị thêm hoặc sửa nội dung sau khi ký",
            "content was added or changed after signing"
        ),
            "rUntrusted": l.t(
            "chứng thư của người ký không thuộc nơi cấp được tin cậy",
            "the signer's certificate is not from a trusted issuer"
        ),
            "rExpired": l.t(
            "chứng thư không còn hiệu lực vào thời điểm ký",
            "the certificate was not valid when it signed"
        ),
            "rRevoked": l.t("chứng thư đã bị thu hồi", "the certificate was revoked"),
            "rUnsupported": l.t(
            "loại chữ ký số này chưa được hỗ trợ",
            "this kind of signature is not supported"
        ),
            "rNoSig": l.t("tệp không có chữ ký số", "the file holds no signature"),
            "rBroken": l.t("tệp PDF bị hỏng", "the PDF file is damaged"),
            "rOther": l.t("chữ ký không kiểm tra được", "the signature could not be checked"),
            "eNotPdf": l.t(
            "Tệp đã chọn không phải là PDF. Hãy chọn tệp PDF đã ký số.",
            "The file chosen is not a PDF. Choose a signed PDF."
        ),
            "eTooBig": l.t(
            "Tệp quá lớn để kiểm tra tại đây. Hãy gửi tệp cho cơ quan ban hành.",
            "The file is too large to check here. Send it to the issuing agency."
        ),
            "eBusy": l.t(
            "Hệ thống đang bận. Hãy thử lại sau ít phút.",
            "The service is busy. Try again in a few minutes."
        ),
            "eOther": l.t(
            "Không kiểm tra được tệp lúc này. Hãy thử lại sau.",
            "The file could not be checked now. Try again later."
        ),
            "en": l == Lang::En,
        }),
    })
}

/// `GET /verify/qr`: check a printout by the photo of its QR code.
#[utoipa::path(get, path = "/verify/qr", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML page: upload a photo of a printout, see its status", content_type = "text/html")))]
pub async fn qr_page(Query(q): Query<LangQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let body = render(&QrPage {
        l,
        data: serde_json::json!({
            "valid": l.t("văn bản còn hiệu lực", "the document is valid"),
            "notvalid": l.t("văn bản không còn hiệu lực", "the document is not valid"),
            "none": l.t(
            "Không đọc được mã QR của Kho: chụp lại cho mã QR rõ nét, đủ sáng và nằm trọn trong ảnh.",
            "No Kho QR code could be read: take the photo again with the QR code sharp, well lit and whole."
        ),
            "title": l.t("Tên văn bản", "Title"),
            "number": l.t("Số, ký hiệu", "Number"),
            "issued": l.t("Ngày ban hành", "Date of issue"),
            "owner": l.t("Chủ sở hữu", "Owner"),
            "reason": l.t("Lý do thu hồi", "Reason for revocation"),
            "tooBig": l.t(
            "Ảnh quá lớn: chụp lại ở độ phân giải thấp hơn.",
            "The photo is too large: take it again at a lower resolution."
        ),
            "busy": l.t(
            "Hệ thống đang bận: thử lại sau ít phút.",
            "The service is busy: try again in a few minutes."
        ),
        }),
    });
    Html(layout(
        l,
        "/verify/qr",
        l.t("Kiểm tra bản in", "Verify a printout"),
        &body,
    ))
}

/// The public status page (templates/pages/status.html): the status in capitals and
/// what the document is, or that there is no such document.
#[derive(askama::Template)]
#[template(path = "pages/status.html")]
struct StatusPage {
    l: Lang,
    status: Option<String>,
    valid: bool,
    rows: Vec<(&'static str, String)>,
}

/// The public status page of a document.
#[utoipa::path(get, path = "/v/{id}", tag = "verify",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML status page", content_type = "text/html"),
              (status = 404, description = "HTML page: no such document", content_type = "text/html"),
              (status = 503, description = "HTML page: the vault's data cannot be reached just now", content_type = "text/html")))]
pub async fn status_page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let l = Lang::from_query(q.lang.as_deref());
    let path = format!("/v/{id}");
    let record = match crate::vault::public_record(&app, &id).await {
        Ok(r) => r,
        Err(e) => {
            // A page for the person holding the printout; the cause goes to the log.
            let (status, text) = super::outage(l, &e);
            let body = super::render(&super::Alert { text, link: None });
            let title = l.t("Tra cứu văn bản", "Document status");
            return (status, Html(layout(l, &path, title, &body))).into_response();
        }
    };
    let Some(r) = record else {
        let body = super::render(&StatusPage {
            l,
            status: None,
            valid: false,
            rows: vec![],
        });
        let html = layout(l, &path, l.t("Không tìm thấy", "Not found"), &body);
        return (StatusCode::NOT_FOUND, Html(html)).into_response();
    };
    let mut rows = vec![
        (l.t("Văn bản", "Document"), r.title.clone()),
        (l.t("Loại", "Type"), r.doc_type.clone()),
        (l.t("Số, ký hiệu", "Number"), r.number.clone()),
        (
            l.t("Ngày ban hành", "Issued on"),
            r.issued_on.as_deref().map(super::day_first),
        ),
        (l.t("Chủ sở hữu", "Owner"), Some(r.owner_masked.clone())),
        (
            l.t("Mã kết quả", "Result code"),
            Some(r.document_id.clone()),
        ),
    ];
    if r.revocation_reason.is_some() {
        rows.push((
            l.t("Lý do thu hồi", "Reason for revocation"),
            r.revocation_reason.clone(),
        ));
    }
    let body = super::render(&StatusPage {
        l,
        status: Some(super::status_label(l, r.status).to_uppercase()),
        valid: r.status == crate::domain::Status::Valid,
        rows: rows
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_else(|| "—".into())))
            .collect(),
    });
    let title = l.t("Tra cứu văn bản", "Document status");
    Html(layout(l, &path, title, &body)).into_response()
}
