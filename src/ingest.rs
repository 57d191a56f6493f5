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

/// Expand folders into their files (sorted by name) and ZIP archives into theirs
/// (unpacked into `unpacked`, in name order), keep files as given.
pub fn expand(paths: &[PathBuf], unpacked: &Unpacked) -> anyhow::Result<Vec<PathBuf>> {
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
        } else if p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            out.extend(unpacked.unzip(p)?);
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

/// A scratch folder for unpacked ZIP batches, removed when dropped.
pub struct Unpacked {
    dir: PathBuf,
    max_entry_bytes: u64,
}

/// At most this many files, and this many bytes unpacked, per ZIP batch.
const ZIP_MAX_ENTRIES: usize = 20_000;
const ZIP_MAX_TOTAL: u64 = 16 << 30;

impl Unpacked {
    pub fn new(max_entry_bytes: u64) -> anyhow::Result<Unpacked> {
        let dir = std::env::temp_dir().join(format!("kho-batch-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        Ok(Unpacked {
            dir,
            max_entry_bytes,
        })
    }

    /// Unpack a ZIP batch file; its files in name order. Refused as a whole, with the reason,
    /// when an entry's name leaves the archive (`..`, absolute paths), an entry or the
    /// total is too large, there are too many entries, or the archive is corrupt.
    fn unzip(&self, zip_path: &Path) -> anyhow::Result<Vec<PathBuf>> {
        let file = std::fs::File::open(zip_path)
            .with_context(|| format!("cannot read {}", zip_path.display()))?;
        self.unpack(file, &zip_path.display().to_string())
    }

    /// Unpack the ZIP `archive` (named `shown` in errors), as [`Unpacked::unzip`] does a
    /// file: an uploaded ZIP batch.
    pub fn unpack<R: std::io::Read + std::io::Seek>(
        &self,
        archive: R,
        shown: &str,
    ) -> anyhow::Result<Vec<PathBuf>> {
        use std::io::Read;
        let mut archive = zip::ZipArchive::new(archive)
            .with_context(|| format!("{shown}: not a readable ZIP"))?;
        anyhow::ensure!(
            archive.len() <= ZIP_MAX_ENTRIES,
            "{shown}: {} entries, at most {ZIP_MAX_ENTRIES}",
            archive.len()
        );
        let root = self.dir.join(uuid::Uuid::new_v4().to_string());
        let mut out = Vec::new();
        let mut total = 0u64;
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .with_context(|| format!("{shown}: entry {i} is corrupt"))?;
            let name: String = entry
                .name()
                .map(|n| n.into_owned())
                .with_context(|| format!("{shown}: entry {i} has an unreadable name"))?;
            let Some(relative) = entry.enclosed_name().map(|p| p.to_path_buf()) else {
                bail!("{shown}: entry {name:?} would be written outside the batch; refused");
            };
            if entry.is_dir() {
                continue;
            }
            let target = root.join(&relative);
            if is_sidecar(&target)
                || relative
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            // Read at most one byte past the limit: the declared size can lie.
            let mut bytes = Vec::new();
            (&mut entry)
                .take(self.max_entry_bytes + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("{shown}: entry {name:?} is corrupt"))?;
            anyhow::ensure!(
                bytes.len() as u64 <= self.max_entry_bytes,
                "{shown}: entry {name:?} unpacks to more than {} bytes",
                self.max_entry_bytes
            );
            total += bytes.len() as u64;
            anyhow::ensure!(
                total <= ZIP_MAX_TOTAL,
                "{shown}: unpacks to more than {ZIP_MAX_TOTAL} bytes"
            );
            std::fs::create_dir_all(target.parent().expect("under root"))?;
            std::fs::write(&target, bytes)?;
            out.push(target);
        }
        out.sort();
        Ok(out)
    }
}

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Ground-truth and metadata files that sit beside sample scans.
fn is_sidecar(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e == "txt" || e == "csv" || e == "json")
}

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

/// One document to submit: a label for people, its owner (if known), its files, and
/// what the manifest says about it.
pub struct Doc {
    pub label: String,
    pub owner: Option<SubjectId>,
    pub files: Vec<Incoming>,
    pub entry: Option<crate::manifest::Entry>,
}

/// Read a manifest file.
pub fn read_manifest(path: &Path) -> anyhow::Result<crate::manifest::Manifest> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= 16 << 20,
        "{}: a manifest is at most 16 MiB",
        path.display()
    );
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    crate::manifest::Manifest::parse(&bytes).map_err(anyhow::Error::msg)
}

/// Read files from disk as intake takes them.
pub async fn read_files(paths: &[PathBuf]) -> anyhow::Result<Vec<Incoming>> {
    let mut incoming = Vec::new();
    for path in paths {
        let bytes = tokio::fs::read(path)
            .await
            .with_context(|| format!("cannot read {}", path.display()))?;
        incoming.push(Incoming {
            filename: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            bytes: Bytes::from(bytes),
        });
    }
    Ok(incoming)
}

/// The files of one group: on disk (a stack is then read as it is cut, never whole),
/// or already in memory (an upload).
pub enum Files {
    Paths(Vec<PathBuf>),
    Memory(Vec<Incoming>),
}

impl Files {
    fn name(&self) -> String {
        match self {
            Files::Paths(p) => p
                .first()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned()),
            Files::Memory(m) => m.first().and_then(|f| f.filename.clone()),
        }
        .unwrap_or_default()
    }
}

/// A piece of a group before the manifest is applied: the file's pages (1-based,
/// first and last) when it is a part of a stack.
struct Piece {
    owner: Option<SubjectId>,
    pages: Option<(usize, usize)>,
    files: Vec<Incoming>,
}

/// The documents a group of files makes, in order ([`documents`]): each arrives as
/// soon as it is cut, so a long stack's first documents are submitted while the rest
/// is still being read, and memory holds a document or two, never the whole stack.
pub struct Documents {
    rx: tokio::sync::mpsc::Receiver<Result<Piece, String>>,
    label: String,
    name: String,
}

impl Documents {
    /// The next document, with what the manifest says about it (a row for the file,
    /// or for the part's pages, gives its owner and fields); `Err` says why the group
    /// (or the rest of the stack) could not be read — the documents before it stand.
    pub async fn next(
        &mut self,
        manifest: Option<&crate::manifest::Manifest>,
    ) -> Option<Result<Doc, String>> {
        let piece = match self.rx.recv().await? {
            Ok(p) => p,
            Err(why) => return Some(Err(why)),
        };
        let entry = manifest
            .and_then(|m| m.find(&self.name, piece.pages))
            .cloned();
        let label = match piece.pages {
            Some((first, last)) => format!("{} pages {first}-{last}", self.label),
            None => self.label.clone(),
        };
        Some(Ok(Doc {
            label,
            owner: entry.as_ref().and_then(|e| e.owner.clone()).or(piece.owner),
            files: piece.files,
            entry,
        }))
    }
}

/// The documents a group of files makes: itself, or with `split` each part of the
/// stack (the group's one file) cut at its separator sheets.
pub async fn documents(
    app: &App,
    label: &str,
    files: Files,
    owner: Option<&SubjectId>,
    split: bool,
) -> Documents {
    let name = files.name();
    // One cut document waits here while the next is read.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let out = Documents {
        rx,
        label: label.to_owned(),
        name,
    };
    if !split {
        let files = match files {
            Files::Paths(p) => read_files(&p).await.map_err(|e| format!("{e:#}")),
            Files::Memory(m) => Ok(m),
        };
        let piece = files.map(|files| Piece {
            owner: owner.cloned(),
            pages: None,
            files,
        });
        let _ = tx.send(piece).await;
        return out;
    }
    let fallback = owner.cloned();
    let limits = app.config.pipeline().limits;
    let reader = crate::separator::Reader {
        key: app.keys.sheet_key(),
        accept_v1: app.config.accept_unsigned_separators,
    };
    tokio::task::spawn_blocking(move || {
        let deliver = |cut: crate::separator::Cut| {
            let pages = &cut.part.pages;
            let piece = Piece {
                pages: Some((pages[0] + 1, pages[pages.len() - 1] + 1)),
                owner: cut.part.owner,
                files: cut.files,
            };
            tx.blocking_send(Ok(piece))
                .map_err(|_| kho_workers::PipelineError::Corrupt("the batch was abandoned".into()))
        };
        let fallback = fallback.as_ref();
        let cut = match files {
            Files::Paths(p) => match p.first().map(std::fs::File::open) {
                Some(Ok(file)) => {
                    let src = std::io::BufReader::new(file);
                    crate::separator::cut_stack(src, fallback, &limits, &reader, deliver)
                        .map_err(|e| e.to_string())
                }
                Some(Err(e)) => Err(format!("cannot read {}: {e}", p[0].display())),
                None => Err("an empty group".into()),
            },
            Files::Memory(mut m) if !m.is_empty() => {
                let src = std::io::Cursor::new(m.remove(0).bytes);
                crate::separator::cut_stack(src, fallback, &limits, &reader, deliver)
                    .map_err(|e| e.to_string())
            }
            Files::Memory(_) => Err("an empty group".into()),
        };
        if let Err(why) = cut {
            let _ = tx.blocking_send(Err(why));
        }
    });
    out
}

/// Submit a document once ([`intake::submit_once`]): its job id and whether it had
/// been submitted before, or why it is refused.
pub async fn submit(
    app: &App,
    doc: Doc,
    uploader: &crate::domain::Uploader,
) -> Result<(String, bool), String> {
    let Some(owner) = doc.owner else {
        return Err("no owner (pages before the first separator sheet; give --owner)".into());
    };
    intake::submit_once(app, &owner, doc.files, uploader, doc.entry.as_ref())
        .await
        .map(|c| (c.job_id, c.existing))
        .map_err(|e| match e {
            // The cause goes to the log, never into a batch's report.
            intake::IntakeError::Internal(cause) => {
                tracing::error!(error = ?cause, label = %doc.label, "submitting a document");
                "an internal error stopped this document; it is in the server's log".into()
            }
            other => other.to_string(),
        })
}

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
        let mut docs = self::documents(&app, &label, files, owner, split).await;
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
