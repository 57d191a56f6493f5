//! What Kho makes of a folder of arbitrary files — PDFs from anywhere, images of any
//! kind — the way a records office's shared drive holds them (issue 17).
//!
//!     OMP_THREAD_LIMIT=1 cargo run --release -p kho-workers --example intake_report -- DIR [--threads N]
//!
//! Per file: the outcome (`filed`; `held` with the quality gate's reasons; `refused` with
//! the reason, at the door by the header check or while decoding), pages, the
//! reading-order-free CER when `NAME.gt.txt` sits beside it, the time, and the process's
//! peak resident memory while that file was read (Linux: the peak is reset between files
//! through /proc/self/clear_refs). Then the totals. Not a test: figures, no assertions.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kho_workers::gate::{GateConfig, review_reasons};
use kho_workers::measure::{cer_any_order, pdftotext};
use kho_workers::{Pipeline, PipelineConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .expect("usage: intake_report DIR [--threads N]"),
    );
    let threads: usize = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let pipeline = Pipeline::new(PipelineConfig {
        threads,
        ..Default::default()
    })
    .expect("Tesseract starts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("DIR is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".txt"))
        .collect();
    files.sort();
    println!(
        "{:<34} {:<8} {:>5} {:>7} {:>8} {:>8}  reason",
        "file", "outcome", "pages", "CER %", "seconds", "peak MB"
    );
    let (mut filed, mut held, mut refused, mut worst_peak) = (0, 0, 0, 0u64);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        reset_peak();
        let started = Instant::now();
        let (outcome, pages, cer, reason) =
            match kho_workers::decode::probe(&bytes, &Default::default()) {
                Err(e) => ("refused", 0, None, e.to_string()),
                Ok(_) => match pipeline.process(&[&bytes], None) {
                    Err(e) => ("refused", 0, None, e.to_string()),
                    Ok(out) => {
                        let reasons: Vec<String> = review_reasons(&out, &GateConfig::default())
                            .into_iter()
                            .map(|r| r.code)
                            .collect();
                        let cer = truth_of(path).map(|t| {
                            cer_any_order(&t, &pdftotext(&out.pdf, &[]).unwrap_or_default()) * 100.0
                        });
                        let outcome = if reasons.is_empty() { "filed" } else { "held" };
                        (outcome, out.pages.len(), cer, reasons.join(", "))
                    }
                },
            };
        let seconds = started.elapsed().as_secs_f64();
        let peak = peak_mb();
        worst_peak = worst_peak.max(peak);
        match outcome {
            "filed" => filed += 1,
            "held" => held += 1,
            _ => refused += 1,
        }
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "{:<34} {:<8} {:>5} {:>7} {:>8.2} {:>8}  {}",
            name,
            outcome,
            pages,
            cer.map_or("-".into(), |c| format!("{c:.2}")),
            seconds,
            peak,
            reason
        );
    }
    println!(
        "\n{} files: {filed} filed, {held} held for review, {refused} refused; peak RSS {worst_peak} MB",
        files.len()
    );
}

/// `NAME.gt.txt` beside `NAME.ext`.
fn truth_of(path: &Path) -> Option<String> {
    std::fs::read_to_string(path.with_extension("gt.txt")).ok()
}

/// Reset the peak resident set (VmHWM) to the current size (Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// VmHWM of this process, in MB.
fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
