//! What the benchmarks share: plain `tesseract` over the same pages, as the comparison.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Seconds plain `tesseract FILE OUT -l vie+eng pdf` takes over `files`, `cores` pages
/// at a time, each single-threaded (OMP_THREAD_LIMIT=1).
pub fn run_tesseract(files: &[PathBuf], cores: usize) -> anyhow::Result<f64> {
    let tmp = tempfile::tempdir()?;
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..cores {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(f) = files.get(i) else { break };
                    let out = tmp.path().join(format!("p{i}"));
                    let status = std::process::Command::new("tesseract")
                        .arg(f)
                        .arg(&out)
                        .args(["-l", "vie+eng", "pdf"])
                        .env("OMP_THREAD_LIMIT", "1")
                        .stderr(std::process::Stdio::null())
                        .status()
                        .expect("tesseract runs");
                    assert!(status.success());
                }
            });
        }
    });
    Ok(start.elapsed().as_secs_f64())
}
