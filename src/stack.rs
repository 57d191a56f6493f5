//! A stack of scanned files becomes documents: files read from disk or from an upload,
//! ZIPs unpacked (bounded), each file one document or, with separator sheets, a stack
//! cut at them (the sheet names the owner and type), manifest rows applied, and each
//! document submitted once through the intake ([`crate::intake`]). The command line
//! (`kho ingest`, `kho watch`) and the batch API use it alike; the progress bar is the
//! command line's.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bytes::Bytes;

use crate::app::App;
use crate::domain::SubjectId;
use crate::intake::{self, Incoming};

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
