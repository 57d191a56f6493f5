//! Throughput benchmark: Kho's whole pipeline (intake → queue → decode → OCR → PDF →
//! object store → filed document) against plain `tesseract` CLI making a searchable PDF
//! of the same pages on the same cores, in one run. Prints pages per second and the ratio.
//!
//!     cargo bench --bench throughput            # KHO_BENCH_PAGES=12 by default
//!
//! Both sides run Tesseract single-threaded (OMP_THREAD_LIMIT=1) with one page per core
//! at a time. Then Kho's time per stage (thread seconds summed over the pages, from the
//! same run: decode, deskew, rotate, clean, OCR, OSD, re-reads, encode, extract, PDF,
//! sign, store, database). Not a test: no assertion on time, only figures.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;

mod common;
use common::run_tesseract;

const SAMPLES: &[&str] = &["straight-01.png", "jpeg-01.jpg", "skew3-01.png"];

fn main() -> anyhow::Result<()> {
    kho::ocr_env::ensure_single_threaded_tesseract()?;
    let pages: usize = std::env::var("KHO_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/pages");
    let files: Vec<PathBuf> = (0..pages)
        .map(|i| dir.join(SAMPLES[i % SAMPLES.len()]))
        .collect();
    let input_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!(
        "{pages} pages ({} MB), {cores} cores, OMP_THREAD_LIMIT=1",
        input_bytes / 1_000_000
    );

    let (kho_secs, pdf_bytes, stages) =
        tokio::runtime::Runtime::new()?.block_on(run_kho(&files, cores))?;
    let tess_secs = run_tesseract(&files, cores)?;

    let kho_rate = pages as f64 / kho_secs;
    let tess_rate = pages as f64 / tess_secs;
    println!("kho pipeline     : {kho_rate:6.3} pages/s ({kho_secs:.1} s)");
    println!("tesseract CLI pdf: {tess_rate:6.3} pages/s ({tess_secs:.1} s)");
    println!("ratio kho/tesseract: {:.2}", kho_rate / tess_rate);
    println!(
        "output/input bytes: {:.2} ({pdf_bytes} / {input_bytes})",
        pdf_bytes as f64 / input_bytes as f64
    );
    print_stages(&stages, pages, kho_secs * cores as f64);
    Ok(())
}

/// The per-stage table: thread seconds, per page, and share of the workers' capacity
/// (wall time × cores).
fn print_stages(stages: &[(&'static str, f64, u64)], pages: usize, capacity: f64) {
    println!("stage      thread-s   ms/page  share of {capacity:.1} worker-s");
    let order = [
        "decode", "deskew", "rotate", "clean", "ocr", "osd", "reread", "encode", "extract", "pdf",
        "sign", "store", "database",
    ];
    let mut accounted = 0.0;
    for name in order {
        let Some((_, secs, _)) = stages.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        accounted += secs;
        println!(
            "{name:<9} {secs:9.2} {:9.1} {:9.1} %",
            1000.0 * secs / pages as f64,
            100.0 * secs / capacity
        );
    }
    println!(
        "{:<9} {:9.2} {:9.1} {:9.1} %",
        "other",
        (capacity - accounted).max(0.0),
        1000.0 * (capacity - accounted).max(0.0) / pages as f64,
        100.0 * (capacity - accounted).max(0.0) / capacity
    );
}

/// Kho end to end: seconds, PDF bytes, and the stage totals its metrics counted.
type KhoRun = (f64, u64, Vec<(&'static str, f64, u64)>);

async fn run_kho(files: &[PathBuf], cores: usize) -> anyhow::Result<KhoRun> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().display().to_string();
    let workers = cores.to_string();
    let cli = kho::cli::Cli::try_parse_from([
        "kho",
        "--data-dir",
        &data,
        "--workers",
        &workers,
        "--job-poll-ms",
        "20",
        "migrate",
    ])?;
    let app = kho::App::open(cli.config).await?;
    let owner = kho::domain::SubjectId::parse("001203004567").map_err(anyhow::Error::msg)?;
    let start = Instant::now();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut set = kho::queue::spawn_workers(&app, cores, rx);
    let mut jobs = Vec::new();
    let operator = kho::domain::Uploader::operator(&app.config.agencies.0[0].code);
    for f in files {
        let bytes = bytes::Bytes::from(std::fs::read(f)?);
        let incoming = kho::intake::Incoming {
            filename: None,
            bytes,
        };
        jobs.push(
            kho::intake::submit(&app, &owner, vec![incoming], &operator)
                .await?
                .job_id,
        );
    }
    let mut pdf_bytes = 0u64;
    for id in &jobs {
        loop {
            let (job, _) = kho::db::jobs::get(&app.db, id).await?.expect("job exists");
            match job.state.as_str() {
                "done" => {
                    let doc = kho::db::documents::get(&app.db, job.document_id.as_deref().unwrap())
                        .await?
                        .unwrap();
                    pdf_bytes += doc.pdf_bytes as u64;
                    break;
                }
                "review" => {
                    let review = kho::db::reviews::for_job(&app.db, id).await?.unwrap();
                    pdf_bytes += review.draft.pdf_bytes as u64;
                    break;
                }
                "failed" => anyhow::bail!("job failed: {:?}", job.error),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = stop.send(true);
    while set.join_next().await.is_some() {}
    Ok((secs, pdf_bytes, app.metrics.stage_totals()))
}
