//! Vietnamese search over filed documents (DESIGN.md §6, §11).
//!
//! Every document is indexed twice, once lower-cased with its diacritics (`exact`) and
//! once folded — diacritics stripped and `đ` turned into `d`, since it has no Unicode
//! decomposition. Folding happens here, in Rust, for both backends. The database finds
//! candidates by the folded words (FTS5 on SQLite, a GIN index on PostgreSQL), so
//! `giay chung nhan` finds `Giấy chứng nhận`; Rust then ranks documents that contain
//! the query's exact words first (`bán` before `bạn`). A query in double quotes is a
//! phrase. Results are always within the caller's rights.

use crate::auth::Visible;
use crate::db::documents::{self, Document, NewDocument};
use crate::db::{Db, DbError};

pub use crate::db::search::index;
pub use crate::domain::text::{exact, fold};

/// Index the documents filed before the search index existed.
pub async fn backfill(db: &Db) -> Result<usize, DbError> {
    let ids = crate::db::search::unindexed(db).await?;
    for id in &ids {
        let Some(d) = documents::get(db, id).await? else {
            continue;
        };
        let draft = NewDocument {
            id: d.id,
            owner_id: d.owner_id,
            scan_id: d.scan_id,
            job_id: d.job_id,
            title: d.title,
            doc_type: d.doc_type,
            number: d.number,
            issued_on: d.issued_on,
            status: d.status,
            pdf_sha256: d.pdf_sha256,
            pdf_bytes: d.pdf_bytes,
            page_count: d.page_count,
            mean_confidence: d.mean_confidence,
            ocr_text: d.ocr_text,
            pages_json: d.pages_json,
            fields_json: d.fields_json,
            pipeline_version: d.pipeline_version,
            agency: d.agency,
            issuer: d.issuer,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            source: d.source,
        };
        let mut tx = db.pool.begin().await?;
        index(&mut tx, &draft).await?;
        tx.commit().await?;
    }
    Ok(ids.len())
}

/// A parsed query: folded words (or one phrase) for the index, exact words for ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub folded: Vec<String>,
    pub exact: Vec<String>,
    pub phrase: bool,
}

impl Query {
    /// `None` for a query with no words.
    pub fn parse(q: &str) -> Option<Query> {
        let t = q.trim();
        let phrase = t.len() >= 2 && t.starts_with('"') && t.ends_with('"');
        let folded: Vec<String> = fold(t)
            .split(' ')
            .filter(|w| !w.is_empty())
            .take(16)
            .map(str::to_owned)
            .collect();
        let exact: Vec<String> = exact(t)
            .split(' ')
            .filter(|w| !w.is_empty())
            .take(16)
            .map(str::to_owned)
            .collect();
        (!folded.is_empty()).then_some(Query {
            folded,
            exact,
            phrase,
        })
    }
}

/// Filters on the documents found.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub doc_type: Option<String>,
    pub issuer: Option<String>,
    pub status: Option<crate::domain::Status>,
    pub issued_from: Option<String>,
    pub issued_to: Option<String>,
}

/// Most matches ranked for one search, within the caller's scope.
const MAX_MATCHES: usize = 2000;

/// Documents matching `query` among those `visible` to the caller, best first.
pub async fn search(
    db: &Db,
    query: &Query,
    visible: &Visible,
    filters: &Filters,
    limit: usize,
) -> Result<Vec<Document>, DbError> {
    // The caller's rights are applied in SQL, before the cap: one owner's repository,
    // or what one agency filed — never the first matches of everyone's.
    let scope = match visible {
        Visible::Nothing => return Ok(vec![]),
        Visible::Owner(o) => crate::db::search::Scope::Owner(o),
        Visible::Agency(a) => crate::db::search::Scope::Agency(a),
    };
    let rows =
        crate::db::search::candidates(db, &query.folded, query.phrase, scope, MAX_MATCHES).await?;
    let mut scored = Vec::new();
    for (id, text) in rows {
        scored.push((score(query, &text), id));
    }
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let ids: Vec<String> = scored.iter().map(|(_, id)| id.clone()).collect();
    let mut found: std::collections::HashMap<String, Document> = documents::get_many(db, &ids)
        .await?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let mut out = Vec::new();
    for (_, id) in scored {
        let Some(d) = found.remove(&id) else {
            continue;
        };
        if filters
            .doc_type
            .as_ref()
            .is_some_and(|t| fold(t) != fold(d.doc_type.as_deref().unwrap_or("")))
        {
            continue;
        }
        if filters
            .issuer
            .as_ref()
            .is_some_and(|i| !fold(d.issuer.as_deref().unwrap_or("")).contains(&fold(i)))
        {
            continue;
        }
        if filters.status.is_some_and(|s| s != d.status) {
            continue;
        }
        let issued = d.issued_on.as_deref().unwrap_or("");
        if filters
            .issued_from
            .as_ref()
            .is_some_and(|f| issued.is_empty() || issued < f.as_str())
        {
            continue;
        }
        if filters
            .issued_to
            .as_ref()
            .is_some_and(|t| issued.is_empty() || issued > t.as_str())
        {
            continue;
        }
        out.push(d);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// How many of the query's exact words (with their diacritics) the text holds; the
/// whole exact phrase counts double.
fn score(q: &Query, exact_text: &str) -> usize {
    let padded = format!(" {exact_text} ");
    let words = q
        .exact
        .iter()
        .filter(|w| padded.contains(&format!(" {w} ")))
        .count();
    let phrase = padded.contains(&format!(" {} ", q.exact.join(" ")));
    words + if phrase { q.exact.len() } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_strips_diacritics_and_d_but_exact_keeps_them() {
        assert_eq!(fold("Giấy chứng nhận ĐĂNG KÝ"), "giay chung nhan dang ky");
        assert_eq!(fold("Số: 12/QĐ-UBND"), "so 12 qd ubnd");
        assert_eq!(exact("Bán, BẠN!"), "bán bạn");
        let q = Query::parse("\"giay chung nhan\"").unwrap();
        assert!(q.phrase);
        assert_eq!(q.folded, ["giay", "chung", "nhan"]);
        assert!(Query::parse("  ;; ").is_none());
        let bán = Query::parse("bán").unwrap();
        assert!(score(&bán, "nhà bán") > score(&bán, "nhà bạn"));
    }
}
