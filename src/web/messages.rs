//! The message catalogue of what the pipeline and the batch intake tell a person: why a
//! document was held for review, failed or refused, by the stable code
//! [`crate::report::reason_code`] gives each reason, in Vietnamese and English, each
//! saying what to do next. The batch page hands it to its script; the review pages use
//! it for the codes they do not word themselves. A test checks that every code the
//! pipeline, the quality gate and the intake can give has a Vietnamese text here.

use super::Lang;

/// Code, Vietnamese, English.
pub const REASONS: &[(&str, &str, &str)] = &[
    (
        "no_text",
        "Không trang nào có chữ đọc được: kiểm tra bản quét (trang trắng, quá mờ) rồi quét lại.",
        "No page holds readable text: check the scan (blank or too faint) and scan it again.",
    ),
    (
        "low_confidence",
        "Có trang đọc được với độ tin cậy thấp: đối chiếu chữ với ảnh trang trước khi duyệt.",
        "A page was read with low confidence: check the text against the page image before approving.",
    ),
    (
        "orientation_doubt",
        "Có trang có thể bị lật ngược hoặc xoay ngang: xem ảnh trang trước khi duyệt.",
        "A page may be upside down or sideways: look at the page image before approving.",
    ),
    (
        "missing_field",
        "Thiếu thông tin bắt buộc (loại, số, ngày ban hành…): điền vào trước khi duyệt.",
        "A required field (type, number, date of issue…) is missing: fill it in before approving.",
    ),
    (
        "unsure_field",
        "Có thông tin đọc được với độ tin cậy thấp: kiểm tra trước khi duyệt.",
        "A field was read with low confidence: check it before approving.",
    ),
    (
        "number_grammar",
        "Số, ký hiệu không đúng thể thức của Nghị định 30/2020/NĐ-CP: kiểm tra với bản giấy.",
        "The number does not follow Decree 30/2020/ND-CP: check it against the paper.",
    ),
    (
        "date_grammar",
        "Ngày ban hành muộn hơn hôm nay: kiểm tra với bản giấy.",
        "The date of issue is later than today: check it against the paper.",
    ),
    (
        "owner_mismatch",
        "Trang ghi người được cấp khác chủ sở hữu đã giao: kiểm tra và sửa chủ sở hữu trước khi duyệt.",
        "The page names a holder other than the owner given: check and correct the owner before approving.",
    ),
    (
        "no_owner",
        "Chưa biết chủ sở hữu: nhập mã định danh hoặc mã số thuế của chủ sở hữu rồi bấm Thử lại (hoặc cho lô một chủ sở hữu, hay đặt tờ phân cách trước trang đầu).",
        "The owner is unknown: give the owner's personal ID or tax code and press Try again (or give the batch an owner, or put a separator sheet before the first page).",
    ),
    (
        "bad_zip",
        "Tệp ZIP bị hỏng hoặc không có tệp nào: nén lại các bản quét rồi tải lên lại.",
        "The ZIP is damaged or holds no files: zip the scans again and upload it again.",
    ),
    (
        "empty_file",
        "Tệp rỗng: chọn lại đúng tệp bản quét.",
        "The file is empty: choose the scan file again.",
    ),
    (
        "unsupported",
        "Định dạng tệp không được hỗ trợ: tải lên bản quét PDF, JPEG, PNG hoặc TIFF (hoặc ZIP của chúng).",
        "The file type is not supported: upload PDF, JPEG, PNG or TIFF scans (or a ZIP of them).",
    ),
    (
        "truncated",
        "Ảnh quét bị cắt cụt, phần cuối trang bị thiếu: quét lại trang hoặc sao chép lại tệp gốc đầy đủ rồi tải lên lại.",
        "The scan is cut short and the end of the page is missing: scan the page again, or copy the whole original file again, and upload it again.",
    ),
    (
        "already_signed",
        "Tệp PDF đã được ký số, số hóa lại sẽ làm mất hiệu lực chữ ký: cơ quan ban hành nộp văn bản đã ký qua chức năng đẩy văn bản (issuer push); để kiểm tra chữ ký, dùng trang Xác minh.",
        "The PDF is already digitally signed, and digitizing it would break the signatures: an issuing agency files its signed results through issuer push; to check the signatures, use the Verify page.",
    ),
    (
        "corrupt",
        "Tệp bị hỏng hoặc không đầy đủ: quét hoặc xuất lại tệp rồi tải lên lại.",
        "The file is damaged or incomplete: scan or export it again and upload it again.",
    ),
    (
        "too_large",
        "Tệp hoặc trang quá lớn: quét ở 300 dpi, hoặc chia tệp thành nhiều phần.",
        "The file or a page is too large: scan at 300 dpi, or split the file.",
    ),
    (
        "timeout",
        "Xử lý quá thời gian cho phép: chia tệp thành các phần ít trang hơn rồi tải lên lại.",
        "Processing took too long: split the file into fewer pages and upload again.",
    ),
    (
        "ocr_failed",
        "Không nhận dạng được chữ do lỗi hệ thống: thử lại sau; nếu vẫn lỗi, báo quản trị viên.",
        "Text recognition failed: try again later; if it fails again, tell the administrator.",
    ),
    (
        "pdf_failed",
        "Không tạo được tệp PDF do lỗi hệ thống: thử lại sau; nếu vẫn lỗi, báo quản trị viên.",
        "The PDF could not be made: try again later; if it fails again, tell the administrator.",
    ),
    (
        "unknown_agency",
        "Cơ quan không thuộc hệ thống này: báo quản trị viên.",
        "The agency is not one this deployment holds: tell the administrator.",
    ),
    (
        "key_reused",
        "Lần tải lên này trùng mã với một lần tải khác: tải lên lại từ đầu.",
        "This upload reused another upload's key: start the upload again.",
    ),
    (
        "manifest",
        "Bảng kê (manifest) có dòng sai: sửa theo chi tiết kỹ thuật rồi tải lên lại.",
        "The manifest has a wrong row: correct it by the technical details and upload again.",
    ),
    (
        "other",
        "Không xử lý được tệp này: xem chi tiết kỹ thuật, hoặc báo quản trị viên.",
        "This file could not be processed: see the technical details, or tell the administrator.",
    ),
];

/// What a page says when the API refuses what it sent, by the API's error code
/// (`ApiError`'s codes): code, Vietnamese, English.
pub const API_ERRORS: &[(&str, &str, &str)] = &[
    (
        "unauthorized",
        "Phiên đăng nhập đã hết: hãy tải lại trang và đăng nhập lại.",
        "Your session has ended: reload the page and sign in again.",
    ),
    (
        "forbidden",
        "Tài khoản này không có quyền làm việc này: báo quản trị viên nếu cần.",
        "This account may not do that: ask the administrator if it should.",
    ),
    (
        "not_found",
        "Không tìm thấy: có thể đã được người khác xử lý; hãy tải lại trang.",
        "Not found: someone may have dealt with it already; reload the page.",
    ),
    (
        "invalid_id",
        "Mã định danh hoặc mã số thuế không đúng: nhập 12 chữ số định danh cá nhân, hoặc mã số thuế 10 hay 13 chữ số.",
        "The ID is not valid: give a 12-digit personal ID, or a 10- or 13-digit tax code.",
    ),
    (
        "bad_request",
        "Thông tin nhập chưa đúng: kiểm tra lại các ô đã điền.",
        "Something typed is not right: check the fields.",
    ),
    (
        "unprocessable",
        "Thông tin nhập chưa đúng: kiểm tra lại các ô đã điền.",
        "Something typed is not right: check the fields.",
    ),
    (
        "empty_upload",
        "Tệp rỗng: chọn lại đúng tệp bản quét.",
        "The file is empty: choose the scan file again.",
    ),
    (
        "payload_too_large",
        "Tệp quá lớn: quét ở 300 dpi, hoặc chia tệp thành nhiều phần.",
        "The file is too large: scan at 300 dpi, or split the file.",
    ),
    (
        "unsupported_media_type",
        "Định dạng tệp không được hỗ trợ: tải lên bản quét PDF, JPEG, PNG hoặc TIFF (hoặc ZIP của chúng).",
        "The file type is not supported: upload PDF, JPEG, PNG or TIFF scans (or a ZIP of them).",
    ),
    (
        "conflict",
        "Việc này đã được làm trước đó: hãy tải lại trang.",
        "This was done already: reload the page.",
    ),
    (
        "busy",
        "Hệ thống đang bận: thử lại sau ít phút.",
        "The service is busy: try again in a few minutes.",
    ),
    (
        "unavailable",
        "Hệ thống tạm thời không truy cập được dữ liệu: thử lại sau ít phút.",
        "The service cannot reach its data just now: try again in a few minutes.",
    ),
    (
        "internal",
        "Lỗi hệ thống: thử lại sau; nếu vẫn lỗi, báo quản trị viên.",
        "Internal error: try again later; if it happens again, tell the administrator.",
    ),
];

/// [`API_ERRORS`] for a page's script, in the page's language.
pub fn api_errors_json(l: Lang) -> serde_json::Value {
    as_json(API_ERRORS, l)
}

/// The text of a reason code in the page's language; an unknown code reads as `other`.
pub fn reason(l: Lang, code: &str) -> &'static str {
    let (_, vi, en) = REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .or_else(|| REASONS.iter().find(|(c, _, _)| *c == "other"))
        .expect("the catalogue has `other`");
    l.t(vi, en)
}

/// [`REASONS`] for a page's script: `{"code": "text", …}` in the page's language.
pub fn reasons_json(l: Lang) -> serde_json::Value {
    as_json(REASONS, l)
}

/// A catalogue as `{"code": "text", …}` in the page's language.
fn as_json(catalogue: &[(&str, &str, &str)], l: Lang) -> serde_json::Value {
    catalogue
        .iter()
        .map(|(c, vi, en)| ((*c).to_owned(), l.t(vi, en).into()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A form whose CSRF token is missing or stale, or that came from another site.
pub fn stale_form(l: Lang) -> &'static str {
    l.t(
        "Biểu mẫu đã hết hạn hoặc không gửi từ trang này. Hãy mở lại trang và thử lại.",
        "The form has expired or was not sent from this site. Open the page again and retry.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::reason_code;
    use kho_workers::PipelineError;

    /// What the pipeline and the intake say, one of each kind.
    fn said() -> Vec<String> {
        let pipeline = [
            PipelineError::Unsupported("image/gif".into()),
            PipelineError::Corrupt("the image data ends at row 1,210 of 3,508".into()),
            PipelineError::TooLarge("page 1 is 40000 x 40000 pixels".into()),
            PipelineError::Ocr("tesseract died".into()),
            PipelineError::Timeout("page 3".into()),
            PipelineError::Pdf("no font".into()),
            PipelineError::Signed("the PDF carries 2 digital signatures".into()),
        ];
        let mut said: Vec<String> = pipeline.iter().map(|e| e.to_string()).collect();
        let intake = [
            crate::intake::IntakeError::NoFiles,
            crate::intake::IntakeError::Empty {
                position: 2,
                name: " (b.png)".into(),
            },
            crate::intake::IntakeError::Rejected {
                position: 1,
                name: " (a.gif)".into(),
                source: PipelineError::Unsupported("image/gif".into()),
            },
            crate::intake::IntakeError::KeyReused,
            crate::intake::IntakeError::UnknownAgency("XYZ".into()),
        ];
        said.extend(intake.iter().map(|e| e.to_string()));
        said.extend(
            [
                "no owner (pages before the first separator sheet; give --owner)",
                "hop-17.zip: not a readable ZIP",
                "hop-17.zip: the ZIP holds no files",
                "an empty group",
                "manifest: row 3: owner \"12\" is not a personal ID or tax code",
            ]
            .map(String::from),
        );
        said
    }

    #[test]
    fn every_reason_the_pipeline_and_intake_give_has_its_own_vietnamese_text() {
        let mut codes: Vec<&str> = said().iter().map(|m| reason_code(m)).collect();
        for m in said() {
            assert_ne!(reason_code(&m), "other", "{m} falls through the catalogue");
        }
        // The quality gate's codes reach the pages as they are.
        codes.extend([
            "no_text",
            "low_confidence",
            "orientation_doubt",
            "missing_field",
            "unsure_field",
            "number_grammar",
            "date_grammar",
            "owner_mismatch",
        ]);
        for code in codes {
            let (_, vi, en) = REASONS
                .iter()
                .find(|(c, _, _)| *c == code)
                .unwrap_or_else(|| panic!("{code} has no text in the catalogue"));
            assert_ne!(vi, en, "{code}");
            assert!(
                vi.chars()
                    .any(|c| "ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợ".contains(c)),
                "{code}: {vi} is not Vietnamese"
            );
            // Each says what to do next.
            assert!(vi.contains(':') && en.contains(':'), "{code}");
        }
        // Codes are unique; unknown codes read as `other`.
        let mut all: Vec<&str> = REASONS.iter().map(|(c, _, _)| *c).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), REASONS.len());
        assert_eq!(reason(Lang::Vi, "nonsense"), reason(Lang::Vi, "other"));
    }

    /// Every error the API can answer has a Vietnamese text for the pages' scripts.
    #[test]
    fn every_api_error_code_has_a_vietnamese_text() {
        use crate::api::error::ApiError;
        let every = [
            ApiError::Unauthorized,
            ApiError::Forbidden,
            ApiError::NotFound("document"),
            ApiError::InvalidId("x".into()),
            ApiError::BadRequest("x".into()),
            ApiError::EmptyUpload("x".into()),
            ApiError::TooLarge("x".into()),
            ApiError::UnsupportedMedia("x".into()),
            ApiError::Unprocessable("x".into()),
            ApiError::Conflict("x".into()),
            ApiError::Unavailable("database"),
            ApiError::Busy(crate::admission::Busy),
            ApiError::Internal(anyhow::anyhow!("x")),
        ];
        for e in every {
            let (_, code) = e.status_and_code();
            let (_, vi, en) = API_ERRORS
                .iter()
                .find(|(c, _, _)| *c == code)
                .unwrap_or_else(|| panic!("{code} has no text in the catalogue"));
            assert_ne!(vi, en, "{code}");
            assert!(vi.contains(':'), "{code}: says what to do next");
        }
    }
}
