//! Bulk-ingest benchmark: `kho ingest STACK --split --wait` over a generated multi-page
//! TIFF stack (every tenth page a separator sheet for a new owner, every tenth a blank
//! page, the rest scanned sample pages), at several stack sizes. For each size it
//! prints pages per second and the ingest process's peak resident memory (wait4's
//! ru_maxrss: Kho's workers run Tesseract in-process, so this is the whole cost) and the
//! highest resident set sampled in each quarter of the run (level if memory does not grow
//! as the batch goes on); for
//! the largest it also runs plain `tesseract` over the same pages, in the same run, on
//! the same cores, and prints the ratio.
//!
//!     cargo bench --bench stack                     # KHO_BENCH_STACKS=250,1000
//!
//! Not a test: no assertion on time or memory, only figures.

use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

const SAMPLES: &[&str] = &["straight-01.png", "skew3-01.png", "rot180-01.png"];
/// Pages per document: a separator sheet, eight scanned pages, a blank page.
const PER_DOCUMENT: usize = 10;

fn main() -> anyhow::Result<()> {
    kho::ocr_env::ensure_single_threaded_tesseract()?;
    let sizes: Vec<usize> = std::env::var("KHO_BENCH_STACKS")
        .unwrap_or_else(|_| "250,1000".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let samples_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/pages");
    let samples: Vec<image::GrayImage> = SAMPLES
        .iter()
        .map(|f| Ok(image::open(samples_dir.join(f))?.to_luma8()))
        .collect::<anyhow::Result<_>>()?;
    println!("{cores} cores, OMP_THREAD_LIMIT=1, {PER_DOCUMENT} pages per document");
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for &n in &sizes {
        let tmp = tempfile::tempdir()?;
        let pages_dir = tmp.path().join("pages");
        std::fs::create_dir(&pages_dir)?;
        let stack = tmp.path().join("stack.tif");
        // The deployment's KEK, made before it first starts, so the sheets carry its MAC.
        let (kek, _) =
            kho::signing::kek::Kek::load(None, &tmp.path().join("data").join("kek.key"), true)?;
        let key = kho::separator::SheetKey::from_kek(&kek);
        let files = write_stack(&stack, &pages_dir, n, &samples, &key, n == largest)?;
        let stack_mb = std::fs::metadata(&stack)?.len() as f64 / 1e6;
        let report = tmp.path().join("report.json");
        let start = Instant::now();
        let (ok, peak_kib, samples) = run_measured(
            std::process::Command::new(env!("CARGO_BIN_EXE_kho"))
                .arg("--data-dir")
                .arg(tmp.path().join("data"))
                .args(["--workers", &cores.to_string(), "ingest"])
                .arg(&stack)
                .args(["--split", "--wait", "--report"])
                .arg(&report)
                .env("OMP_THREAD_LIMIT", "1")
                .stdout(std::process::Stdio::null()),
        )?;
        let secs = start.elapsed().as_secs_f64();
        anyhow::ensure!(ok, "kho ingest failed on the {n}-page stack");
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report)?)?;
        let t = &r["totals"];
        println!(
            "{n:5} pages ({stack_mb:.0} MB TIFF): {} documents ({} filed, {} review, {} failed), {} content pages; \
             kho {:.3} pages/s ({secs:.1} s); peak RSS {:.0} MiB (peak by quarter of the run: {} MiB)",
            t["documents"],
            t["filed"],
            t["review"],
            t["failed"],
            t["pages"],
            n as f64 / secs,
            peak_kib as f64 / 1024.0,
            quarters(&samples),
        );
        if n == largest {
            let tess = common::run_tesseract(&files, cores)?;
            println!(
                "{n:5} pages: tesseract CLI pdf {:.3} pages/s ({tess:.1} s); ratio kho/tesseract {:.2}",
                n as f64 / tess,
                tess / secs
            );
        }
    }
    Ok(())
}

/// Write an `n`-page stack as one multi-page Deflate TIFF; with `keep`, also each page
/// as its own PNG (for plain tesseract), returning their paths in order.
fn write_stack(
    path: &Path,
    pages_dir: &Path,
    n: usize,
    samples: &[image::GrayImage],
    key: &kho::separator::SheetKey,
    keep: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    use tiff::encoder::{Compression, DeflateLevel, Rational, TiffEncoder, colortype};
    let out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = TiffEncoder::new(out)?.with_compression(Compression::Deflate(DeflateLevel::Fast));
    let blank = image::GrayImage::from_pixel(1240, 1754, image::Luma([246]));
    let mut files = Vec::new();
    for i in 0..n {
        let doc = i / PER_DOCUMENT;
        let (page, dpi): (image::GrayImage, u32) = match i % PER_DOCUMENT {
            0 => {
                // A new owner per document: equal pages for one owner would be filed once.
                let owner = format!("001203{:06}", doc);
                let sep = kho::separator::Separator {
                    owner: kho::domain::SubjectId::parse(&owner).map_err(anyhow::Error::msg)?,
                    doc_type: None,
                };
                (
                    kho::separator::sheet(&sep, key).map_err(anyhow::Error::msg)?,
                    150,
                )
            }
            9 => (blank.clone(), 150),
            k => (samples[(doc + k) % samples.len()].clone(), 300),
        };
        let mut img = enc.new_image::<colortype::Gray8>(page.width(), page.height())?;
        img.resolution(tiff::tags::ResolutionUnit::Inch, Rational { n: dpi, d: 1 });
        img.write_data(page.as_raw())?;
        if keep {
            let f = pages_dir.join(format!("p{i:05}.png"));
            page.save(&f)?;
            files.push(f);
        }
    }
    Ok(files)
}

/// Resident set samples: seconds since start, KiB.
type RssSamples = Vec<(f64, u64)>;

/// Run a command to its end: whether it succeeded, its peak resident set in KiB, and
/// its resident set sampled every 200 ms.
fn run_measured(cmd: &mut std::process::Command) -> anyhow::Result<(bool, i64, RssSamples)> {
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let sampler = std::thread::spawn(move || {
        let start = Instant::now();
        let mut samples = Vec::new();
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            else {
                break; // exited: a zombie has no memory
            };
            samples.push((start.elapsed().as_secs_f64(), kib));
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        samples
    });
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    anyhow::ensure!(r == pid, "wait4: {}", std::io::Error::last_os_error());
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let samples = sampler.join().unwrap_or_default();
    Ok((ok, usage.ru_maxrss, samples))
}

/// The highest sampled resident set in each quarter of the run, in MiB: level when memory
/// does not grow as the batch goes on.
fn quarters(samples: &[(f64, u64)]) -> String {
    let end = samples.last().map_or(0.0, |s| s.0).max(1e-9);
    let mut peak = [0u64; 4];
    for &(t, kib) in samples {
        let q = ((t / end * 4.0) as usize).min(3);
        peak[q] = peak[q].max(kib);
    }
    peak.iter()
        .map(|k| format!("{:.0}", *k as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(" / ")
}
