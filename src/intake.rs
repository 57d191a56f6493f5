//! Intake: accept the files of one scan for an owner — check them, store them, record
//! the scan and enqueue its job. Used by the upload API and by `kho ingest`.
//!
//! Everything is checked before anything is written, so a refused upload leaves no
//! record and no object behind.

use bytes::Bytes;
use kho_workers::PipelineError;

use crate::app::App;
use crate::db::scans::{self, Created, NewScanFile};
use crate::domain::{SubjectId, Uploader};

/// One file as received.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub filename: Option<String>,
    pub bytes: Bytes,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("no files: send the pages as one or more `file` parts")]
    NoFiles,
    #[error("file {position}{name} is empty")]
    Empty { position: usize, name: String },
    #[error("file {position}{name}: {source}")]
    Rejected {
        position: usize,
        name: String,
        source: PipelineError,
    },
    #[error("this Idempotency-Key was used for a different upload")]
    KeyReused,
    #[error(
        "agency {0} is not in KHO_AGENCIES: nothing is filed for an agency the deployment does not hold"
    )]
    UnknownAgency(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// How a submission is recorded once.
enum Once<'a> {
    /// Every submission is a new scan.
    Never,
    /// Once per owner and files, by content (batch ingest).
    ByContent,
    /// Once per uploader and the client's `Idempotency-Key`.
    ByKey(&'a str),
}

/// Check, store and enqueue. Returns the new scan and job ids.
pub async fn submit(
    app: &App,
    owner: &SubjectId,
    files: Vec<Incoming>,
    uploader: &Uploader,
) -> Result<Created, IntakeError> {
    submit_with(app, owner, files, uploader, Once::Never, None).await
}

/// Like [`submit`], for a client that names its request with an `Idempotency-Key`:
/// the same uploader sending the same key again (a retry after a lost answer, even
/// through another server) gets the first scan and job back (`existing`) and nothing
/// is recorded twice; the key sent with a different owner or files is refused.
pub async fn submit_idempotent(
    app: &App,
    owner: &SubjectId,
    files: Vec<Incoming>,
    uploader: &Uploader,
    key: &str,
) -> Result<Created, IntakeError> {
    submit_with(app, owner, files, uploader, Once::ByKey(key), None).await
}

/// Like [`submit`], but a scan of the same owner and files (by content) is recorded
/// once: submitting it again returns the first scan and job (`existing`). Batch ingest
/// uses this, so a batch run twice, or again after a crash, files nothing twice. `entry`
/// is what the batch's manifest says about the document.
pub async fn submit_once(
    app: &App,
    owner: &SubjectId,
    files: Vec<Incoming>,
    uploader: &Uploader,
    entry: Option<&crate::manifest::Entry>,
) -> Result<Created, IntakeError> {
    submit_with(app, owner, files, uploader, Once::ByContent, entry).await
}

async fn submit_with(
    app: &App,
    owner: &SubjectId,
    files: Vec<Incoming>,
    uploader: &Uploader,
    once: Once<'_>,
    entry: Option<&crate::manifest::Entry>,
) -> Result<Created, IntakeError> {
    if files.is_empty() {
        return Err(IntakeError::NoFiles);
    }
    if !app
        .config
        .agencies
        .0
        .iter()
        .any(|a| a.code == uploader.agency)
    {
        return Err(IntakeError::UnknownAgency(uploader.agency.clone()));
    }
    let label = |i: usize, f: &Incoming| {
        (
            i + 1,
            f.filename
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
        )
    };
    for (i, f) in files.iter().enumerate() {
        if f.bytes.is_empty() {
            let (position, name) = label(i, f);
            return Err(IntakeError::Empty { position, name });
        }
    }
    // Header checks only: cheap, but off the async runtime all the same.
    let pipeline = app.pipeline.clone();
    let all: Vec<Bytes> = files.iter().map(|f| f.bytes.clone()).collect();
    let probes = tokio::task::spawn_blocking(move || {
        all.iter()
            .map(|b| pipeline.probe(&[b.as_ref()]).map(|mut v| v.remove(0)))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| anyhow::anyhow!("probe task failed: {e}"))?;
    let mut checked = Vec::with_capacity(files.len());
    for (i, (f, probe)) in files.iter().zip(probes).enumerate() {
        match probe {
            Ok(p) => checked.push(p),
            Err(source) => {
                let (position, name) = label(i, f);
                return Err(IntakeError::Rejected {
                    position,
                    name,
                    source,
                });
            }
        }
    }
    let mut records = Vec::with_capacity(files.len());
    for (f, probe) in files.into_iter().zip(checked) {
        let bytes = f.bytes.len() as i64;
        let sha256 = app.store.put(f.bytes).await.map_err(anyhow::Error::from)?;
        records.push(NewScanFile {
            sha256,
            content_type: probe.format.mime().to_owned(),
            bytes,
            pages: probe.pages as i64,
            filename: f.filename,
        });
    }
    use sha2::{Digest, Sha256};
    let content_key = match once {
        Once::Never => None,
        // Scoped by agency: another agency's batch with the same files is its own scan.
        Once::ByContent => {
            let mut h = Sha256::new();
            h.update(owner.as_str().as_bytes());
            h.update(b"\nagency:");
            h.update(uploader.agency.as_bytes());
            for r in &records {
                h.update(b"\n");
                h.update(r.sha256.as_bytes());
            }
            Some(hex::encode(h.finalize()))
        }
        // Another namespace of the same unique key: a content key never starts so.
        Once::ByKey(key) => {
            let mut h = Sha256::new();
            h.update(b"idempotency-key\n");
            h.update(uploader.kind.as_str().as_bytes());
            h.update(b":");
            h.update(uploader.id.as_deref().unwrap_or("").as_bytes());
            h.update(b"\n");
            h.update(key.as_bytes());
            Some(hex::encode(h.finalize()))
        }
    };
    let created = scans::create_with_job(
        &app.db,
        &scans::NewScan {
            owner,
            files: &records,
            uploader,
            max_attempts: app.config.job_max_attempts,
            content_key: content_key.as_deref(),
            metadata: entry,
        },
    )
    .await
    .map_err(anyhow::Error::from)?;
    if created.existing && matches!(once, Once::ByKey(_)) {
        // The key's first request must have been this one: same owner, same files.
        let first_owner = crate::db::jobs::get(&app.db, &created.job_id)
            .await
            .map_err(anyhow::Error::from)?
            .map(|(_, owner)| owner);
        let first: Vec<String> = scans::files(&app.db, &created.scan_id)
            .await
            .map_err(anyhow::Error::from)?
            .into_iter()
            .map(|f| f.sha256)
            .collect();
        let now: Vec<&String> = records.iter().map(|r| &r.sha256).collect();
        let same_owner = first_owner.as_deref() == Some(owner.as_str());
        if !same_owner || first.iter().collect::<Vec<_>>() != now {
            return Err(IntakeError::KeyReused);
        }
    }
    app.jobs_ready.notify_waiters();
    Ok(created)
}
