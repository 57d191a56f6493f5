//! The review queue's rules, for the API and the staff pages alike: a held document is
//! open only to records staff of the agency that digitized it (another agency's is as
//! good as absent), and an agency's queue is read a page at a time, oldest first.

use crate::app::App;
use crate::db::reviews::{self, Review};
use crate::db::{Db, DbError};

/// Review `id`, if it is `agency`'s (the agency that files the scan it holds).
pub async fn of_agency(app: &App, agency: &str, id: &str) -> Result<Option<Review>, DbError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    let Some(review) = reviews::get(&app.db, id).await? else {
        return Ok(None);
    };
    let filing = crate::digitize::filing_agency(app, &review.draft.scan_id).await?;
    Ok(filing
        .is_some_and(|(a, _)| a.code == agency)
        .then_some(review))
}

/// A page of an agency's queue.
pub struct Queue {
    pub reviews: Vec<Review>,
    /// How many of the agency's reviews are in this state, in all.
    pub total: i64,
    /// The cursor of the next page, when there is one (`created_at:id`).
    pub next: Option<String>,
}

/// At most `limit` of `agency`'s reviews in `state`, oldest first, after `after`.
pub async fn queue(
    db: &Db,
    agency: &str,
    state: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Queue, DbError> {
    let (page, total) = reviews::list(db, agency, state, after, limit).await?;
    let next = (page.len() as i64 == limit)
        .then(|| page.last().map(|r| format!("{}:{}", r.created_at, r.id)))
        .flatten();
    Ok(Queue {
        reviews: page,
        total,
        next,
    })
}
