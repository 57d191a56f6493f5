//! The records staff's pages (DESIGN.md §7): upload a batch and watch its progress
//! live, the agency's batches, the review queue, and one held document with its page
//! images beside the OCR text and the fields, to correct and approve or reject.
//!
//! The pages are rendered here; what they change goes through the JSON API with the
//! session cookie and the session's CSRF token in `X-CSRF-Token` (batches, files,
//! approve, reject), so the rules live in one place; what they read comes from the same
//! services as the API's ([`crate::batch`], [`crate::review`]). Progress arrives as
//! server-sent events
//! (`/api/v1/batches/{id}/events`).

// The error side of these helpers is the page to send instead.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{
    Lang, LangQuery, MaybeSession, Session, error_page, ms_to_time, page, render, signed_in,
    unavailable,
};
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
/// in), the staff member's session and agency.
fn staff_at(
    l: Lang,
    s: Option<Session>,
    prefix: &str,
    id: &str,
) -> Result<(String, Session, String), Response> {
    let back = format!(
        "{prefix}/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let (s, agency) = signed_in(l, s, &back, staff)?;
    Ok((back, s, agency))
}

/// The page for a batch or review that is not the agency's (or none at all).
fn not_found(l: Lang, s: &Session) -> Response {
    error_page(
        l,
        s,
        StatusCode::NOT_FOUND,
        l.t("Không tìm thấy.", "Not found."),
    )
}

/// What the page scripts need: the CSRF token for API writes and the texts they show.
fn script_data(l: Lang, s: &Session) -> serde_json::Value {
    serde_json::json!({
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
    })
}

#[derive(askama::Template)]
#[template(path = "pages/staff_batches.html")]
struct BatchesPage {
    l: Lang,
    /// Each batch with its documents so far.
    batches: Vec<(crate::db::batches::Batch, i64)>,
    data: serde_json::Value,
}

#[derive(askama::Template)]
#[template(path = "pages/staff_batch.html")]
struct BatchPage<'a> {
    l: Lang,
    id: &'a str,
    name: &'a str,
    data: serde_json::Value,
}

/// A document in the review queue.
struct QueueRow<'a> {
    id: &'a str,
    title: &'a str,
    owner: &'a str,
    pages: i64,
    confidence: f64,
    reasons: String,
    since: i64,
}

#[derive(askama::Template)]
#[template(path = "pages/staff_reviews.html")]
struct ReviewsPage<'a> {
    l: Lang,
    total: i64,
    rows: Vec<QueueRow<'a>>,
}

/// Where a field was read on a page, in percent of the page.
struct FieldBox {
    field: String,
    label: &'static str,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// One page of a held document: its image's number, the fields read on it, its text.
struct PageView<'a> {
    n: usize,
    boxes: Vec<FieldBox>,
    text: &'a str,
}

/// Why a document waits, and the value the pipeline suggests (field, value).
struct ReasonView<'a> {
    text: String,
    offer: Option<(&'a str, &'a str)>,
}

/// A field the reviewer may correct.
struct Input<'a> {
    name: &'static str,
    label: &'static str,
    value: &'a str,
    kind: &'static str,
}

/// A decided review: how, by whom, when, and the note.
struct Decided<'a> {
    state: &'static str,
    who: &'a str,
    when: String,
    note: &'a str,
}

#[derive(askama::Template)]
#[template(path = "pages/staff_review.html")]
struct ReviewPage<'a> {
    l: Lang,
    id: &'a str,
    heading: &'a str,
    owner: &'a str,
    confidence: f64,
    reasons: Vec<ReasonView<'a>>,
    found: Vec<(&'static str, String)>,
    /// The correction form's fields while the review is open.
    inputs: Option<Vec<Input<'a>>>,
    decided: Decided<'a>,
    pages: Vec<PageView<'a>>,
    data: serde_json::Value,
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
    let list = crate::batch::of(&app.db, &agency)
        .await
        .map_err(unavailable(l, &s))?;
    let body = render(&BatchesPage {
        l,
        batches: list,
        data: script_data(l, &s),
    });
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
    let (back, s, agency) = staff_at(l, s, "/staff/batches", &id)?;
    let batch = crate::batch::of_agency(&app.db, &agency, &id)
        .await
        .map_err(unavailable(l, &s))?
        .ok_or_else(|| not_found(l, &s))?;
    let body = render(&BatchPage {
        l,
        id: &batch.id,
        name: &batch.name,
        data: script_data(l, &s),
    });
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
    let queue = crate::review::queue(&app.db, &agency, "open", None, 500)
        .await
        .map_err(unavailable(l, &s))?;
    let rows = queue
        .reviews
        .iter()
        .map(|r| QueueRow {
            id: &r.id,
            title: r
                .draft
                .title
                .as_deref()
                .or(r.draft.doc_type.as_deref())
                .unwrap_or("—"),
            owner: &r.draft.owner_id,
            pages: r.draft.page_count,
            confidence: r.draft.mean_confidence,
            reasons: r
                .reasons
                .iter()
                .map(|x| reason_text(l, x))
                .collect::<Vec<_>>()
                .join("; "),
            since: r.created_at,
        })
        .collect();
    let body = render(&ReviewsPage {
        l,
        total: queue.total,
        rows,
    });
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
    let (back, s, agency) = staff_at(l, s, "/staff/reviews", &id)?;
    let r = crate::review::of_agency(&app, &agency, &id)
        .await
        .map_err(unavailable(l, &s))?
        .ok_or_else(|| not_found(l, &s))?;
    let decision = crate::db::reviews::decision(&app.db, &r.id)
        .await
        .map_err(unavailable(l, &s))?;
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
    let pages = (1..=d.page_count.max(0) as usize)
        .map(|n| PageView {
            n,
            boxes: fields["regions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["page"].as_u64() == Some(n as u64))
                .filter_map(|r| {
                    let pct = |k: &str| r[k].as_f64().map(|v| (v * 100.0).clamp(0.0, 100.0));
                    let field = r["field"].as_str()?;
                    Some(FieldBox {
                        field: field.to_owned(),
                        label: label_of(field),
                        x: pct("x")?,
                        y: pct("y")?,
                        w: pct("w")?,
                        h: pct("h")?,
                    })
                })
                .collect(),
            text: texts.get(n - 1).copied().unwrap_or(""),
        })
        .collect();
    let reasons = r
        .reasons
        .iter()
        .map(|x| ReasonView {
            text: reason_text(l, x),
            offer: match (&x.suggestion, &x.field) {
                (Some(v), Some(f)) => Some((f.as_str(), v.as_str())),
                _ => None,
            },
        })
        .collect();
    let found = field_labels(l)
        .into_iter()
        .filter_map(|(key, label)| {
            let shown = match fields.get(key)? {
                serde_json::Value::String(v) => v.clone(),
                serde_json::Value::Object(o) => o.get("value")?.as_str()?.to_owned(),
                serde_json::Value::Array(a) if !a.is_empty() => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => return None,
            };
            Some((label, shown))
        })
        .collect();
    fn input<'v>(
        name: &'static str,
        label: &'static str,
        value: Option<&'v str>,
        kind: &'static str,
    ) -> Input<'v> {
        Input {
            name,
            label,
            value: value.unwrap_or(""),
            kind,
        }
    }
    let inputs = (r.state == "open").then(|| {
        vec![
            input(
                "title",
                l.t("Tên văn bản", "Title"),
                d.title.as_deref(),
                "text",
            ),
            input(
                "doc_type",
                l.t("Loại văn bản", "Document type"),
                d.doc_type.as_deref(),
                "text",
            ),
            input(
                "number",
                l.t("Số, ký hiệu", "Number and symbol"),
                d.number.as_deref(),
                "text",
            ),
            input(
                "issued_on",
                l.t("Ngày ban hành", "Date of issue"),
                d.issued_on.as_deref(),
                "date",
            ),
            input(
                "owner_id",
                l.t(
                    "Chủ sở hữu (số định danh / mã số thuế)",
                    "Owner (personal ID / tax code)",
                ),
                Some(&d.owner_id),
                "text",
            ),
        ]
    });
    let decided = Decided {
        state: match r.state.as_str() {
            "approved" => l.t("Đã duyệt", "Approved"),
            "rejected" => l.t("Đã từ chối", "Rejected"),
            _ => l.t("Đang chờ duyệt", "Open"),
        },
        who: decision.decided_by.as_deref().unwrap_or(""),
        when: decision.decided_at.map(ms_to_time).unwrap_or_default(),
        note: decision.note.as_deref().unwrap_or(""),
    };
    let body = render(&ReviewPage {
        l,
        id: &r.id,
        heading: d
            .title
            .as_deref()
            .or(d.doc_type.as_deref())
            .unwrap_or(l.t("Văn bản chờ duyệt", "Document in review")),
        owner: &d.owner_id,
        confidence: d.mean_confidence,
        reasons,
        found,
        inputs,
        decided,
        pages,
        data: script_data(l, &s),
    });
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
