//! The records staff's pages (DESIGN.md §7): upload a batch and watch its progress
//! live, the agency's batches, the review queue, and one held document with its page
//! images beside the OCR text and the fields, to correct and approve or reject.
//!
//! The pages are rendered here; what they change goes through the JSON API with the
//! session cookie and the session's CSRF token in `X-CSRF-Token` (batches, files,
//! approve, reject), so the rules live in one place ([`crate::api::batches`],
//! [`crate::api::reviews`]). Progress arrives as server-sent events
//! (`/api/v1/batches/{id}/events`).

// The error side of these helpers is the page to send instead.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{
    Lang, LangQuery, MaybeSession, Session, error_page, esc, lang_q, ms_to_time, page, signed_in,
};
use crate::api::caller::principal;
use crate::api::error::ApiError;
use crate::app::App;
use crate::auth::Role;

/// The agency of a signed-in records staff member, or an error page.
pub(super) fn staff(l: Lang, s: &Session) -> Result<String, Response> {
    match (s.user.role, &s.user.agency) {
        (Role::Staff, Some(a)) => Ok(a.clone()),
        _ => Err(error_page(
            l,
            s,
            StatusCode::FORBIDDEN,
            l.t(
                "Trang này dành cho cán bộ lưu trữ.",
                "These pages are for records staff.",
            ),
        )),
    }
}

/// For a page about one thing (`PREFIX/ID`): its path (to come back to after signing
/// in), the staff member's session and their rights as an API caller.
fn staff_at(
    l: Lang,
    s: Option<Session>,
    prefix: &str,
    id: &str,
) -> Result<(String, Session, crate::db::tokens::TokenOwner), Response> {
    let back = format!(
        "{prefix}/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let (s, _) = signed_in(l, s, &back, staff)?;
    let caller = principal(&s.user);
    Ok((back, s, caller))
}

/// An API failure as a page: not found, forbidden, or an internal error (logged).
fn api_failure(l: Lang, s: &Session) -> impl FnOnce(ApiError) -> Response + '_ {
    move |e| match e {
        ApiError::NotFound(_) => error_page(
            l,
            s,
            StatusCode::NOT_FOUND,
            l.t("Không tìm thấy.", "Not found."),
        ),
        ApiError::Forbidden => error_page(
            l,
            s,
            StatusCode::FORBIDDEN,
            l.t("Không có quyền.", "Not allowed."),
        ),
        other => {
            tracing::error!(error = ?other, "staff pages");
            error_page(
                l,
                s,
                StatusCode::SERVICE_UNAVAILABLE,
                l.t("Lỗi hệ thống.", "Internal error."),
            )
        }
    }
}

/// What the page scripts need: the CSRF token for API writes and the texts they show.
fn script_data(l: Lang, s: &Session) -> String {
    let texts = serde_json::json!({
        "lang": if l == Lang::En { "en" } else { "vi" },
        "csrf": s.csrf,
        "states": {
            "filed": l.t("Đã lưu", "Filed"),
            "review": l.t("Chờ duyệt", "In review"),
            "failed": l.t("Lỗi", "Failed"),
            "refused": l.t("Bị từ chối", "Refused"),
            "queued": l.t("Đang xử lý", "Processing"),
        },
        "finished": l.t("Hoàn tất", "Finished"),
        "finishedHeld": l.t(
            "Đã số hóa xong; còn {n} văn bản chờ duyệt — mở từng văn bản bằng liên kết “Duyệt”",
            "Digitized; {n} documents wait for review — open each with its “Review” link"
        ),
        "running": l.t("Đang số hóa…", "Digitizing…"),
        "documents": l.t("văn bản", "documents"),
        "pages": l.t("trang", "pages"),
        "perSecond": l.t("trang/giây", "pages/s"),
        "open": l.t("Duyệt", "Review"),
        "uploading": l.t("Đang tải lên", "Uploading"),
        "approved": l.t("Đã duyệt, ký số và lưu vào kho của chủ sở hữu. Mã văn bản:", "Approved, signed and filed in the owner's repository. Document id:"),
        "rejected": l.t("Đã từ chối.", "Rejected."),
        "retry": l.t("Thử lại", "Try again"),
        "retryOwner": l.t(
            "Chủ sở hữu (mã định danh 12 số hoặc mã số thuế)",
            "Owner (12-digit personal ID or tax code)"
        ),
        "reasons": super::messages::reasons_json(l),
        "errors": super::messages::api_errors_json(l),
    });
    // JSON in a script element: `</` must not close it.
    let json = texts.to_string().replace("</", "<\\/");
    format!(r#"<script type="application/json" id="page-data">{json}</script>"#)
}

/// `GET /staff/batches`: a form for a new batch and the agency's batches.
#[utoipa::path(get, path = "/staff/batches", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: upload a batch; the agency's batches", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login"),
              (status = 403, description = "not records staff", content_type = "text/html")))]
pub async fn batches_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<LangQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, agency) = signed_in(l, s, "/staff/batches", staff)?;
    let list = crate::api::batches::list_of(&app, &agency)
        .await
        .map_err(api_failure(l, &s))?;
    let mut rows = String::new();
    for b in &list {
        rows.push_str(&format!(
            r#"<tr data-batch-id="{id}"><td><a href="/staff/batches/{id}{q}">{name}</a></td><td>{when}</td><td>{docs}</td><td>{split}</td></tr>"#,
            id = esc(&b.id),
            q = lang_q(l),
            name = esc(&b.name),
            when = ms_to_time(b.created_at),
            docs = b.documents,
            split = if b.split { l.t("có", "yes") } else { "" },
        ));
    }
    let body = format!(
        r#"<h2>{new}</h2>
<form id="new-batch">
<label for="name">{name}</label><input id="name" name="name" required maxlength="200" size="40">
<label><input type="checkbox" id="split"> {split}</label>
<label for="owner">{owner}</label><input id="owner" inputmode="numeric" maxlength="14" size="16">
<label for="manifest">{manifest}</label><input type="file" id="manifest" accept=".csv,text/csv">
<label for="files">{files}</label><input type="file" id="files" multiple required accept="image/png,image/jpeg,image/tiff,application/pdf,application/zip">
<p><button type="submit" id="upload">{upload}</button></p>
<progress id="upload-progress" value="0" max="1" hidden></progress>
<p id="upload-status" role="status" aria-live="polite"></p>
</form>
<h2>{batches}</h2>
{table}
{data}
<script src="/assets/problem.js" defer></script>
<script src="/assets/upload.js" defer></script>"#,
        table = super::or_empty(
            &rows,
            format!(
                r#"<div class="scroll" tabindex="0"><table id="batches"><thead><tr><th>{name_h}</th><th>{created}</th><th>{docs}</th><th>{split_h}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
                name_h = l.t("Tên", "Name"),
                created = l.t("Tạo lúc", "Created"),
                docs = l.t("Văn bản", "Documents"),
                split_h = l.t("Tách chồng", "Split"),
            ),
            l.t(
                "Chưa có lô nào. Chọn các tệp quét ở trên rồi bấm Tải lên và số hóa để tạo lô đầu tiên.",
                "No batches yet. Choose the scanned files above and press Upload and digitize to make the first.",
            ),
        ),
        new = l.t("Lô mới", "New batch"),
        name = l.t(
            "Tên lô (ví dụ: Hộp 17 — hồ sơ khai sinh 2009)",
            "Batch name (e.g. Box 17 — birth records 2009)"
        ),
        split = l.t(
            "Mỗi tệp là một chồng giấy có tờ phân tách",
            "Each file is a stack with separator sheets"
        ),
        owner = l.t(
            "Chủ sở hữu mặc định (số định danh hoặc mã số thuế, không bắt buộc)",
            "Default owner (personal ID or tax code, optional)"
        ),
        manifest = l.t("Bảng kê CSV (không bắt buộc)", "CSV manifest (optional)"),
        files = l.t(
            "Tệp quét (PNG, JPEG, TIFF, PDF, ZIP)",
            "Scans (PNG, JPEG, TIFF, PDF, ZIP)"
        ),
        upload = l.t("Tải lên và số hóa", "Upload and digitize"),
        batches = l.t("Các lô của cơ quan", "The agency's batches"),
        data = script_data(l, &s),
    );
    Ok(Html(page(
        l,
        "/staff/batches",
        l.t("Lô số hóa", "Batches"),
        &body,
        Some(&s),
    ))
    .into_response())
}

/// `GET /staff/batches/{id}`: the batch's progress, live.
#[utoipa::path(get, path = "/staff/batches/{id}", tag = "pages",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the batch's progress (live, from /api/v1/batches/{id}/events) and its documents", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login"),
              (status = 404, description = "no such batch of this agency", content_type = "text/html")))]
pub async fn batch_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (back, s, caller) = staff_at(l, s, "/staff/batches", &id)?;
    let batch = crate::api::batches::batch_of(&app, &caller, &id)
        .await
        .map_err(api_failure(l, &s))?;
    let body = format!(
        r#"<p><a href="/staff/batches{q}">← {all}</a></p>
<h2 id="batch-name" data-batch-id="{id}">{name}</h2>
<p><progress id="progress" value="0" max="1"></progress> <span id="state" role="status" aria-live="polite" data-finished="false">{running}</span></p>
<p id="totals"></p>
<p>{report}: <a href="/api/v1/batches/{id}/report?format=json" download="batch-{id}.json">JSON</a> · <a href="/api/v1/batches/{id}/report?format=csv&amp;lang={csv_lang}" download="batch-{id}.csv">CSV</a></p>
<table id="documents"><thead><tr><th>{doc}</th><th>{state}</th><th>{owner}</th><th>{pages}</th><th>{number}</th><th>{conf}</th><th>{reasons}</th></tr></thead><tbody></tbody></table>
<noscript>{noscript}</noscript>
{data}
<script src="/assets/problem.js" defer></script>
<script src="/assets/progress.js" defer></script>"#,
        q = lang_q(l),
        all = l.t("Các lô", "All batches"),
        id = esc(&batch.id),
        name = esc(&batch.name),
        running = l.t("Đang số hóa…", "Digitizing…"),
        report = l.t("Báo cáo lô", "Batch report"),
        csv_lang = l.t("vi", "en"),
        doc = l.t("Văn bản", "Document"),
        state = l.t("Trạng thái", "State"),
        owner = l.t("Chủ sở hữu", "Owner"),
        pages = l.t("Trang", "Pages"),
        number = l.t("Số, ký hiệu", "Number"),
        conf = l.t("Độ tin cậy", "Confidence"),
        reasons = l.t("Lý do", "Reasons"),
        noscript = l.t(
            "Bật JavaScript để xem tiến độ trực tiếp, hoặc tải báo cáo ở trên.",
            "Turn on JavaScript for live progress, or download the report above."
        ),
        data = script_data(l, &s),
    );
    Ok(Html(page(l, &back, &batch.name, &body, Some(&s))).into_response())
}

/// `GET /staff/reviews`: the agency's open reviews.
#[utoipa::path(get, path = "/staff/reviews", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: documents waiting for a person, with the reasons", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login")))]
pub async fn reviews_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<LangQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, agency) = signed_in(l, s, "/staff/reviews", staff)?;
    let queue = crate::api::reviews::queue(&app, &agency, "open", None, 500)
        .await
        .map_err(api_failure(l, &s))?;
    let mut rows = String::new();
    for r in &queue.reviews {
        let reasons: Vec<String> = r.reasons.iter().map(|x| reason_text(l, x)).collect();
        rows.push_str(&format!(
            r#"<tr data-review-id="{id}"><td><a href="/staff/reviews/{id}{q}"><img class="thumb" src="/api/v1/reviews/{id}/pages/1?width=240" alt="" width="48" loading="lazy">{title}</a></td><td>{owner}</td><td>{pages}</td><td>{conf:.0}</td><td>{reasons}</td><td>{when}</td></tr>"#,
            id = esc(&r.id),
            q = lang_q(l),
            title = esc(r.title.as_deref().or(r.doc_type.as_deref()).unwrap_or("—")),
            owner = esc(&r.owner_id),
            pages = r.page_count,
            conf = r.mean_confidence,
            reasons = esc(&reasons.join("; ")),
            when = ms_to_time(r.created_at),
        ));
    }
    let body = format!(
        r#"<p>{intro}</p>
<p id="review-total">{total_label}: {total}</p>
{table}"#,
        table = super::or_empty(
            &rows,
            format!(
                r#"<div class="scroll" tabindex="0"><table id="reviews"><thead><tr><th>{doc}</th><th>{owner}</th><th>{pages}</th><th>{conf}</th><th>{reasons}</th><th>{when}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
                doc = l.t("Văn bản", "Document"),
                owner = l.t("Chủ sở hữu", "Owner"),
                pages = l.t("Trang", "Pages"),
                conf = l.t("Độ tin cậy", "Confidence"),
                reasons = l.t("Lý do", "Reasons"),
                when = l.t("Từ lúc", "Since"),
            ),
            l.t(
                "Không có văn bản nào chờ duyệt. Văn bản máy chưa chắc chắn sẽ hiện ở đây; lô mới tải lên ở trang Lô số hóa.",
                "Nothing waits for review. Documents the pipeline is unsure of appear here; new batches are uploaded on the Batches page.",
            ),
        ),
        intro = l.t(
            "Văn bản máy chưa chắc chắn: xem trang, sửa các trường, rồi duyệt (ký số và lưu) hoặc từ chối.",
            "Documents the pipeline was unsure of: look at the pages, correct the fields, then approve (signed and filed) or reject.",
        ),
        total_label = l.t("Số văn bản đang chờ duyệt", "Documents waiting"),
        total = queue.total,
    );
    Ok(Html(page(
        l,
        "/staff/reviews",
        l.t("Hàng chờ duyệt", "Review queue"),
        &body,
        Some(&s),
    ))
    .into_response())
}

/// `GET /staff/reviews/{id}`: one held document — each page image beside its OCR
/// text, the extracted fields, the reasons, and the form to correct and approve or
/// reject.
#[utoipa::path(get, path = "/staff/reviews/{id}", tag = "pages",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the document to review", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login"),
              (status = 404, description = "no such review of this agency", content_type = "text/html")))]
pub async fn review_page(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (back, s, caller) = staff_at(l, s, "/staff/reviews", &id)?;
    let r = crate::api::reviews::reviewable(&app, &caller, &id)
        .await
        .map_err(api_failure(l, &s))?;
    let decision = crate::db::reviews::decision(&app.db, &r.id)
        .await
        .map_err(|e| api_failure(l, &s)(e.into()))?;
    let d = &r.draft;
    let texts: Vec<&str> = d.ocr_text.split('\u{c}').map(str::trim).collect();
    // Where each field was read, marked on its page (regions recorded at digitization).
    let fields: serde_json::Value = serde_json::from_str(&d.fields_json).unwrap_or_default();
    let labels = field_labels(l);
    let label_of = |key: &str| match key {
        "owner_id" => l.t("Người được cấp (trên trang)", "Holder (as the page says)"),
        k => labels
            .iter()
            .find(|(f, _)| *f == k)
            .map_or("", |(_, label)| label),
    };
    let mut pages = String::new();
    for n in 1..=d.page_count.max(0) as usize {
        let boxes: String = fields["regions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["page"].as_u64() == Some(n as u64))
            .filter_map(|r| {
                let pct = |k: &str| r[k].as_f64().map(|v| (v * 100.0).clamp(0.0, 100.0));
                let field = r["field"].as_str()?;
                Some(format!(
                    r#"<span class="field-box" data-field="{f}" title="{t}" aria-hidden="true" style="left:{:.2}%;top:{:.2}%;width:{:.2}%;height:{:.2}%"></span>"#,
                    pct("x")?,
                    pct("y")?,
                    pct("w")?,
                    pct("h")?,
                    f = esc(field),
                    t = esc(label_of(field)),
                ))
            })
            .collect();
        pages.push_str(&format!(
            r#"<div class="page"><img src="/api/v1/reviews/{id}/pages/{n}" alt="{alt} {n}" loading="lazy">{boxes}</div><pre class="text" aria-label="{text} {n}">{body}</pre>"#,
            id = esc(&r.id),
            alt = l.t("Ảnh trang", "Page image"),
            text = l.t("Văn bản nhận dạng, trang", "Recognized text, page"),
            body = esc(texts.get(n - 1).copied().unwrap_or("")),
        ));
    }
    let reasons: String = r
        .reasons
        .iter()
        .map(|x| {
            let offer = match (&x.suggestion, &x.field) {
                (Some(v), Some(f)) => format!(
                    r#" — {likely}: <button type="button" class="suggestion" data-field="{f}" data-value="{v}">{v}</button>"#,
                    likely = l.t("có thể là", "likely"),
                    f = esc(f),
                    v = esc(v),
                ),
                _ => String::new(),
            };
            format!("<li>{}{offer}</li>", esc(&reason_text(l, x)))
        })
        .collect();
    let mut found = String::new();
    for (key, label) in field_labels(l) {
        let shown = match fields.get(key) {
            Some(serde_json::Value::String(v)) => v.clone(),
            Some(serde_json::Value::Object(o)) => match o.get("value") {
                Some(serde_json::Value::String(v)) => v.clone(),
                _ => continue,
            },
            Some(serde_json::Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect::<Vec<_>>()
                .join(", "),
            _ => continue,
        };
        found.push_str(&format!(
            "<tr><th>{label}</th><td>{}</td></tr>",
            esc(&shown)
        ));
    }
    if found.is_empty() {
        found = format!(
            "<tr><td>{}</td></tr>",
            l.t("Không tìm được trường nào.", "None found.")
        );
    }
    let input = |name: &str, label: &str, value: Option<&str>, kind: &str| {
        format!(
            r#"<label for="{name}">{label}</label><input id="{name}" name="{name}" type="{kind}" value="{v}" data-was="{v}" size="40">"#,
            v = esc(value.unwrap_or("")),
        )
    };
    let decide = if r.state == "open" {
        format!(
            r#"<form id="approve-form">
<fieldset><legend>{correct}</legend>
{title}{doc_type}{number}{issued}{owner}
</fieldset>
<p><button type="submit" id="approve">{approve}</button></p>
</form>
<form id="reject-form">
<label for="reason">{why}</label><input id="reason" name="reason" maxlength="500" size="40" required>
<p><button type="submit" id="reject">{reject}</button></p>
</form>"#,
            correct = l.t(
                "Sửa các trường trước khi duyệt",
                "Correct the fields before approving"
            ),
            title = input(
                "title",
                l.t("Tên văn bản", "Title"),
                d.title.as_deref(),
                "text"
            ),
            doc_type = input(
                "doc_type",
                l.t("Loại văn bản", "Document type"),
                d.doc_type.as_deref(),
                "text"
            ),
            number = input(
                "number",
                l.t("Số, ký hiệu", "Number and symbol"),
                d.number.as_deref(),
                "text"
            ),
            issued = input(
                "issued_on",
                l.t("Ngày ban hành", "Date of issue"),
                d.issued_on.as_deref(),
                "date"
            ),
            owner = input(
                "owner_id",
                l.t(
                    "Chủ sở hữu (số định danh / mã số thuế)",
                    "Owner (personal ID / tax code)"
                ),
                Some(&d.owner_id),
                "text"
            ),
            approve = l.t("Duyệt, ký số và lưu", "Approve, sign and file"),
            why = l.t("Lý do từ chối", "Reason for rejecting"),
            reject = l.t("Từ chối", "Reject"),
        )
    } else {
        format!(
            r#"<p id="decided">{state}: {who} · {when} {note}</p>"#,
            state = esc(&r.state),
            who = esc(decision.decided_by.as_deref().unwrap_or("")),
            when = decision.decided_at.map(ms_to_time).unwrap_or_default(),
            note = esc(decision.note.as_deref().unwrap_or("")),
        )
    };
    let body = format!(
        r#"<style>body{{max-width:80rem}} .pages{{display:grid;grid-template-columns:1fr 1fr;gap:1rem;align-items:start}} .pages img{{width:100%;border:1px solid #ccc;display:block}} .page{{position:relative}} .field-box{{position:absolute;border:2px solid #b45309;background:rgba(245,158,11,.15);box-sizing:border-box}} .text{{white-space:pre-wrap;font-family:inherit;font-size:.95rem;margin:0}} @media (max-width:48rem){{.pages{{grid-template-columns:1fr}}}}</style>
<p><a href="/staff/reviews{q}">← {queue}</a></p>
<h2 id="review" data-review-id="{id}">{heading}</h2>
<p>{owner_l}: <span id="owner">{owner}</span> · {conf_l}: {conf:.0}</p>
<h3>{why_l}</h3><ul id="reasons">{reasons}</ul>
<h3>{found_l}</h3><table id="fields">{found}</table>
{decide}
<p id="result" role="status" aria-live="polite"></p>
<h3>{pages_l}</h3>
<p>{boxes_hint}</p>
<div class="pages">{pages}</div>
{data}
<script src="/assets/problem.js" defer></script>
<script src="/assets/review.js" defer></script>"#,
        boxes_hint = l.t(
            "Khung cam trên ảnh trang: nơi Kho đọc được từng trường (di chuột lên khung để xem tên trường).",
            "Orange frames on the page images: where Kho read each field (hover over a frame for its name)."
        ),
        q = lang_q(l),
        queue = l.t("Hàng chờ duyệt", "Review queue"),
        id = esc(&r.id),
        heading = esc(d
            .title
            .as_deref()
            .or(d.doc_type.as_deref())
            .unwrap_or(l.t("Văn bản chờ duyệt", "Document in review"))),
        owner_l = l.t("Chủ sở hữu", "Owner"),
        owner = esc(&d.owner_id),
        conf_l = l.t("Độ tin cậy", "Confidence"),
        conf = d.mean_confidence,
        why_l = l.t("Vì sao cần người duyệt", "Why it needs a person"),
        found_l = l.t("Các trường máy tìm được", "Fields the pipeline found"),
        pages_l = l.t(
            "Các trang và văn bản nhận dạng",
            "Pages and recognized text"
        ),
        data = script_data(l, &s),
    );
    let title = l.t("Duyệt văn bản", "Review a document");
    Ok(Html(page(l, &back, title, &body, Some(&s))).into_response())
}

/// Why a document waits, in the page's language (the pipeline's message is English).
fn reason_text(l: Lang, r: &kho_workers::gate::Reason) -> String {
    if matches!(l, Lang::En) {
        return r.message.clone();
    }
    let field = r
        .field
        .as_deref()
        .and_then(|f| field_labels(l).into_iter().find(|(k, _)| *k == f))
        .map_or("trường", |(_, label)| label)
        .to_lowercase();
    match r.code.as_str() {
        "no_text" => "Không trang nào có chữ đọc được".into(),
        "low_confidence" => format!(
            "Trang {} đọc được với độ tin cậy thấp",
            r.page.unwrap_or(0)
        ),
        "orientation_doubt" => format!(
            "Trang {} có thể bị lật ngược hoặc xoay ngang; đã giữ nguyên như khi quét",
            r.page.unwrap_or(0)
        ),
        "missing_field" => format!("Không tìm thấy {field}"),
        "unsure_field" => format!("{} đọc được với độ tin cậy thấp", capitalized(&field)),
        "number_grammar" => {
            "Số, ký hiệu không đúng thể thức của Nghị định 30/2020/NĐ-CP hoặc không khớp loại văn bản, cơ quan ban hành".into()
        }
        "date_grammar" => "Ngày ban hành muộn hơn hôm nay".into(),
        "owner_mismatch" => format!(
            "Trang ghi người được cấp là {}, khác chủ sở hữu đã giao ({}); kiểm tra và sửa chủ sở hữu trước khi duyệt",
            r.suggestion.as_deref().unwrap_or("người khác"),
            r.given.as_deref().unwrap_or("?"),
        ),
        other => super::messages::reason(l, other).to_owned(),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The extracted fields a reviewer is shown, with their names for people.
fn field_labels(l: Lang) -> [(&'static str, &'static str); 10] {
    [
        ("doc_type", l.t("Loại văn bản", "Document type")),
        ("number", l.t("Số, ký hiệu", "Number and symbol")),
        ("issued_on", l.t("Ngày ban hành", "Date of issue")),
        ("issuer", l.t("Cơ quan ban hành", "Issuing body")),
        ("parent", l.t("Cơ quan chủ quản", "Parent body")),
        ("signer_title", l.t("Chức vụ người ký", "Signer's title")),
        ("signer_name", l.t("Người ký", "Signer")),
        ("place", l.t("Nơi ban hành", "Place of issue")),
        ("personal_ids", l.t("Số định danh", "Personal IDs")),
        ("tax_codes", l.t("Mã số thuế", "Tax codes")),
    ]
}
