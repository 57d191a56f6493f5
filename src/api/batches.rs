//! Batches over the API (issue 7): records staff create a batch (a name, whether its
//! files are stacks to cut at separator sheets, a fallback owner, a CSV manifest), add
//! files to it in as many requests as they like, and follow its progress by polling or
//! as server-sent events; the report comes as JSON or CSV. Documents are submitted once by content, so adding
//! the same file again files nothing twice.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::scans::multipart_error;
use crate::app::App;
use crate::auth::Role;
use crate::db::batches::{self, Batch, Item, NewBatch};
use crate::db::tokens::TokenOwner;
use crate::domain::SubjectId;
use crate::intake::Incoming;
use crate::report::{self, Report};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatchRequest {
    /// For people, e.g. "Hộp 17 — hồ sơ khai sinh 2009".
    pub name: String,
    /// Each file is a stack cut at its separator sheets (`kho separator`).
    #[serde(default)]
    pub split: bool,
    /// Owner of documents no sheet or manifest row names.
    pub owner: Option<String>,
    /// A CSV manifest (columns: file, pages, owner, type, number, issued_on, valid_from,
    /// valid_to, procedure).
    pub manifest: Option<String>,
}

/// A batch in the agency's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchSummary {
    pub id: String,
    pub name: String,
    pub split: bool,
    pub owner_id: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Documents recorded or refused so far.
    pub documents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchList {
    pub batches: Vec<BatchSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCreated {
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    /// The documents the files made: each with its job, or why it was refused.
    pub documents: Vec<AddedDocument>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddedDocument {
    pub label: String,
    pub job_id: Option<String>,
    pub reason: Option<String>,
}

/// A batch's progress: its report so far, and whether every document has ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub id: String,
    pub name: String,
    /// True when no document is queued or being digitized.
    pub finished: bool,
    pub report: Report,
}

/// Largest manifest, and largest batch creation body (the manifest JSON-quoted).
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;
pub const MAX_CREATE_BYTES: usize = 2 * MAX_MANIFEST_BYTES;

/// One server-sent event of a batch's progress stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressEvent {
    /// Always `progress`.
    pub event: String,
    /// The batch's [`Progress`] as JSON.
    pub data: String,
}

fn staff_agency(caller: &TokenOwner) -> Result<String, ApiError> {
    match (caller.role, &caller.agency) {
        (Role::Staff, Some(a)) => Ok(a.clone()),
        _ => Err(ApiError::Forbidden),
    }
}

/// The batch, if it is this staff member's agency's.
async fn batch_of(app: &App, caller: &TokenOwner, id: &str) -> Result<Batch, ApiError> {
    let agency = staff_agency(caller)?;
    crate::batch::of_agency(&app.db, &agency, id)
        .await?
        .ok_or(ApiError::NotFound("batch"))
}

#[utoipa::path(post, path = "/api/v1/batches", tag = "batches", request_body = NewBatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters naming this creation: sent again, the first batch is returned (`Idempotent-Replayed: true`) and nothing is recorded")),
    responses((status = 201, body = BatchCreated), (status = 400, body = ErrorBody, description = "a bad manifest (its rows named) or name"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "records staff only"),
              (status = 422, body = ErrorBody, description = "invalid owner ID, or an Idempotency-Key used before for a different batch")),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(caller): Caller,
    headers: axum::http::HeaderMap,
    body: Result<Json<NewBatchRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let agency = staff_agency(&caller)?;
    let key = super::scans::idempotency_key(&headers)?;
    let Json(b) = body?;
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::BadRequest("name: 1 to 200 characters".into()));
    }
    let owner = b
        .owner
        .as_deref()
        .map(|o| SubjectId::parse(o).map_err(|e| ApiError::InvalidId(e.0)))
        .transpose()?;
    if let Some(m) = &b.manifest {
        if m.len() > MAX_MANIFEST_BYTES {
            return Err(ApiError::TooLarge("a manifest is at most 16 MiB".into()));
        }
        crate::manifest::Manifest::parse(m.as_bytes()).map_err(ApiError::BadRequest)?;
    }
    let new = NewBatch {
        name,
        created_by: &caller.id,
        agency: &agency,
        split: b.split,
        owner_id: owner.as_ref().map(|o| o.as_str()),
        manifest: b.manifest.as_deref(),
        idempotency_key: key.as_deref(),
    };
    let (id, replayed) = match batches::create(&app.db, &new).await? {
        batches::Creation::Created(id) => (id, "false"),
        batches::Creation::Existing(first) => {
            let same = first.name == new.name
                && first.split == new.split
                && first.owner_id.as_deref() == new.owner_id
                && first.manifest.as_deref() == new.manifest;
            if !same {
                return Err(ApiError::Unprocessable(
                    "this Idempotency-Key was used for a different batch".into(),
                ));
            }
            (first.id, "true")
        }
    };
    Ok((
        StatusCode::CREATED,
        [("idempotent-replayed", replayed)],
        Json(BatchCreated { id }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/batches/{id}/files", tag = "batches",
    params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "one or more `file` parts: scans, stacks when the batch splits, or ZIPs of them (each file of a ZIP is taken as if sent alone; an entry named outside the archive refuses the ZIP)"),
    responses((status = 202, body = Added), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_files(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Added>), ApiError> {
    let batch = batch_of(&app, &caller, &id).await?;
    let uploader = crate::auth::uploader(&caller).ok_or(ApiError::Forbidden)?;
    let _permit = app.heavy.admit()?;
    let manifest = manifest_of(&batch)?;
    let owner = owner_of(&batch, None)?;
    // A document already in this batch (the same file sent again) is not listed twice.
    let known: std::collections::HashSet<String> = batches::items(&app.db, &batch.id)
        .await?
        .into_iter()
        .filter_map(|i| i.job_id)
        .collect();
    let mut items = Vec::new();
    // Unpacked ZIPs, removed when the request ends.
    let mut _unpacked = Vec::new();
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            return Err(ApiError::BadRequest(
                "send the files as `file` parts".into(),
            ));
        }
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let label = filename
            .clone()
            .unwrap_or_else(|| format!("file {}", items.len() + 1));
        // A ZIP is a folder of scans: each of its files is a document (or a stack).
        let zip = bytes.starts_with(b"PK\x03\x04");
        let groups: Vec<(String, crate::stack::Files)> = if zip {
            match unzip(&app, &label, bytes.clone()).await {
                Ok((unpacked, paths)) => {
                    _unpacked.push(unpacked);
                    paths
                        .into_iter()
                        .map(|p| {
                            let name = p.file_name().unwrap_or_default().to_string_lossy();
                            let label = format!("{label}: {name}");
                            (label, crate::stack::Files::Paths(vec![p]))
                        })
                        .collect()
                }
                Err(why) => {
                    items.push(Item {
                        label,
                        reason: Some(why),
                        ..Item::default()
                    });
                    continue;
                }
            }
        } else {
            let files = crate::stack::Files::Memory(vec![Incoming {
                filename: filename.clone(),
                bytes: bytes.clone(),
            }]);
            vec![(label, files)]
        };
        for (label, files) in groups {
            let first = items.len();
            add_group(
                &app,
                &uploader,
                &batch,
                manifest.as_ref(),
                owner.as_ref(),
                label,
                files,
                &mut items,
            )
            .await;
            // One file, one document (not a ZIP, a batch that does not split): when it
            // is refused, Kho keeps it so staff can give what was missing and retry it.
            if !zip
                && !batch.split
                && let [only] = &mut items[first..]
                && only.job_id.is_none()
            {
                let sha256 = app.store.put(bytes.clone()).await?;
                only.kept = Some(batches::Kept {
                    sha256,
                    filename: filename.clone(),
                });
            }
        }
    }
    if items.is_empty() {
        return Err(ApiError::EmptyUpload("no `file` parts".into()));
    }

    let new: Vec<Item> = items
        .iter()
        .filter(|i| i.job_id.as_ref().is_none_or(|j| !known.contains(j)))
        .cloned()
        .collect();
    batches::add_items(&app.db, &batch.id, &new).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Added {
            documents: items
                .into_iter()
                .map(|i| AddedDocument {
                    label: i.label,
                    job_id: i.job_id,
                    reason: i.reason,
                })
                .collect(),
        }),
    ))
}

/// The batch's manifest, parsed.
fn manifest_of(batch: &Batch) -> Result<Option<crate::manifest::Manifest>, ApiError> {
    batch
        .manifest
        .as_deref()
        .map(|m| crate::manifest::Manifest::parse(m.as_bytes()))
        .transpose()
        .map_err(ApiError::BadRequest)
}

/// The owner to file for: the one `given` (when not blank), else the batch's default.
fn owner_of(batch: &Batch, given: Option<&str>) -> Result<Option<SubjectId>, ApiError> {
    match given.map(str::trim) {
        Some(o) if !o.is_empty() => Some(o),
        _ => batch.owner_id.as_deref(),
    }
    .map(SubjectId::parse)
    .transpose()
    .map_err(|e| ApiError::InvalidId(e.0))
}

/// A refused file tried again, with the owner it lacked.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    /// The owner (12-digit personal ID or tax code); the batch's default owner if left
    /// out.
    pub owner_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/batches/{id}/items/{position}/retry", tag = "batches",
    params(("id" = String, Path), ("position" = i64, Path, description = "the document's `position` in the batch report")),
    request_body(content = Option<RetryRequest>, description = "the owner to file it for (JSON); an empty body uses the batch's owner"),
    responses((status = 200, body = Progress, description = "the batch's progress, with the document's new outcome (a job, or why it is refused again)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the document was not refused, or its file was not kept (a ZIP that would not open, a stack of a splitting batch)"),
              (status = 422, body = ErrorBody, description = "an invalid owner ID")),
    security(("bearer" = [])))]
pub async fn retry(
    State(app): State<App>,
    Caller(caller): Caller,
    Path((id, position)): Path<(String, i64)>,
    body: axum::body::Bytes,
) -> Result<Json<Progress>, ApiError> {
    let batch = batch_of(&app, &caller, &id).await?;
    let uploader = crate::auth::uploader(&caller).ok_or(ApiError::Forbidden)?;
    let request: RetryRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RetryRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not a retry request: {e}")))?
    };
    let owner = owner_of(&batch, request.owner_id.as_deref())?;
    let item = batches::items(&app.db, &batch.id)
        .await?
        .into_iter()
        .find(|i| i.position == position)
        .ok_or(ApiError::NotFound("document of the batch"))?;
    let kept = match (&item.job_id, &item.kept) {
        (None, Some(kept)) => kept.clone(),
        _ => {
            return Err(ApiError::Conflict(
                "only a refused document whose file Kho kept can be retried".into(),
            ));
        }
    };
    let _permit = app.heavy.admit()?;
    let manifest = manifest_of(&batch)?;
    let bytes = app.store.get(&kept.sha256).await?;
    let files = crate::stack::Files::Memory(vec![Incoming {
        filename: kept.filename.clone(),
        bytes,
    }]);
    let mut outcome = Vec::new();
    add_group(
        &app,
        &uploader,
        &batch,
        manifest.as_ref(),
        owner.as_ref(),
        item.label.clone(),
        files,
        &mut outcome,
    )
    .await;
    let Some(first) = outcome.first() else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "retrying {position} of batch {id} made nothing"
        )));
    };
    if !batches::retried(
        &app.db,
        &batch.id,
        position,
        first.job_id.as_deref(),
        first.reason.as_deref(),
    )
    .await?
    {
        return Err(ApiError::Conflict(
            "the document was retried already".into(),
        ));
    }
    Ok(Json(progress_of(&app, &batch).await?))
}

/// Unpack an uploaded ZIP into a scratch folder (removed when the returned guard is
/// dropped): its files in name order, or why it was refused (an entry named outside
/// the archive, too many or too large entries, a corrupt archive).
async fn unzip(
    app: &App,
    label: &str,
    bytes: bytes::Bytes,
) -> Result<(crate::stack::Unpacked, Vec<std::path::PathBuf>), String> {
    let max_entry = app.config.max_upload_bytes as u64;
    let label = label.to_owned();
    tokio::task::spawn_blocking(move || {
        let unpacked = crate::stack::Unpacked::new(max_entry)?;
        let paths = unpacked.unpack(std::io::Cursor::new(bytes), &label)?;
        anyhow::ensure!(!paths.is_empty(), "{label}: the ZIP holds no files");
        Ok((unpacked, paths))
    })
    .await
    .map_err(|e| format!("unpacking {e}"))?
    .map_err(|e: anyhow::Error| format!("{e:#}"))
}

/// Cut one group of files into documents and submit each; what became of each is
/// pushed to `items`.
#[allow(clippy::too_many_arguments)]
async fn add_group(
    app: &App,
    uploader: &crate::domain::Uploader,
    batch: &Batch,
    manifest: Option<&crate::manifest::Manifest>,
    owner: Option<&SubjectId>,
    label: String,
    files: crate::stack::Files,
    items: &mut Vec<Item>,
) {
    let mut docs = crate::stack::documents(app, &label, files, owner, batch.split).await;
    while let Some(doc) = docs.next(manifest).await {
        let (label, job_id, reason) = match doc {
            Err(why) => (label.clone(), None, Some(why)),
            Ok(doc) => {
                let label = doc.label.clone();
                match crate::stack::submit(app, doc, uploader).await {
                    Ok((job_id, _)) => (label, Some(job_id), None),
                    Err(why) => (label, None, Some(why)),
                }
            }
        };
        items.push(Item {
            label,
            job_id,
            reason,
            ..Item::default()
        });
    }
}

#[utoipa::path(get, path = "/api/v1/batches", tag = "batches",
    responses((status = 200, body = BatchList, description = "the agency's batches, newest first (at most 200)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "records staff only")),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(caller): Caller,
) -> Result<Json<BatchList>, ApiError> {
    let agency = staff_agency(&caller)?;
    let batches = list_of(&app, &agency).await?;
    Ok(Json(BatchList { batches }))
}

/// An agency's batches, newest first.
async fn list_of(app: &App, agency: &str) -> Result<Vec<BatchSummary>, ApiError> {
    Ok(crate::batch::of(&app.db, agency)
        .await?
        .into_iter()
        .map(|(b, documents)| BatchSummary {
            id: b.id,
            name: b.name,
            split: b.split,
            owner_id: b.owner_id,
            created_at: b.created_at,
            documents,
        })
        .collect())
}

/// The batch's report so far.
async fn report_of(app: &App, batch: &Batch) -> Result<Report, ApiError> {
    let mut lines = Vec::new();
    for it in batches::items(&app.db, &batch.id).await? {
        let mut line = match (&it.job_id, &it.reason) {
            (Some(job), _) => report::line(app, &it.label, job)
                .await
                .map_err(ApiError::Internal)?,
            (None, reason) => {
                report::refused(&it.label, None, reason.as_deref().unwrap_or("refused"))
            }
        };
        line.position = Some(it.position);
        line.retryable = it.job_id.is_none() && it.kept.is_some();
        lines.push(line);
    }
    // The run's time: until now while a document waits for a worker, else until its
    // jobs last changed (not the time since, which would make the rate fall forever).
    let waiting = lines.iter().any(|l| l.state == "queued");
    let end = match batches::last_change(&app.db, &batch.id).await? {
        Some(at) if !waiting => at,
        _ => crate::db::now_ms(),
    };
    let seconds = (end - batch.created_at).max(0) as f64 / 1000.0;
    Ok(Report::new(lines, seconds))
}

#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "batches",
    params(("id" = String, Path)),
    responses((status = 200, body = Progress, description = "poll this for progress"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn progress(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Progress>, ApiError> {
    let batch = batch_of(&app, &caller, &id).await?;
    Ok(Json(progress_of(&app, &batch).await?))
}

async fn progress_of(app: &App, batch: &Batch) -> Result<Progress, ApiError> {
    let report = report_of(app, batch).await?;
    Ok(Progress {
        id: batch.id.clone(),
        name: batch.name.clone(),
        finished: report.totals.queued == 0,
        report,
    })
}

#[utoipa::path(get, path = "/api/v1/batches/{id}/events", tag = "batches",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", body = ProgressEvent,
               description = "server-sent events: a `progress` event (data: the batch's progress as JSON) each time a document moves on, the last one when `finished`; then the stream ends"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn events(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let batch = batch_of(&app, &caller, &id).await?;
    // State: what was last sent (totals and lines); None once the last event went.
    let start = Some((app, batch, String::new()));
    let stream = futures::stream::unfold(start, |state| async move {
        let (app, batch, last) = state?;
        loop {
            let p = match progress_of(&app, &batch).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = ?e, batch = %batch.id, "batch events");
                    let ev = Event::default().event("error").data("internal error");
                    return Some((Ok::<_, std::convert::Infallible>(ev), None));
                }
            };
            let seen =
                serde_json::to_string(&(&p.report.totals, &p.report.documents)).unwrap_or_default();
            if seen != last {
                let data = serde_json::to_string(&p).unwrap_or_default();
                let ev = Event::default().event("progress").data(data);
                let next = (!p.finished).then_some((app, batch, seen));
                return Some((Ok(ev), next));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// CSV headers and states: `vi` in Vietnamese words for people; otherwise (and by
    /// default) the names programs read.
    pub lang: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/batches/{id}/report", tag = "batches",
    params(("id" = String, Path), ReportParams),
    responses((status = 200, description = "the batch report (JSON or CSV)"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let batch = batch_of(&app, &caller, &id).await?;
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::BadRequest("format: json or csv".into())),
    };
    let bytes = report_of(&app, &batch)
        .await?
        .to_bytes(csv, p.lang.as_deref() == Some("vi"))
        .map_err(ApiError::Internal)?;
    let kind = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/json"
    };
    Ok(([(header::CONTENT_TYPE, kind)], bytes).into_response())
}
