//! The review queue: documents the quality gate held (low confidence, no text, missing
//! fields) wait for records staff of the agency that digitized them. A reviewer lists
//! the queue, opens one (reasons, OCR text, extracted fields, the draft PDF's pages),
//! corrects fields or the owner and approves — it is then stamped, signed and filed
//! like any other — or rejects it with a reason. Every decision keeps who and when.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth::Role;
use crate::db::DbError;
use crate::db::reviews::{self, Decision, Review};
use crate::db::tokens::TokenOwner;
use crate::digitize::{self, DigitizeError};
use crate::domain::SubjectId;
use crate::domain::audit::{Action, Entry};

#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    /// The filed, signed document.
    pub document_id: String,
}

/// A line of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewSummary {
    pub id: String,
    pub job_id: String,
    pub owner_id: String,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub page_count: i64,
    pub mean_confidence: f64,
    /// `open`, `approved` or `rejected`.
    pub state: String,
    /// Why it waits: each `{code, message, page?, field?, suggestion?}`. Codes:
    /// `no_text`, `low_confidence`, `orientation_doubt` (with `page`), `missing_field`,
    /// `unsure_field` (read with low confidence), `number_grammar` (not Decree 30's
    /// number/TYPE-BODY, or not the heading's type or the issuer's initials),
    /// `date_grammar` (after today), with `field`; `suggestion` is the likely value.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<kho_workers::gate::Reason>,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    pub reviews: Vec<ReviewSummary>,
    /// How many of the agency's reviews are in this state, in all.
    pub total: i64,
    /// The cursor for the next page (`after=`), when there is one.
    pub next: Option<String>,
}

/// One held document, for the reviewer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDetail {
    #[serde(flatten)]
    pub summary: ReviewSummary,
    /// The OCR text, pages separated by form feeds.
    pub text: String,
    /// Extracted fields with confidences and source words; `regions` says where each
    /// field was read (`field`, 1-based `page`, and `x`, `y`, `w`, `h` as fractions of
    /// the page from its top left).
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    /// Per page: size, resolution, confidence, blank or not.
    #[schema(value_type = Vec<Object>)]
    pub pages: serde_json::Value,
    /// The unsigned draft PDF (page images with the OCR text layer).
    pub draft_pdf: String,
    pub decision: Decision,
}

impl From<&Review> for ReviewSummary {
    fn from(r: &Review) -> Self {
        ReviewSummary {
            id: r.id.clone(),
            job_id: r.job_id.clone(),
            owner_id: r.draft.owner_id.clone(),
            title: r.draft.title.clone(),
            doc_type: r.draft.doc_type.clone(),
            number: r.draft.number.clone(),
            issued_on: r.draft.issued_on.clone(),
            page_count: r.draft.page_count,
            mean_confidence: r.draft.mean_confidence,
            state: r.state.clone(),
            reasons: r.reasons.clone(),
            created_at: r.created_at,
        }
    }
}

/// The review, if this caller is records staff of the agency that digitized it (anyone
/// else: 403 for other roles, 404 for other agencies' reviews).
async fn reviewable(app: &App, caller: &TokenOwner, id: &str) -> Result<Review, ApiError> {
    if caller.role != Role::Staff {
        return Err(ApiError::Forbidden);
    }
    let Some(agency) = caller.agency.as_deref() else {
        return Err(ApiError::NotFound("review"));
    };
    crate::review::of_agency(app, agency, id)
        .await?
        .ok_or(ApiError::NotFound("review"))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// `open` (default), `approved` or `rejected`.
    pub state: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Reviews per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(ListParams),
    responses((status = 200, body = ReviewList, description = "a page of the agency's reviews, oldest first, with the total and the next page's cursor"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "records staff only")),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(caller): Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<ReviewList>, ApiError> {
    let (Role::Staff, Some(mine)) = (caller.role, caller.agency.as_deref()) else {
        return Err(ApiError::Forbidden);
    };
    let state = p.state.as_deref().unwrap_or("open");
    if !["open", "approved", "rejected"].contains(&state) {
        return Err(ApiError::BadRequest(
            "state: open, approved or rejected".into(),
        ));
    }
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest("limit: 1 to 500".into()));
    }
    let after = p
        .after
        .as_deref()
        .map(|c| {
            c.split_once(':')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id)))
                .filter(|(_, id)| uuid::Uuid::parse_str(id).is_ok())
                .ok_or_else(|| ApiError::BadRequest("after: a cursor from `next`".into()))
        })
        .transpose()?;
    Ok(Json(queue(&app, mine, state, after, limit).await?))
}

/// A page of an agency's reviews in `state`, oldest first.
async fn queue(
    app: &App,
    agency: &str,
    state: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<ReviewList, ApiError> {
    let q = crate::review::queue(&app.db, agency, state, after, limit).await?;
    Ok(ReviewList {
        reviews: q.reviews.iter().map(ReviewSummary::from).collect(),
        total: q.total,
        next: q.next,
    })
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "reviews",
    params(("id" = String, Path)),
    responses((status = 200, body = ReviewDetail), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ReviewDetail>, ApiError> {
    let r = reviewable(&app, &caller, &id).await?;
    Ok(Json(ReviewDetail {
        summary: ReviewSummary::from(&r),
        text: r.draft.ocr_text.clone(),
        fields: serde_json::from_str(&r.draft.fields_json).unwrap_or(serde_json::Value::Null),
        pages: serde_json::from_str(&r.draft.pages_json).unwrap_or(serde_json::Value::Null),
        draft_pdf: format!("/api/v1/reviews/{}/pdf", r.id),
        decision: reviews::decision(&app.db, &r.id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}/pdf", tag = "reviews",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>, description = "the unsigned draft"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pdf(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let r = reviewable(&app, &caller, &id).await?;
    let bytes = app.store.get(&r.draft.pdf_sha256).await?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response())
}

/// Widest a page image of a draft is, in pixels, and the narrowest one may ask for.
const PAGE_WIDTH: u32 = 1000;
const THUMBNAIL_MIN_WIDTH: u32 = 64;

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageImageQuery {
    /// At most this many pixels wide (64 to 1000; default 1000): 240 for a thumbnail.
    pub width: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}/pages/{n}", tag = "reviews",
    params(("id" = String, Path), ("n" = u32, Path, description = "page number, from 1"), PageImageQuery),
    responses((status = 200, content_type = "image/png", body = Vec<u8>, description = "page `n` of the draft as the pipeline made it (turned, deskewed, cleaned), at most 1000 pixels wide (or `width`)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn page_image(
    State(app): State<App>,
    Caller(caller): Caller,
    Path((id, n)): Path<(String, u32)>,
    Query(q): Query<PageImageQuery>,
) -> Result<Response, ApiError> {
    let width = match q.width {
        None => PAGE_WIDTH,
        Some(w) if (THUMBNAIL_MIN_WIDTH..=PAGE_WIDTH).contains(&w) => w,
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "width must be from {THUMBNAIL_MIN_WIDTH} to {PAGE_WIDTH} pixels"
            )));
        }
    };
    let r = reviewable(&app, &caller, &id).await?;
    if n == 0 || i64::from(n) > r.draft.page_count {
        return Err(ApiError::NotFound("page"));
    }
    let pdf = app.store.get(&r.draft.pdf_sha256).await?;
    let limits = app.config.pipeline().limits;
    let png = tokio::task::spawn_blocking(move || preview(&pdf, n as usize, &limits, width))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("draft page {n}: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        png,
    )
        .into_response())
}

/// Page `n` of a PDF Kho made, reduced to at most `max_width` pixels wide, as PNG.
/// Pages are decoded one at a time and only page `n` is kept.
pub(crate) fn preview(
    pdf: &[u8],
    n: usize,
    limits: &kho_workers::decode::Limits,
    max_width: u32,
) -> Result<Vec<u8>, kho_workers::PipelineError> {
    let mut seen = 0;
    let mut found = None;
    kho_workers::decode::each_page(std::io::Cursor::new(pdf), limits, |p| {
        seen += 1;
        if seen == n {
            found = Some(p.image);
        }
        Ok(())
    })?;
    let img = found.ok_or_else(|| kho_workers::PipelineError::Corrupt("no such page".into()))?;
    let img = if img.width() > max_width {
        let h = (img.height() as u64 * u64::from(max_width) / img.width() as u64).max(1) as u32;
        img.resize(max_width, h, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| kho_workers::PipelineError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// What a reviewer corrects before approving; every field is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    pub title: Option<String>,
    pub doc_type: Option<String>,
    /// Number and symbol (*số, ký hiệu*).
    pub number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    /// The right owner (personal ID or tax code), when the pipeline could not tell.
    pub owner_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/approve", tag = "reviews",
    params(("id" = String, Path, description = "review id, from the job's `review.id`")),
    request_body(content = Option<Corrections>, description = "optional corrections (JSON); an empty body approves as is"),
    responses((status = 200, body = Approved), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "only records staff approve"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already decided"),
              (status = 422, body = ErrorBody, description = "an invalid owner ID")),
    security(("bearer" = [])))]
pub async fn approve(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Approved>, ApiError> {
    let review = reviewable(&app, &caller, &id).await?;
    let fix: Corrections = if body.iter().all(u8::is_ascii_whitespace) {
        Corrections::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("corrections: {e}")))?
    };
    if review.state != "open" {
        return Err(ApiError::Conflict(format!(
            "the review is already {}",
            review.state
        )));
    }
    let mut doc = review.draft.clone();
    let mut corrected = Vec::new();
    let text = |name: &str, v: Option<String>, max: usize| -> Result<Option<String>, ApiError> {
        match v.map(|s| s.trim().to_owned()) {
            Some(s) if s.is_empty() || s.chars().count() > max => Err(ApiError::BadRequest(
                format!("{name}: 1 to {max} characters"),
            )),
            other => Ok(other),
        }
    };
    if let Some(t) = text("title", fix.title, 300)? {
        doc.title = Some(t);
        corrected.push("title");
    }
    if let Some(t) = text("doc_type", fix.doc_type, 100)? {
        doc.doc_type = Some(t);
        corrected.push("doc_type");
    }
    if let Some(n) = text("number", fix.number, 100)? {
        doc.number = Some(n);
        corrected.push("number");
    }
    if let Some(d) = fix.issued_on {
        if crate::domain::parse_date(&d).is_none() {
            return Err(ApiError::BadRequest("issued_on: a date YYYY-MM-DD".into()));
        }
        doc.issued_on = Some(d);
        corrected.push("issued_on");
    }
    if let Some(o) = fix.owner_id {
        doc.owner_id = SubjectId::parse(&o)
            .map_err(|e| ApiError::InvalidId(e.0))?
            .as_str()
            .to_owned();
        corrected.push("owner_id");
    }
    let draft = app.store.get(&review.draft.pdf_sha256).await?;
    let signed = digitize::stamp_and_sign(
        &app,
        &doc.scan_id,
        &doc.id,
        &doc.owner_id,
        doc.title.as_deref(),
        draft.to_vec(),
        review.words.clone(),
    )
    .await
    .map_err(|e: DigitizeError| ApiError::Internal(e.into()))?;
    doc.pdf_bytes = signed.len() as i64;
    doc.pdf_sha256 = app.store.put(bytes::Bytes::from(signed)).await?;
    doc.status = crate::domain::Status::Valid;
    let note = (!corrected.is_empty()).then(|| format!("corrected: {}", corrected.join(", ")));
    // The filing and its event commit together.
    let mut tx = app.db.pool.begin().await.map_err(DbError::from)?;
    if !reviews::approve(&mut tx, &review, &doc, &caller.id, note.as_deref()).await? {
        return Err(ApiError::Conflict(
            "the review was decided meanwhile".into(),
        ));
    }
    let detail = serde_json::json!({
        "document": doc.id, "owner": doc.owner_id, "sha256": doc.pdf_sha256, "corrected": corrected,
    });
    let event = Entry::new(&caller.id, Action::ReviewApprove, &review.id, detail);
    crate::db::audit::append(&mut tx, &event).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Json(Approved {
        document_id: doc.id,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Rejection {
    /// Why (1–500 characters); recorded and shown on the job.
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/reject", tag = "reviews",
    params(("id" = String, Path)), request_body = Rejection,
    responses((status = 200, body = ReviewSummary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "already decided")),
    security(("bearer" = [])))]
pub async fn reject(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Json<Rejection>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ReviewSummary>, ApiError> {
    let review = reviewable(&app, &caller, &id).await?;
    let Json(body) = body?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest("reason: 1 to 500 characters".into()));
    }
    let mut tx = app.db.pool.begin().await.map_err(DbError::from)?;
    if !reviews::reject(&mut tx, &review, &caller.id, reason).await? {
        return Err(ApiError::Conflict(format!(
            "the review is already {}",
            review.state
        )));
    }
    let detail = serde_json::json!({"reason": reason});
    let event = Entry::new(&caller.id, Action::ReviewReject, &review.id, detail);
    crate::db::audit::append(&mut tx, &event).await?;
    tx.commit().await.map_err(DbError::from)?;
    let r = reviews::get(&app.db, &id)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    Ok(Json(ReviewSummary::from(&r)))
}
