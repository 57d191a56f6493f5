//! `kho ingest`: digitize files from the command line, with a progress bar.
//!
//! Files go through the same intake as the upload API ([`crate::intake`]); with
//! `--split` each file is a scanned stack cut at its separator sheets first. Ingest is
//! idempotent: a document already submitted (same owner, same files by content) is not
//! recorded again — `--wait` follows its first job — so a batch can simply be run again
//! after a crash or an interruption. With `--wait`
//! the command runs workers itself and follows its jobs to the end, so it works with or
//! without a running server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::app::App;
use crate::db::jobs;
use crate::domain::SubjectId;
use crate::intake::{self, Incoming};
use crate::queue;

/// Expand folders into their files (sorted by name), keep files as given.
pub fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && !is_sidecar(p))
                .collect();
            entries.sort();
            out.extend(entries);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{} is neither a file nor a folder", p.display());
        }
    }
    if out.is_empty() {
        bail!("no files to ingest");
    }
    Ok(out)
}

/// Ground-truth and metadata files that sit beside sample scans.
fn is_sidecar(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e == "txt" || e == "csv" || e == "json")
}

/// Run `kho ingest`. Returns the number of failed documents.
/// How files become documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Each file is one document.
    FilePerDocument,
    /// All files are the pages of one document, in order.
    OneDocument,
    /// Each file is a stack cut at its separator sheets ([`crate::separator`]).
    Split,
}

pub async fn run(
    app: App,
    paths: &[PathBuf],
    owner: Option<&SubjectId>,
    how: Grouping,
    wait: bool,
) -> anyhow::Result<usize> {
    let files = expand(paths)?;
    let groups: Vec<Vec<PathBuf>> = match how {
        Grouping::OneDocument => vec![files],
        _ => files.into_iter().map(|f| vec![f]).collect(),
    };

    let bar = ProgressBar::new(groups.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:10} [{bar:30}] {pos}/{len} files  {per_sec}  eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("uploading");
    let mut submitted: Vec<(String, String)> = Vec::new(); // (label, job id)
    let mut failures = 0;
    let mut documents = 0;
    for group in &groups {
        let label = group
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        let mut incoming = Vec::new();
        for path in group {
            let bytes = tokio::fs::read(path)
                .await
                .with_context(|| format!("cannot read {}", path.display()))?;
            incoming.push(Incoming {
                filename: path.file_name().map(|n| n.to_string_lossy().into_owned()),
                bytes: Bytes::from(bytes),
            });
        }
        // (label, owner, files) of each document this group makes.
        let parts: Vec<(String, Option<SubjectId>, Vec<Incoming>)> = if how == Grouping::Split {
            let stack = incoming.remove(0).bytes;
            let fallback = owner.cloned();
            let limits = app.config.pipeline().limits;
            let cut = tokio::task::spawn_blocking(move || {
                crate::separator::cut_stack(&stack, fallback.as_ref(), &limits)
            })
            .await?;
            match cut {
                Ok(cuts) => cuts
                    .into_iter()
                    .map(|c| {
                        let first = c.part.pages[0] + 1;
                        let last = c.part.pages[c.part.pages.len() - 1] + 1;
                        (
                            format!("{label} pages {first}-{last}"),
                            c.part.owner,
                            c.files,
                        )
                    })
                    .collect(),
                Err(e) => {
                    // The stack counts as one document that failed.
                    documents += 1;
                    failures += 1;
                    say(&bar, format!("refused  {label}: {e}"));
                    vec![]
                }
            }
        } else {
            vec![(label, owner.cloned(), incoming)]
        };
        for (label, part_owner, files) in parts {
            documents += 1;
            let Some(part_owner) = part_owner else {
                failures += 1;
                say(
                    &bar,
                    format!(
                        "refused  {label}: no owner (pages before the first separator sheet; give --owner)"
                    ),
                );
                continue;
            };
            match intake::submit_once(&app, &part_owner, files, None).await {
                Ok(created) => {
                    if created.existing {
                        say(&bar, format!("already  {label}  job {}", created.job_id));
                    }
                    submitted.push((label, created.job_id))
                }
                Err(e) => {
                    failures += 1;
                    say(&bar, format!("refused  {label}: {e}"));
                }
            }
        }
        bar.inc(1);
    }
    if !wait {
        bar.finish_and_clear();
        for (label, job) in &submitted {
            println!("queued   {label}  job {job}");
        }
        return Ok(failures);
    }

    bar.set_position(0);
    bar.set_length(submitted.len() as u64);
    bar.set_message("digitizing");
    bar.reset_eta();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = queue::spawn_workers(&app, app.config.worker_count().max(1), stop_rx);
    let mut pending: Vec<(String, String)> = submitted;
    let mut lines = Vec::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (label, job_id) in pending {
            let (job, _) = jobs::get(&app.db, &job_id).await?.context("job vanished")?;
            match job.state.as_str() {
                "done" => {
                    lines.push(format!(
                        "filed    {label}  document {}",
                        job.document_id.unwrap_or_default()
                    ));
                    bar.inc(1);
                }
                "review" => {
                    lines.push(format!(
                        "review   {label}  job {job_id}: {}",
                        job.error.unwrap_or_default()
                    ));
                    bar.inc(1);
                }
                "failed" => {
                    failures += 1;
                    lines.push(format!(
                        "failed   {label}  job {job_id}: {}",
                        job.error.unwrap_or_default()
                    ));
                    bar.inc(1);
                }
                _ => still.push((label, job_id)),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    bar.finish_and_clear();
    let _ = stop_tx.send(true);
    while workers.join_next().await.is_some() {}
    for l in &lines {
        println!("{l}");
    }
    println!(
        "{} documents: {} filed or in review, {} failed",
        documents,
        documents - failures,
        failures
    );
    Ok(failures)
}

/// A line for the user above the progress bar; on stderr when there is no bar (not a
/// terminal), where indicatif would drop it.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}
