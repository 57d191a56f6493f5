//! The batches' rules, for the API and the staff pages alike: a batch is its agency's
//! alone (another agency's is as good as absent), and an agency lists its newest.

use crate::db::batches::{self, Batch};
use crate::db::{Db, DbError};

/// Batch `id`, if it is `agency`'s.
pub async fn of_agency(db: &Db, agency: &str, id: &str) -> Result<Option<Batch>, DbError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    Ok(batches::get(db, id).await?.filter(|b| b.agency == agency))
}

/// The agency's newest batches (at most 200), each with its documents so far.
pub async fn of(db: &Db, agency: &str) -> Result<Vec<(Batch, i64)>, DbError> {
    batches::list(db, agency, 200).await
}
