//! `GET /api/v1/search?q=…`: Vietnamese search within the caller's rights (see
//! [`crate::search`]): a citizen or an organization member search their own repository,
//! records staff what their agency filed, other roles nothing ([`crate::auth::visible`]).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::caller::Caller;
use super::documents::{DocumentList, DocumentSummary};
use super::error::{ApiError, ErrorBody};
use crate::app::App;
use crate::auth;
use crate::search::{self, Filters};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words (diacritics optional: `giay chung nhan` finds `Giấy chứng nhận`); in double
    /// quotes, a phrase. Exact diacritics rank first.
    pub q: String,
    /// Document type, e.g. `Quyết định` (diacritics optional).
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// `valid`, `expired`, `revoked` or `superseded`.
    pub status: Option<String>,
    /// Issuing body named on the document, or part of it (diacritics optional), e.g.
    /// `ubnd bac ninh`.
    pub issuer: Option<String>,
    /// Issued on or after, `YYYY-MM-DD`.
    pub issued_from: Option<String>,
    /// Issued on or before, `YYYY-MM-DD`.
    pub issued_to: Option<String>,
    /// At most this many (1–100, default 20).
    pub limit: Option<usize>,
}

fn date(name: &str, v: &Option<String>) -> Result<(), ApiError> {
    match v {
        Some(d) if crate::domain::parse_date(d).is_none() => {
            Err(ApiError::BadRequest(format!("{name}: a date YYYY-MM-DD")))
        }
        _ => Ok(()),
    }
}

#[utoipa::path(get, path = "/api/v1/search", tag = "documents", params(SearchParams),
    responses((status = 200, body = DocumentList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(app): State<App>,
    Caller(caller): Caller,
    Query(p): Query<SearchParams>,
) -> Result<Json<DocumentList>, ApiError> {
    let query = search::Query::parse(&p.q)
        .ok_or_else(|| ApiError::BadRequest("q: at least one word".into()))?;
    date("issued_from", &p.issued_from)?;
    date("issued_to", &p.issued_to)?;
    let status = p
        .status
        .as_deref()
        .map(str::parse::<crate::domain::Status>)
        .transpose()
        .map_err(|_| {
            ApiError::BadRequest("status: valid, expired, revoked or superseded".into())
        })?;
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::BadRequest("limit: 1 to 100".into()));
    }
    let filters = Filters {
        issuer: p.issuer.filter(|i| !i.trim().is_empty()),
        doc_type: p.doc_type,
        status,
        issued_from: p.issued_from,
        issued_to: p.issued_to,
    };
    let docs = search::search(&app.db, &query, &auth::visible(&caller), &filters, limit).await?;
    Ok(Json(DocumentList {
        documents: docs.iter().map(DocumentSummary::from).collect(),
    }))
}
