//! SQL for the search index (`search_docs`): a document's words, exact and folded,
//! written in the same transaction that files it.

use sqlx::{Any, Transaction};

use super::DbError;
use super::documents::NewDocument;
use crate::domain::text::{exact, fold};

/// Index a document in the same transaction that files it.
pub async fn index(tx: &mut Transaction<'_, Any>, d: &NewDocument) -> Result<(), DbError> {
    let text = [
        d.title.as_deref().unwrap_or(""),
        d.doc_type.as_deref().unwrap_or(""),
        d.number.as_deref().unwrap_or(""),
        d.issued_on.as_deref().unwrap_or(""),
        &d.ocr_text,
    ]
    .join("\n");
    sqlx::query(
        "INSERT INTO search_docs (document_id, owner_id, exact, folded) VALUES ($1, $2, $3, $4)",
    )
    .bind(&d.id)
    .bind(&d.owner_id)
    .bind(exact(&text))
    .bind(fold(&text))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
