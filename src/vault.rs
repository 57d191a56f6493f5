//! Verification with the vault's view: the verifier's report on a PDF plus what the
//! vault knows — the document it is (by its SHA-256, or by the document id its
//! signatures name), its status, whether the file is byte for byte the vault's copy —
//! and revocation: a revoked document or a signature by a revoked certificate makes the
//! verdict REVOKED, unless a trusted timestamp proves the signature came before the
//! revocation.

use crate::app::App;
use crate::db::documents;
use crate::verify::{self, Report, VaultView, Verdict};

fn read_roots(pem: &mut String, option: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let extra = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{option} {}: {e}", path.display()))?;
    pem.push('\n');
    pem.push_str(&extra);
    Ok(())
}

/// This deployment's roots and the issuing agencies' roots (`--issuer-roots`,
/// `--agency-roots`): what the public verifier trusts.
pub async fn trusted_roots(app: &App) -> anyhow::Result<Vec<x509_cert::Certificate>> {
    let mut pem = app.keys.roots_pem().await?;
    if let Some(path) = &app.config.issuer_roots {
        read_roots(&mut pem, "--issuer-roots", path)?;
    }
    for (_, path) in app.config.agency_roots.iter().flat_map(|r| &r.0) {
        read_roots(&mut pem, "--agency-roots", path)?;
    }
    Ok(crate::signing::certs::all_from_pem(&pem)?)
}

/// The roots a result pushed by `agency`'s issuing system may chain to: this
/// deployment's (whose keys must then be the agency's) and that agency's own
/// (`--agency-roots`), never another agency's.
pub async fn agency_roots(app: &App, agency: &str) -> anyhow::Result<Vec<x509_cert::Certificate>> {
    let mut pem = app.keys.roots_pem().await?;
    for path in app.config.agency_roots.iter().flat_map(|r| r.of(agency)) {
        read_roots(&mut pem, "--agency-roots", path)?;
    }
    Ok(crate::signing::certs::all_from_pem(&pem)?)
}

/// The roots a timestamp's TSA may chain to: this deployment's (its own TSA) and the
/// external TSA's (`--tsa-roots`).
pub async fn tsa_roots(app: &App) -> anyhow::Result<Vec<x509_cert::Certificate>> {
    let mut pem = app.keys.roots_pem().await?;
    if let Some(path) = &app.config.tsa_roots {
        read_roots(&mut pem, "--tsa-roots", path)?;
    }
    Ok(crate::signing::certs::all_from_pem(&pem)?)
}

/// Verify `pdf` against this deployment's roots and add the vault's view.
pub async fn verify(app: &App, pdf: Vec<u8>) -> anyhow::Result<Report> {
    let roots = trusted_roots(app).await?;
    let tsa = tsa_roots(app).await?;
    let pdf = bytes::Bytes::from(pdf);
    let given = pdf.clone();
    let mut report =
        tokio::task::spawn_blocking(move || verify::verify_with(&pdf, &roots, &tsa)).await?;
    add_vault_view(app, &mut report, &given).await?;
    Ok(report)
}

async fn add_vault_view(app: &App, report: &mut Report, given: &[u8]) -> anyhow::Result<()> {
    let identical = documents::by_pdf_sha256(&app.db, &report.sha256).await?;
    let doc = match identical {
        Some(d) => Some((d, true)),
        None => {
            let named = report.signatures.iter().find_map(|s| s.document_id.clone());
            match named.filter(|id| uuid::Uuid::parse_str(id).is_ok()) {
                Some(id) => documents::get(&app.db, &id).await?.map(|d| (d, false)),
                None => None,
            }
        }
    };
    if let Some((doc, identical)) = doc {
        let revocation = documents::revocation(&app.db, &doc.id).await?;
        if doc.status == crate::domain::Status::Revoked && report.verdict == Verdict::Valid {
            report.verdict = Verdict::Revoked;
            report.reasons.push(format!(
                "the vault revoked this document{}",
                revocation
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ));
        }
        // A copy made before an archive renewal is the start of the vault's copy.
        let earlier_revision = !identical
            && (given.len() as i64) < doc.pdf_bytes
            && app
                .store
                .get(&doc.pdf_sha256)
                .await
                .is_ok_and(|vault_copy| vault_copy.starts_with(given));
        report.vault = Some(VaultView {
            document_id: doc.id,
            status: doc.status,
            identical,
            earlier_revision,
            title: doc.title,
            revoked_at: revocation.revoked_at,
            revocation_reason: revocation.reason,
            superseded_by: revocation.superseded_by,
        });
    }
    let revoked = app.keys.revoked_serials().await?;
    for s in &mut report.signatures {
        let Some(&revoked_ms) = s.serial.as_ref().and_then(|serial| revoked.get(serial)) else {
            continue;
        };
        // A timestamp proving the signature existed before the revocation keeps it.
        let stamped_ms = s
            .timestamp
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond());
        if stamped_ms.is_some_and(|t| t < revoked_ms) && s.verdict == Verdict::Valid {
            s.reasons.push(format!(
                "the certificate of {} was revoked after the timestamp proves the signature was made",
                s.signer.as_deref().unwrap_or("the signer")
            ));
            continue;
        }
        if s.verdict == Verdict::Valid {
            s.verdict = Verdict::Revoked;
            let why = format!(
                "the certificate of {} was revoked",
                s.signer.as_deref().unwrap_or("the signer")
            );
            s.reasons.push(why.clone());
            if report.verdict == Verdict::Valid {
                report.verdict = Verdict::Revoked;
            }
            report.reasons.push(why);
        }
    }
    Ok(())
}

/// The vault's public record of a document.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PublicRecord {
    pub document_id: String,
    pub status: crate::domain::Status,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    /// The owner's identifier with all but the last three characters hidden.
    pub owner_masked: String,
    pub revocation_reason: Option<String>,
    pub superseded_by: Option<String>,
    /// The verification URL the QR code carries.
    pub verify_url: String,
}

fn mask(id: &str) -> String {
    let n = id.chars().count();
    id.chars()
        .enumerate()
        .map(|(i, c)| if i + 3 < n { '•' } else { c })
        .collect()
}

/// The public record of document `id` (none for an id that is not a document's).
pub async fn public_record(
    app: &App,
    id: &str,
) -> Result<Option<PublicRecord>, crate::db::DbError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    let Some(doc) = documents::get(&app.db, id).await? else {
        return Ok(None);
    };
    let rev = documents::revocation(&app.db, id).await?;
    Ok(Some(PublicRecord {
        verify_url: format!(
            "{}/v/{}",
            app.config.public_url.trim_end_matches('/'),
            doc.id
        ),
        document_id: doc.id,
        status: doc.status,
        title: doc.title,
        doc_type: doc.doc_type,
        number: doc.number,
        issued_on: doc.issued_on,
        owner_masked: mask(&doc.owner_id),
        revocation_reason: rev.reason,
        superseded_by: rev.superseded_by,
    }))
}
