//! Accuracy and speed report over a folder of pages with ground truth (as
//! `samples/generate.py` writes them: `NAME.png|jpg` + `NAME.gt.txt` + `NAME.fields.txt`),
//! for Kho's pipeline and, in the same run on the same pages and cores, plain
//! `tesseract` and `ocrmypdf --deskew --rotate-pages -l vie`.
//!
//!     cargo run --release -p kho-workers --example evaluate -- DIR [--threads N] [--only kho]
//!         [--tesseract-lang vie] [--dump OUT_DIR]
//!
//! Per page and in total: character and word error rate (Kho and OCRmyPDF through
//! `pdftotext` on their PDFs, Tesseract from its text output), the deskew error against
//! the generator's true tilt and whether the quarter turn was found (Kho), then pages per
//! second for each with the ratio to Tesseract. Every engine runs Tesseract single-
//! threaded with `threads` pages at a time. `scripts/bench.sh` installs OCRmyPDF (for
//! measuring only) and runs this. Not a test: figures, no assertions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kho_workers::extract::Fields;
use kho_workers::gate::{GateConfig, review_reasons};
use kho_workers::measure::{cer, cer_any_order, pdftotext, wer};
use kho_workers::{Pipeline, PipelineConfig};

/// What one engine made of one page.
#[derive(Default, Clone)]
struct PageResult {
    text: String,
    skew_deg: Option<f32>,
    turn_deg: Option<u32>,
    output_bytes: u64,
    /// Kho only: the fields found and the gate's reasons to hold the page.
    fields: Option<Fields>,
    held: Vec<String>,
    /// Kho only: every word read, `confidence<TAB>left<TAB>top<TAB>height<TAB>text`, one per line.
    words: String,
}

/// A page whose reading-order-free CER passes this is counted as lost.
const LOST_ABOVE: f64 = 0.25;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .expect("usage: evaluate DIR [--threads N] [--only kho|tesseract|ocrmypdf]"),
    );
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let threads: usize = opt("--threads").and_then(|n| n.parse().ok()).unwrap_or(2);
    let only = opt("--only").cloned();
    // libgomp reads this when Tesseract loads: one thread per page, pages in parallel.
    assert_eq!(
        std::env::var("OMP_THREAD_LIMIT").as_deref(),
        Ok("1"),
        "run with OMP_THREAD_LIMIT=1"
    );
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("DIR is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("png" | "jpg" | "tif" | "pdf")
            )
        })
        .collect();
    pages.sort();
    let input_bytes: u64 = pages
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    println!(
        "{} pages in {} ({:.1} MB), {threads} at a time, OMP_THREAD_LIMIT=1\n",
        pages.len(),
        dir.display(),
        input_bytes as f64 / 1e6
    );

    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let mut rates: Vec<(&str, f64)> = Vec::new();
    let mut engines: Vec<(&str, Engine)> = vec![("kho", kho_page)];
    engines.push(("tesseract", tesseract_page));
    if which("ocrmypdf") {
        engines.push(("ocrmypdf", ocrmypdf_page));
    } else if wanted("ocrmypdf") {
        println!("ocrmypdf: not installed (scripts/bench.sh installs it); skipped\n");
    }
    let ctx = Ctx {
        pipeline: Pipeline::new(PipelineConfig {
            // Pages of one document share the pool; documents run `threads` at a time.
            threads,
            languages: opt("--kho-lang").cloned().unwrap_or_else(|| "vie".into()),
            ..Default::default()
        })
        .expect("pipeline starts"),
        tmp: tempfile::tempdir().expect("temp dir"),
        tesseract_languages: opt("--tesseract-lang")
            .cloned()
            .unwrap_or_else(|| "vie".into()),
    };
    for (name, run) in engines {
        if !wanted(name) {
            continue;
        }
        let (results, secs) = run_all(&pages, threads, |p| run(p, &ctx));
        // `--dump DIR`: each engine's text per page, to read beside the truth.
        if let Some(dump) = opt("--dump") {
            std::fs::create_dir_all(dump).expect("dump folder");
            for (p, r) in pages.iter().zip(&results) {
                let stem = p.file_stem().unwrap().to_string_lossy();
                std::fs::write(Path::new(dump).join(format!("{stem}.{name}.txt")), &r.text)
                    .expect("dump written");
                if !r.words.is_empty() {
                    let words = Path::new(dump).join(format!("{stem}.{name}.words.tsv"));
                    std::fs::write(words, &r.words).expect("dump written");
                }
            }
        }
        report(name, &pages, &results, input_bytes);
        let rate = pages.len() as f64 / secs;
        println!("{name}: {rate:.3} pages/s ({secs:.1} s)\n");
        rates.push((name, rate));
    }
    if let Some(&(_, base)) = rates.iter().find(|(n, _)| *n == "tesseract") {
        for (name, rate) in &rates {
            println!(
                "speed {name:<10} {rate:6.3} pages/s   ratio to tesseract {:.2}",
                rate / base
            );
        }
    }
}

/// Reads one page the way one engine does.
type Engine = fn(&Path, &Ctx) -> PageResult;

struct Ctx {
    pipeline: Pipeline,
    /// Languages for plain tesseract (`--tesseract-lang`, `vie+eng` by default).
    tesseract_languages: String,
    tmp: tempfile::TempDir,
}

/// Run `f` over every page, `threads` pages at a time; the results in page order and
/// the wall-clock seconds.
fn run_all(
    pages: &[PathBuf],
    threads: usize,
    f: impl Fn(&Path) -> PageResult + Sync,
) -> (Vec<PageResult>, f64) {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![PageResult::default(); pages.len()]);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = pages.get(i) else { break };
                    let r = f(p);
                    results.lock().unwrap()[i] = r;
                }
            });
        }
    });
    (results.into_inner().unwrap(), start.elapsed().as_secs_f64())
}

fn kho_page(page: &Path, ctx: &Ctx) -> PageResult {
    let bytes = std::fs::read(page).unwrap();
    let out = ctx.pipeline.process(&[&bytes], None).unwrap();
    let held = review_reasons(&out, &GateConfig::default())
        .into_iter()
        .map(|r| r.code + r.field.map(|f| format!(":{f}")).as_deref().unwrap_or(""))
        .collect();
    PageResult {
        text: pdftotext(&out.pdf, &[]).unwrap(),
        skew_deg: Some(out.pages[0].skew_deg),
        turn_deg: Some(out.pages[0].rotation_deg),
        output_bytes: out.pdf.len() as u64,
        fields: Some(out.fields),
        held,
        words: out
            .page_texts
            .iter()
            .flat_map(|t| &t.lines)
            .flat_map(|l| &l.words)
            .map(|w| {
                format!(
                    "{:.0}\t{}\t{}\t{}\t{}\n",
                    w.confidence, w.left, w.top, w.height, w.text
                )
            })
            .collect(),
    }
}

fn tesseract_page(page: &Path, ctx: &Ctx) -> PageResult {
    let base = ctx
        .tmp
        .path()
        .join(format!("t-{}", page.file_stem().unwrap().to_string_lossy()));
    // The same work as Kho's output: a searchable PDF (and the text, for the CER).
    let status = Command::new("tesseract")
        .arg(page)
        .arg(&base)
        .args(["-l", &ctx.tesseract_languages, "pdf", "txt"])
        .stderr(Stdio::null())
        .status()
        .expect("tesseract runs");
    assert!(status.success(), "tesseract failed on {}", page.display());
    let pdf = base.with_extension("pdf");
    PageResult {
        text: std::fs::read_to_string(base.with_extension("txt")).unwrap_or_default(),
        output_bytes: std::fs::metadata(&pdf).map_or(0, |m| m.len()),
        ..Default::default()
    }
}

fn ocrmypdf_page(page: &Path, ctx: &Ctx) -> PageResult {
    let out = ctx.tmp.path().join(format!(
        "o-{}.pdf",
        page.file_stem().unwrap().to_string_lossy()
    ));
    let mut cmd = Command::new("ocrmypdf");
    cmd.args(["--deskew", "--rotate-pages", "-l", "vie", "--jobs", "1"]);
    if let Some(dpi) = read_fields(&page.with_extension("fields.txt")).get("dpi") {
        cmd.args(["--image-dpi", dpi]);
    }
    let status = cmd
        .arg(page)
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("ocrmypdf runs");
    if !status.success() {
        eprintln!("ocrmypdf failed on {}", page.display());
        return PageResult::default();
    }
    let pdf = std::fs::read(&out).unwrap_or_default();
    PageResult {
        text: pdftotext(&pdf, &[]).unwrap_or_default(),
        output_bytes: pdf.len() as u64,
        ..Default::default()
    }
}

fn report(name: &str, pages: &[PathBuf], results: &[PageResult], input_bytes: u64) {
    println!(
        "{name}\n{:<22} {:>7} {:>7} {:>7} {:>8} {:>8} {:>5} {:>5}",
        "page", "CER", "CER-ro", "WER", "skew", "error", "turn", "true"
    );
    let (mut char_edits, mut chars, mut word_edits, mut words) = (0.0, 0.0, 0.0, 0.0);
    let (mut free_edits, mut free_chars, mut lost, mut upright_turned) = (0.0, 0.0, 0, 0);
    let mut tally = FieldTally::default();
    let mut skew_errors = Vec::new();
    let (mut turns_right, mut turned_pages) = (0, 0);
    let mut output_bytes = 0;
    for (page, r) in pages.iter().zip(results) {
        let truth = std::fs::read_to_string(page.with_extension("gt.txt")).unwrap_or_default();
        let fields = read_fields(&page.with_extension("fields.txt"));
        let c = cer(&truth, &r.text);
        let free = cer_any_order(&truth, &r.text);
        let n = truth
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .count() as f64;
        char_edits += c * n;
        chars += n;
        // Both rates over the same count: the truth's characters, spaces inside lines
        // included (the free rate does not count line breaks).
        let line_chars: f64 = truth
            .lines()
            .map(|l| {
                l.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .count() as f64
            })
            .sum();
        free_edits += free * line_chars;
        free_chars += line_chars;
        if free > LOST_ABOVE {
            lost += 1;
        }
        let w = wer(&truth, &r.text);
        let nw = truth.split_whitespace().count() as f64;
        word_edits += w * nw;
        words += nw;
        output_bytes += r.output_bytes;
        let true_skew = fields.get("skew_ccw").and_then(|t| t.parse::<f32>().ok());
        let err = r.skew_deg.zip(true_skew).map(|(s, t)| (s - t).abs());
        if let Some(e) = err {
            skew_errors.push(e);
        }
        let true_turn: u32 = fields
            .get("turn_ccw")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if let Some(t) = r.turn_deg {
            turned_pages += 1;
            if t == true_turn {
                turns_right += 1;
            }
            if true_turn == 0 && t != 0 {
                upright_turned += 1;
            }
        }
        let wrong = r
            .fields
            .as_ref()
            .map(|f| tally.add(f, &fields, &r.held))
            .unwrap_or_default();
        println!(
            "{:<22} {:>6.2}% {:>6.2}% {:>6.2}% {:>8} {:>8} {:>5} {:>5} {}",
            page.file_name().unwrap().to_string_lossy(),
            c * 100.0,
            free * 100.0,
            w * 100.0,
            r.skew_deg.map(|s| format!("{s:.2}")).unwrap_or_default(),
            err.map(|e| format!("{e:.3}")).unwrap_or_default(),
            r.turn_deg.map(|t| t.to_string()).unwrap_or_default(),
            true_turn,
            wrong
        );
    }
    skew_errors.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p95 = skew_errors
        .get(((skew_errors.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
        .copied();
    println!(
        "TOTAL {name} {} pages: CER {:.2}%  reading-order-free CER {:.2}%  lost {lost}  WER {:.2}%  deskew error p95 {}  turns {}  upright turned {}  output/input bytes {:.2}",
        pages.len(),
        100.0 * char_edits / chars.max(1.0),
        100.0 * free_edits / free_chars.max(1.0),
        100.0 * word_edits / words.max(1.0),
        p95.map(|e| format!("{e:.3}°")).unwrap_or("-".into()),
        if turned_pages > 0 {
            format!("{turns_right}/{turned_pages} right")
        } else {
            "-".into()
        },
        if turned_pages > 0 {
            upright_turned.to_string()
        } else {
            "-".into()
        },
        output_bytes as f64 / input_bytes.max(1) as f64
    );
    if tally.pages > 0 {
        tally.print(name);
    }
}

/// Field accuracy and the gate's outcomes over pages whose truth names the fields.
#[derive(Default)]
struct FieldTally {
    pages: usize,
    /// Right values per field, over pages whose truth has the field.
    right: HashMap<&'static str, (usize, usize)>,
    filed: usize,
    held: usize,
    filed_wrong: usize,
}

impl FieldTally {
    /// Count one page; returns what was wrong on it, for the per-page line.
    fn add(&mut self, found: &Fields, truth: &HashMap<String, String>, held: &[String]) -> String {
        if !truth.contains_key("issuer") {
            return String::new();
        }
        self.pages += 1;
        let norm = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        };
        let value = |f: &Option<kho_workers::extract::Field>| {
            f.as_ref().map(|f| norm(&f.value)).unwrap_or_default()
        };
        let mut ids: Vec<String> = found.personal_ids.iter().map(|f| f.value.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut true_ids: Vec<String> = truth
            .get("personal_ids")
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        true_ids.sort();
        let truth_of = |k: &str| truth.get(k).map(|v| norm(v)).unwrap_or_default();
        let checks: [(&'static str, String, String); 8] = [
            ("type", value(&found.doc_type), truth_of("type")),
            ("number", value(&found.number), truth_of("number")),
            ("date", value(&found.issued_on), truth_of("date")),
            ("issuer", value(&found.issuer), truth_of("issuer")),
            ("personal_ids", ids.join(","), true_ids.join(",")),
            ("parent", value(&found.parent), truth_of("parent")),
            (
                "signer_title",
                value(&found.signer_title),
                truth_of("signer_title"),
            ),
            (
                "signer_name",
                value(&found.signer_name),
                truth_of("signer_name"),
            ),
        ];
        let mut wrong = Vec::new();
        let mut read_as = Vec::new();
        for (name, read, right) in checks {
            let ok = read == right;
            if !ok {
                read_as.push(format!("{name}={read:?}"));
            }
            let e = self.right.entry(name).or_default();
            e.1 += 1;
            if ok {
                e.0 += 1;
            } else {
                wrong.push(name);
            }
        }
        if held.is_empty() {
            self.filed += 1;
            if wrong
                .iter()
                .any(|w| matches!(*w, "type" | "number" | "date"))
            {
                self.filed_wrong += 1;
            }
        } else {
            self.held += 1;
        }
        let mut note = String::new();
        if !wrong.is_empty() {
            note += &format!("wrong: {}", wrong.join(","));
        }
        if !read_as.is_empty() {
            note += &format!("\n      read: {}", read_as.join("  "));
        }
        if !held.is_empty() {
            note += &format!(" held: {}", held.join(","));
        }
        note
    }

    fn print(&self, name: &str) {
        let mut line = format!("FIELDS {name} {} pages:", self.pages);
        for f in [
            "type",
            "number",
            "date",
            "issuer",
            "personal_ids",
            "parent",
            "signer_title",
            "signer_name",
        ] {
            let (ok, n) = self.right.get(f).copied().unwrap_or_default();
            line += &format!("  {f} {:.1}%", 100.0 * ok as f64 / n.max(1) as f64);
        }
        println!("{line}");
        println!(
            "GATE {name}: filed {} ({:.1}%)  held {}  filed with a wrong type, number or date {}",
            self.filed,
            100.0 * self.filed as f64 / self.pages.max(1) as f64,
            self.held,
            self.filed_wrong
        );
    }
}

fn read_fields(p: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

fn which(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
