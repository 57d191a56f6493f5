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

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::app::App;
use crate::db::jobs;
use crate::domain::SubjectId;
use crate::queue;

use crate::stack::{self, Files, Grouping, Unpacked, expand, submit};

/// How a followed job ended.
pub struct Outcome {
    pub label: String,
    pub job_id: String,
    /// `done`, `review` or `failed`.
    pub state: String,
    /// The document id (done) or the reason (review, failed).
    pub detail: String,
}

/// The pages of a job's scan.
async fn pages_of(app: &App, job_id: &str) -> anyhow::Result<u64> {
    let (job, _) = jobs::get(&app.db, job_id).await?.context("job vanished")?;
    let files = crate::db::scans::files(&app.db, &job.scan_id).await?;
    Ok(files.iter().map(|f| f.pages.max(0) as u64).sum())
}

/// Wait until every job has ended (workers must be running). `bar` counts pages: its
/// length is set to the pages of all the jobs, each ended job adds its pages, and its
/// message counts the failures so far.
pub async fn follow(
    app: &App,
    jobs: Vec<(String, String)>,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<Outcome>> {
    let mut pages = std::collections::HashMap::new();
    for (_, job_id) in &jobs {
        pages.insert(job_id.clone(), pages_of(app, job_id).await?);
    }
    bar.set_length(pages.values().sum());
    bar.set_position(0);
    bar.reset_eta();
    let mut failed = 0;
    bar.set_message(format!("{failed} failed"));
    let mut pending = jobs;
    let mut out = Vec::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (label, job_id) in pending {
            let (job, _) = jobs::get(&app.db, &job_id).await?.context("job vanished")?;
            match job.state.as_str() {
                "done" | "review" | "failed" => {
                    let detail = if job.state == "done" {
                        job.document_id.unwrap_or_default()
                    } else {
                        job.error.unwrap_or_default()
                    };
                    if job.state == "failed" {
                        failed += 1;
                        bar.set_message(format!("{failed} failed"));
                    }
                    bar.inc(pages.get(&job_id).copied().unwrap_or(0));
                    out.push(Outcome {
                        label,
                        job_id,
                        state: job.state,
                        detail,
                    });
                }
                _ => still.push((label, job_id)),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(out)
}

/// Run `kho ingest`. Returns the number of failed documents.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    app: App,
    uploader: &crate::domain::Uploader,
    paths: &[PathBuf],
    owner: Option<&SubjectId>,
    how: Grouping,
    manifest: Option<&crate::manifest::Manifest>,
    wait: bool,
    report: Option<&Path>,
) -> anyhow::Result<usize> {
    let started = std::time::Instant::now();
    let unpacked = Unpacked::new(app.config.max_upload_bytes as u64)?;
    let files = expand(paths, &unpacked)?;
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
    // The report's lines in batch order: a recorded document (label, job id) or a refusal.
    let mut order: Vec<Result<(String, String), crate::report::Line>> = Vec::new();
    let mut failures = 0;
    let mut documents = 0;
    for group in &groups {
        let label = group
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        let split = how == Grouping::Split;
        let files = Files::Paths(group.clone());
        let mut docs = stack::documents(&app, &label, files, owner, split).await;
        while let Some(doc) = docs.next(manifest).await {
            documents += 1;
            let doc = match doc {
                Ok(doc) => doc,
                Err(why) => {
                    // The group (or the rest of the stack) counts as one failed document.
                    failures += 1;
                    say(&bar, format!("refused  {label}: {why}"));
                    order.push(Err(crate::report::refused(&label, None, &why)));
                    continue;
                }
            };
            let label = doc.label.clone();
            let doc_owner = doc.owner.as_ref().map(|o| o.as_str().to_owned());
            match submit(&app, doc, uploader).await {
                Ok((job_id, existing)) => {
                    if existing {
                        say(&bar, format!("already  {label}  job {job_id}"));
                    }
                    order.push(Ok((label.clone(), job_id.clone())));
                    submitted.push((label, job_id));
                }
                Err(why) => {
                    failures += 1;
                    say(&bar, format!("refused  {label}: {why}"));
                    order.push(Err(crate::report::refused(
                        &label,
                        doc_owner.as_deref(),
                        &why,
                    )));
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
        write_report(&app, order, started, report).await?;
        return Ok(failures);
    }

    bar.set_style(
        ProgressStyle::with_template(
            "digitizing [{bar:30}] {pos}/{len} pages  {per_sec}  eta {eta}  {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = queue::spawn_workers(&app, app.config.worker_count().max(1), stop_rx);
    let outcomes = follow(&app, submitted, &bar).await?;
    bar.finish_and_clear();
    let _ = stop_tx.send(true);
    while workers.join_next().await.is_some() {}
    for o in &outcomes {
        match o.state.as_str() {
            "done" => println!("filed    {}  document {}", o.label, o.detail),
            "review" => println!("review   {}  job {}: {}", o.label, o.job_id, o.detail),
            _ => {
                failures += 1;
                println!("failed   {}  job {}: {}", o.label, o.job_id, o.detail);
            }
        }
    }
    println!(
        "{} documents: {} filed or in review, {} failed",
        documents,
        documents - failures,
        failures
    );
    write_report(&app, order, started, report).await?;
    Ok(failures)
}

/// Write the batch report, when asked for.
async fn write_report(
    app: &App,
    order: Vec<Result<(String, String), crate::report::Line>>,
    started: std::time::Instant,
    path: Option<&Path>,
) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let mut lines = Vec::with_capacity(order.len());
    for o in order {
        lines.push(match o {
            Ok((label, job_id)) => crate::report::line(app, &label, &job_id).await?,
            Err(refused) => refused,
        });
    }
    crate::report::Report::new(lines, started.elapsed().as_secs_f64()).write(path)?;
    println!("report   {}", path.display());
    Ok(())
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
