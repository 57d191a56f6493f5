//! Accuracy report over a folder of pages with ground truth (as `samples/generate.py`
//! writes them: `NAME.png|jpg` + `NAME.gt.txt` + `NAME.fields.txt`).
//!
//!     cargo run --release -p kho-workers --example accuracy -- DIR [--threads N]
//!
//! Per page and in total: character and word error rate of the PDF's text layer (through
//! `pdftotext`), and the deskew error against the generator's true tilt.

use std::path::{Path, PathBuf};

use kho_workers::measure::{cer, pdftotext, wer};
use kho_workers::{Pipeline, PipelineConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().expect("usage: accuracy DIR [--threads N]"));
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let pipeline = Pipeline::new(PipelineConfig {
        threads,
        ..Default::default()
    })
    .unwrap();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("png" | "jpg" | "tif")
            )
        })
        .collect();
    pages.sort();
    let (mut char_edits, mut chars, mut word_edits, mut words) = (0.0, 0.0, 0.0, 0.0);
    let mut skew_errors = Vec::new();
    println!(
        "{:<22} {:>7} {:>7} {:>8} {:>8} {:>6}",
        "page", "CER", "WER", "skew", "error", "turn"
    );
    for page in &pages {
        let truth = std::fs::read_to_string(page.with_extension("gt.txt")).unwrap_or_default();
        let fields = read_fields(&page.with_extension("fields.txt"));
        let out = pipeline
            .process(&[&std::fs::read(page).unwrap()], None)
            .unwrap();
        let text = pdftotext(&out.pdf, &[]).unwrap();
        let c = cer(&truth, &text);
        let n = truth
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .count() as f64;
        char_edits += c * n;
        chars += n;
        let w = wer(&truth, &text);
        let nw = truth.split_whitespace().count() as f64;
        word_edits += w * nw;
        words += nw;
        let report = &out.pages[0];
        let err = fields
            .get("skew_ccw")
            .map(|t| (report.skew_deg - t.parse::<f32>().unwrap()).abs());
        if let Some(e) = err {
            skew_errors.push(e);
        }
        println!(
            "{:<22} {:>6.2}% {:>6.2}% {:>8.2} {:>8} {:>6}",
            page.file_name().unwrap().to_string_lossy(),
            c * 100.0,
            w * 100.0,
            report.skew_deg,
            err.map(|e| format!("{e:.3}")).unwrap_or_default(),
            report.rotation_deg
        );
    }
    skew_errors.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p95 = skew_errors
        .get(((skew_errors.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
        .copied();
    println!(
        "TOTAL {} pages: CER {:.2}%  WER {:.2}%  deskew error p95 {}",
        pages.len(),
        100.0 * char_edits / chars.max(1.0),
        100.0 * word_edits / words.max(1.0),
        p95.map(|e| format!("{e:.3}°")).unwrap_or("-".into())
    );
}

fn read_fields(p: &Path) -> std::collections::HashMap<String, String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}
