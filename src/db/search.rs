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

/// The documents filed before the search index existed (not in it yet).
pub async fn unindexed(db: &super::Db) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT d.id FROM documents d LEFT JOIN search_docs s ON s.document_id = d.id
         WHERE s.document_id IS NULL",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Whose documents a search may find.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// One owner's repository.
    Owner(&'a str),
    /// What one agency filed.
    Agency(&'a str),
}

/// At most `cap` documents whose folded text holds the `folded` words (in this order
/// and next to each other when `phrase`), within `scope`: each document's id and its
/// exact (lower-cased, accented) text, for ranking.
pub async fn candidates(
    db: &super::Db,
    folded: &[String],
    phrase: bool,
    scope: Scope<'_>,
    cap: usize,
) -> Result<Vec<(String, String)>, DbError> {
    use sqlx::Row;
    // Folded words are letters and digits only, so they cannot break the query syntax.
    let (sql, pattern) = match db.backend {
        super::Backend::Sqlite => {
            let pattern = if phrase {
                format!("\"{}\"", folded.join(" "))
            } else {
                folded
                    .iter()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            };
            (
                "SELECT s.document_id, s.exact FROM search_fts f
                 JOIN search_docs s ON s.rowid = f.rowid
                 JOIN documents d ON d.id = s.document_id WHERE search_fts MATCH $1",
                pattern,
            )
        }
        super::Backend::Postgres => {
            let sep = if phrase { " <-> " } else { " & " };
            (
                "SELECT s.document_id, s.exact FROM search_docs s
                 JOIN documents d ON d.id = s.document_id
                 WHERE s.folded_tsv @@ to_tsquery('simple', $1)",
                folded.join(sep),
            )
        }
    };
    // The scope is applied in SQL, before the cap.
    let (scope_clause, scope) = match scope {
        Scope::Owner(o) => (" AND s.owner_id = $2", o),
        Scope::Agency(a) => (" AND d.agency = $2", a),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{sql}{scope_clause} LIMIT {cap}"
    )))
    .bind(pattern)
    .bind(scope)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("document_id")?, r.try_get("exact")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
