//! `kho watch DIR`: ingest what network scanners drop into a folder.
//!
//! A file is taken only once it is complete: not hidden, not named `*.part`, `*.tmp`
//! or `*.partial` (scanners write under such names and rename when done), and its size
//! and modification time unchanged for `--settle-ms`. Each file goes through the same
//! path as `kho ingest` (with `--split`, cut at separator sheets), submitted once by
//! content, and followed to the end by workers running here; then it is moved to
//! `DIR/done/`, or to `DIR/failed/` beside a `NAME.error.txt` that says why. A file
//! moved back into DIR is not filed twice (same content, same documents).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use indicatif::ProgressBar;
use tokio::sync::watch as signal;

use crate::app::App;
use crate::domain::SubjectId;
use crate::ingest;
use crate::queue;

/// What `kho watch` is told.
pub struct Options {
    pub dir: PathBuf,
    pub owner: Option<SubjectId>,
    pub split: bool,
    pub interval: Duration,
    pub settle: Duration,
    /// Take what is complete now, then stop.
    pub once: bool,
    /// Owners and fields by file name.
    pub manifest: Option<crate::manifest::Manifest>,
    /// Who files what arrives: the operator, for one agency.
    pub uploader: crate::domain::Uploader,
}

/// Names scanners use while a file is still being written.
fn in_progress(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || [".part", ".tmp", ".partial", ".crdownload"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// The files of `dir` that look complete: their (size, mtime) is the one seen last
/// time and at least `settle` old.
fn complete(
    dir: &Path,
    seen: &mut HashMap<PathBuf, (u64, SystemTime)>,
    settle: Duration,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut ready = Vec::new();
    let mut now_seen = HashMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if !path.is_file() || in_progress(&path) {
            continue;
        }
        let meta = std::fs::metadata(&path)?;
        let stamp = (meta.len(), meta.modified()?);
        let age = SystemTime::now()
            .duration_since(stamp.1)
            .unwrap_or_default();
        if (settle.is_zero() || seen.get(&path) == Some(&stamp)) && age >= settle {
            ready.push(path.clone());
        }
        now_seen.insert(path, stamp);
    }
    *seen = now_seen;
    ready.sort();
    Ok(ready)
}

/// Move `file` into `dir/sub/`, keeping its name (a numbered name if taken).
fn move_to(file: &Path, sub: &str) -> anyhow::Result<PathBuf> {
    let parent = file.parent().context("a file in a folder")?;
    let target_dir = parent.join(sub);
    std::fs::create_dir_all(&target_dir)?;
    let name = file
        .file_name()
        .context("a file name")?
        .to_string_lossy()
        .into_owned();
    let mut target = target_dir.join(&name);
    let mut n = 1;
    while target.exists() {
        target = target_dir.join(format!("{n}-{name}"));
        n += 1;
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

/// Ingest one complete file and move it aside. Returns true when every document it
/// made was filed or is in review.
async fn take(app: &App, file: &Path, o: &Options) -> anyhow::Result<bool> {
    let label = file.display().to_string();
    let quiet = ProgressBar::hidden();
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    let files = crate::stack::Files::Paths(vec![file.to_path_buf()]);
    let mut docs = crate::stack::documents(app, &label, files, o.owner.as_ref(), o.split).await;
    while let Some(doc) = docs.next(o.manifest.as_ref()).await {
        match doc {
            Err(why) => problems.push(format!("{label}: {why}")),
            Ok(doc) => {
                let doc_label = doc.label.clone();
                match crate::stack::submit(app, doc, &o.uploader).await {
                    Ok((job_id, _)) => jobs.push((doc_label, job_id)),
                    Err(why) => problems.push(format!("{doc_label}: {why}")),
                }
            }
        }
    }
    for out in ingest::follow(app, jobs, &quiet).await? {
        match out.state.as_str() {
            "done" => println!("filed    {}  document {}", out.label, out.detail),
            "review" => println!("review   {}  job {}: {}", out.label, out.job_id, out.detail),
            _ => problems.push(format!(
                "{}: job {} failed: {}",
                out.label, out.job_id, out.detail
            )),
        }
    }
    if problems.is_empty() {
        let moved = move_to(file, "done")?;
        println!("done     {label} → {}", moved.display());
        Ok(true)
    } else {
        let moved = move_to(file, "failed")?;
        let mut note = moved.clone().into_os_string();
        note.push(".error.txt");
        std::fs::write(&note, problems.join("\n") + "\n")?;
        for p in &problems {
            eprintln!("failed   {p}");
        }
        println!("failed   {label} → {}", moved.display());
        Ok(false)
    }
}

/// Run `kho watch` until SIGINT/SIGTERM (or, with `once`, until what is complete now
/// is taken). Returns how many files failed.
pub async fn run(app: App, o: Options) -> anyhow::Result<usize> {
    anyhow::ensure!(o.dir.is_dir(), "{} is not a folder", o.dir.display());
    let (stop_tx, stop_rx) = signal::channel(false);
    let mut workers = queue::spawn_workers(&app, app.config.worker_count().max(1), stop_rx);
    let stopping = tokio::spawn(crate::server::shutdown_signal());
    println!("watching {} (stop with Ctrl-C)", o.dir.display());
    let mut seen = HashMap::new();
    let mut failed = 0;
    let mut looks = 0;
    loop {
        looks += 1;
        for file in complete(&o.dir, &mut seen, o.settle)? {
            if !take(&app, &file, &o).await? {
                failed += 1;
            }
        }
        // With --once, a second look after --settle-ms finds the files that were
        // already there and did not change.
        if (o.once && (looks >= 2 || o.settle.is_zero())) || stopping.is_finished() {
            break;
        }
        tokio::time::sleep(if o.once { o.settle } else { o.interval }).await;
    }
    let _ = stop_tx.send(true);
    while workers.join_next().await.is_some() {}
    Ok(failed)
}
