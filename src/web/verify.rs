//! The officer's verification pages: upload a signed PDF (`/verify`) or a photo of a
//! printout (`/verify/qr`); the page sends it to the public API and shows the verdict in
//! words: each signer by name and organization (not the certificate's DN), the signing
//! time in Vietnam's time day first, what each signature covers, whether the file carries
//! the revocation data to check it offline; the verifier's reasons in the page's language
//! (the English originals under the technical details); the verdict's code stays in
//! `data-verdict` for programs.

use axum::extract::Query;
use axum::response::Html;

use super::{Lang, LangQuery, layout};

/// `GET /verify`: check a signed PDF.
#[utoipa::path(get, path = "/verify", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML page: upload a signed PDF, see the verdict", content_type = "text/html")))]
pub async fn pdf_page(Query(q): Query<LangQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let body = format!(
        r#"<form id="form">
<label for="file">{pick}</label><br>
<input id="file" name="file" type="file" accept="application/pdf,.pdf" required>
<button id="submit" type="submit">{check}</button>
</form>
{panel}
<p><a href="/verify/qr{lang}">{qr}</a></p>"#,
        pick = l.t("Chọn tệp PDF đã ký số", "Choose a signed PDF"),
        check = l.t("Kiểm tra", "Verify"),
        panel = verdict_panel(l, None),
        qr = l.t(
            "Kiểm tra mã QR trên bản in",
            "Check the QR code of a printout"
        ),
        lang = if l == Lang::En { "?lang=en" } else { "" },
    );
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
    format!(
        r#"<p id="verdict" role="status" aria-live="polite"{source}></p>
<ul id="reasons"></ul>
<details id="details" hidden><summary>{details}</summary><ul id="technical"></ul></details>
<div class="scroll" tabindex="0"><table id="signatures" hidden><thead><tr><th>{who_h}</th><th>{when_h}</th><th>{stamp_h}</th><th>{covers_h}</th><th>{ltv_h}</th><th>{verdict_h}</th></tr></thead><tbody></tbody></table></div>
<p id="vault"></p>
<script type="application/json" id="page-data">{{"same":"{same}", "earlier":"{earlier}", "differs":"{differs}", "vault":"{vault}", "whole":"{whole}", "part":"{part}", "docValid":"{doc_valid}", "docNot":"{doc_not}",
  "VALID":"{v_valid}", "UNKNOWN_SIGNER":"{v_unknown}", "REVOKED":"{v_revoked}", "MODIFIED_AFTER_SIGNING":"{v_modified}", "INVALID":"{v_invalid}",
  "INDETERMINATE":"{v_indeterminate}", "REVOKED_NO_POE":"{v_revoked_no_poe}", "sigOk":"{sig_ok}", "sigBad":"{sig_bad}", "sigUndecided":"{sig_undecided}",
  "ltvIn":"{ltv_in}", "ltvOut":"{ltv_out}", "sig":"{sig_word}", "en":{en}, "docStamp":"{doc_stamp}", "rStamp":"{r_stamp}",
  "rChanged":"{r_changed}", "rModified":"{r_modified}", "rUntrusted":"{r_untrusted}", "rExpired":"{r_expired}",
  "rRevoked":"{r_revoked}", "rUnsupported":"{r_unsupported}", "rNoSig":"{r_nosig}", "rBroken":"{r_broken}", "rOther":"{r_other}",
  "eNotPdf":"{e_not_pdf}", "eTooBig":"{e_too_big}", "eBusy":"{e_busy}", "eOther":"{e_other}"}}</script>
<script src="/assets/verify-pdf.js" defer></script>"#,
        source = pdf_url
            .map(|u| format!(r#" data-pdf="{}""#, super::esc(u)))
            .unwrap_or_default(),
        who_h = l.t("Người ký", "Signed by"),
        when_h = l.t(
            "Thời điểm ký (theo người ký)",
            "Signed at (as the signer states)"
        ),
        covers_h = l.t("Phạm vi", "Covers"),
        stamp_h = l.t(
            "Thời điểm được chứng thực (dấu thời gian)",
            "Trusted time (timestamp)"
        ),
        doc_stamp = l.t("dấu thời gian của tệp", "document timestamp"),
        r_stamp = l.t(
            "dấu thời gian không khớp với nội dung tệp: nó được cấp cho một tệp khác",
            "the timestamp does not match the file: it was issued for other content"
        ),
        ltv_h = l.t("Dữ liệu thu hồi", "Revocation data"),
        ltv_in = l.t("có trong tệp, lập lúc", "in the file, issued"),
        ltv_out = l.t(
            "không có trong tệp: cần tra cứu trực tuyến",
            "not in the file: check online"
        ),
        v_revoked_no_poe = l.t(
            "Chưa kết luận được: chứng thư của người ký đã bị thu hồi (theo danh sách thu hồi trong tệp) và không có dấu thời gian chứng minh chữ ký có trước thời điểm đó",
            "Undecided: the signer's certificate was revoked (by the revocation list in the file) and no timestamp proves the signature came before that"
        ),
        verdict_h = l.t("Chữ ký", "Signature"),
        vault = l.t("Bản lưu trong Kho", "The vault's record"),
        same = l.t("tệp trùng khớp bản lưu", "the file is the vault's copy"),
        differs = l.t("tệp KHÁC bản lưu", "the file DIFFERS from the vault's copy"),
        earlier = l.t(
            "tệp là bản trước của bản lưu (bản lưu đã được bổ sung dữ liệu kiểm tra lâu dài sau đó)",
            "the file is an earlier revision of the vault's copy (long-term validation data was added to it since)"
        ),
        whole = l.t("toàn bộ tệp", "the whole file"),
        part = l.t(
            "tệp đến trước các phần thêm sau (như chữ ký kế tiếp)",
            "the file before later additions (such as the next signature)"
        ),
        doc_valid = l.t("văn bản còn hiệu lực", "the document is valid"),
        doc_not = l.t(
            "văn bản không còn hiệu lực",
            "the document is no longer valid"
        ),
        v_valid = l.t(
            "Hợp lệ: các chữ ký số đều đúng và tệp không bị sửa",
            "Valid: every signature is right and the file is unchanged"
        ),
        v_unknown = l.t(
            "Không xác định được người ký: chứng thư không thuộc nơi cấp được tin cậy",
            "Signer unknown: the certificate is not from a trusted issuer"
        ),
        v_revoked = l.t(
            "Chứng thư của người ký đã bị thu hồi",
            "The signer's certificate has been revoked"
        ),
        v_modified = l.t(
            "Tệp đã bị thay đổi sau khi ký",
            "The file was changed after signing"
        ),
        v_invalid = l.t(
            "Không hợp lệ: chữ ký số không khớp với tệp",
            "Not valid: a signature does not match the file"
        ),
        v_indeterminate = l.t(
            "Chưa kết luận được: Kho không kiểm tra được loại chữ ký số này, nên chưa thể coi văn bản là hợp lệ; hãy kiểm tra bằng công cụ của nơi cấp chứng thư",
            "Undecided: Kho cannot check this kind of signature, so the document cannot be taken as valid; check it with the certificate issuer's tool"
        ),
        sig_undecided = l.t("chưa kiểm tra được", "could not be checked"),
        details = l.t(
            "Chi tiết kỹ thuật (tiếng Anh, để gửi cho bộ phận kỹ thuật)",
            "Technical details"
        ),
        en = if l == Lang::En { "true" } else { "false" },
        sig_word = l.t("Chữ ký", "Signature"),
        r_changed = l.t(
            "nội dung đã ký bị thay đổi hoặc chữ ký bị hỏng",
            "the signed content was changed or the signature is damaged"
        ),
        r_modified = l.t(
            "tệp bị thêm hoặc sửa nội dung sau khi ký",
            "content was added or changed after signing"
        ),
        r_untrusted = l.t(
            "chứng thư của người ký không thuộc nơi cấp được tin cậy",
            "the signer's certificate is not from a trusted issuer"
        ),
        r_expired = l.t(
            "chứng thư không còn hiệu lực vào thời điểm ký",
            "the certificate was not valid when it signed"
        ),
        r_revoked = l.t("chứng thư đã bị thu hồi", "the certificate was revoked"),
        r_unsupported = l.t(
            "loại chữ ký số này chưa được hỗ trợ",
            "this kind of signature is not supported"
        ),
        r_nosig = l.t("tệp không có chữ ký số", "the file holds no signature"),
        r_broken = l.t("tệp PDF bị hỏng", "the PDF file is damaged"),
        r_other = l.t("chữ ký không kiểm tra được", "the signature could not be checked"),
        sig_ok = l.t("hợp lệ", "valid"),
        sig_bad = l.t("không hợp lệ", "not valid"),
        e_not_pdf = l.t(
            "Tệp đã chọn không phải là PDF. Hãy chọn tệp PDF đã ký số.",
            "The file chosen is not a PDF. Choose a signed PDF."
        ),
        e_too_big = l.t(
            "Tệp quá lớn để kiểm tra tại đây. Hãy gửi tệp cho cơ quan ban hành.",
            "The file is too large to check here. Send it to the issuing agency."
        ),
        e_busy = l.t(
            "Hệ thống đang bận. Hãy thử lại sau ít phút.",
            "The service is busy. Try again in a few minutes."
        ),
        e_other = l.t(
            "Không kiểm tra được tệp lúc này. Hãy thử lại sau.",
            "The file could not be checked now. Try again later."
        ),
    )
}

/// `GET /verify/qr`: check a printout by the photo of its QR code.
#[utoipa::path(get, path = "/verify/qr", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML page: upload a photo of a printout, see its status", content_type = "text/html")))]
pub async fn qr_page(Query(q): Query<LangQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let body = format!(
        r#"<form id="form">
<label for="file">{pick}</label><br>
<input id="file" name="file" type="file" accept="image/jpeg,image/png" capture="environment" required>
<button id="submit" type="submit">{check}</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<table id="record"></table>
<script type="application/json" id="page-data">{{"valid":"{valid}", "notvalid":"{notvalid}", "none":"{none}", "title":"{title_l}", "number":"{number_l}", "issued":"{issued_l}", "owner":"{owner_l}", "reason":"{reason_l}", "tooBig":"{too_big}", "busy":"{busy}"}}</script>
<script src="/assets/verify-qr.js" defer></script>"#,
        pick = l.t(
            "Chụp hoặc chọn ảnh bản in có mã QR",
            "Take or choose a photo of the printout's QR code"
        ),
        check = l.t("Tra cứu", "Look up"),
        title_l = l.t("Tên văn bản", "Title"),
        number_l = l.t("Số, ký hiệu", "Number"),
        issued_l = l.t("Ngày ban hành", "Date of issue"),
        owner_l = l.t("Chủ sở hữu", "Owner"),
        reason_l = l.t("Lý do thu hồi", "Reason for revocation"),
        valid = l.t("văn bản còn hiệu lực", "the document is valid"),
        notvalid = l.t("văn bản không còn hiệu lực", "the document is not valid"),
        none = l.t(
            "Không đọc được mã QR của Kho: chụp lại cho mã QR rõ nét, đủ sáng và nằm trọn trong ảnh.",
            "No Kho QR code could be read: take the photo again with the QR code sharp, well lit and whole."
        ),
        too_big = l.t(
            "Ảnh quá lớn: chụp lại ở độ phân giải thấp hơn.",
            "The photo is too large: take it again at a lower resolution."
        ),
        busy = l.t(
            "Hệ thống đang bận: thử lại sau ít phút.",
            "The service is busy: try again in a few minutes."
        ),
    );
    Html(layout(
        l,
        "/verify/qr",
        l.t("Kiểm tra bản in", "Verify a printout"),
        &body,
    ))
}
