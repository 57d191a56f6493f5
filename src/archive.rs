//! Long-term archive upkeep (PAdES B-LTA renewal, ETSI EN 319 142-1 §5.5).
//!
//! A document timestamp proves the file as it was, but only while the TSA's
//! certificate is valid and unrevoked. Before it ends, [`refresh`] (`kho archive
//! refresh`) adds to each such document a new DSS (today's CRL and the TSA's chain)
//! and a new document timestamp over everything, so the proof carries forward.
//! Documents filed before time-stamping (B-LT) get their first. The new file is the old
//! one byte for byte with revisions appended: every signature in it stays valid, and a
//! copy handed out before is recognised as an earlier revision of the vault's.

use bytes::Bytes;
use lopdf::{Document, Object};

use crate::app::App;
use crate::db::documents;
use crate::domain::audit::{Action, Entry};
use crate::signing::{ltv, pades, tsp};

/// What a refresh did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Documents looked at.
    pub checked: usize,
    /// Documents given a new DSS and document timestamp.
    pub refreshed: usize,
    /// Documents that could not be refreshed, with why (the run goes on).
    pub failed: Vec<(String, String)>,
}

/// When the certificate of the file's last document timestamp ends (Unix seconds), or
/// None when the file has no document timestamp.
pub fn last_timestamp_expiry(pdf: &[u8]) -> Option<i64> {
    let doc = Document::load_mem(pdf).ok()?;
    // The signature dictionaries in file order; the last document timestamp counts.
    let mut stamps: Vec<(usize, Vec<u8>)> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| {
            let d = o.as_dict().ok()?;
            (d.get(b"SubFilter").and_then(Object::as_name).ok()? == b"ETSI.RFC3161")
                .then_some(())?;
            let contents = d.get(b"Contents").ok()?.as_str().ok()?.to_vec();
            let offset = match doc.reference_table.get(id.0)? {
                lopdf::xref::XrefEntry::Normal { offset, .. } => *offset as usize,
                _ => 0,
            };
            Some((offset, contents))
        })
        .collect();
    stamps.sort_by_key(|(offset, _)| *offset);
    let (_, token) = stamps.pop()?;
    // A token that cannot be read is as good as none: it is renewed.
    Some(tsp::signer_not_after(&token).unwrap_or(0))
}

/// Refresh every document whose last document timestamp's certificate ends within
/// `within_days` (or that has none). Each document is its own transaction with its
/// `archive_refresh` event; a failure is reported and the rest go on.
pub async fn refresh(app: &App, within_days: u64) -> anyhow::Result<Summary> {
    let horizon = crate::db::now_ms() / 1000 + (within_days as i64) * 86_400;
    let mut summary = Summary::default();
    let mut after = String::new();
    loop {
        let page = documents::signed_pdfs_after(&app.db, &after, 200).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        for (id, sha256) in page {
            summary.checked += 1;
            match refresh_one(app, &id, &sha256, horizon).await {
                Ok(true) => summary.refreshed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(document = %id, error = %format!("{e:#}"), "archive refresh failed");
                    summary.failed.push((id, format!("{e:#}")));
                }
            }
        }
    }
    Ok(summary)
}

async fn refresh_one(app: &App, id: &str, sha256: &str, horizon: i64) -> anyhow::Result<bool> {
    let pdf = app.store.get(sha256).await?;
    let expiry = {
        let pdf = pdf.clone();
        tokio::task::spawn_blocking(move || last_timestamp_expiry(&pdf)).await?
    };
    if expiry.is_some_and(|t| t > horizon) {
        return Ok(false);
    }
    let stamper = crate::digitize::time_stamper(app).await?;
    let tsa_chain = match &stamper {
        tsp::TimeStamper::Local(tsa) => tsa.chain.clone(),
        tsp::TimeStamper::Remote { .. } => vec![],
    };
    let crl = app.keys.crl_der().await?;
    let renewed = tokio::task::spawn_blocking(move || {
        let with_dss = ltv::add_dss(&pdf, &tsa_chain, &[crl])?;
        pades::timestamp(&with_dss, &stamper)
    })
    .await??;
    let new_bytes = renewed.len() as i64;
    let new_sha256 = app.store.put(Bytes::from(renewed)).await?;
    let mut tx = app.db.pool.begin().await?;
    if !documents::replace_pdf(&mut tx, id, sha256, &new_sha256, new_bytes).await? {
        // Another refresh got there first; its file stands.
        return Ok(false);
    }
    let detail = serde_json::json!({
        "previous_sha256": sha256,
        "sha256": new_sha256,
        "previous_timestamp_expiry": expiry,
    });
    crate::db::audit::append(
        &mut tx,
        &Entry::new("-", Action::ArchiveRefresh, id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
