//! pipeline: runs the stages for one document — decode every file, read every page,
//! assemble the PDF.
//!
//! Pages are read in parallel on a dedicated thread pool of `threads` threads. Each
//! thread keeps its own [`OcrEngine`], created on first use and reused for every later
//! page, so the models load once per thread. Several documents processed at the same
//! time share the pool, so Tesseract never runs on more threads than configured.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use image::DynamicImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PipelineError;
use crate::decode::{self, DecodedPage, Limits};
use crate::header;
use crate::ocr::{OcrEngine, PageText};
use crate::orient::{self, OsdEngine};
use crate::pdf::{self, PageImage, PdfMeta, PdfPage};
use crate::{clean, deskew};

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Pages read at the same time (one Tesseract engine each).
    pub threads: usize,
    /// Tesseract's `tessdata` folder; `None` for Tesseract's default.
    pub tessdata: Option<String>,
    /// Tesseract languages, `vie` by default (it reads Vietnamese results better than
    /// `vie+eng`: see docs/ARCHITECTURE.md).
    pub languages: String,
    /// Bounds on decoded input.
    pub limits: Limits,
    /// Longest Tesseract may spend reading one page.
    pub ocr_page_limit: std::time::Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            tessdata: None,
            languages: "vie".into(),
            limits: Limits::default(),
            ocr_page_limit: std::time::Duration::from_secs(120),
        }
    }
}

/// What the pipeline tells about one page of the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageReport {
    /// 1-based page number in the output PDF.
    pub page: usize,
    /// 0-based index of the uploaded file the page came from.
    pub source_file: usize,
    /// 1-based page number inside that file.
    pub source_page: usize,
    pub width: u32,
    pub height: u32,
    pub dpi: f32,
    /// True when the file carried no resolution and 300 dpi was assumed.
    pub dpi_assumed: bool,
    pub mean_confidence: f32,
    pub words: usize,
    /// Tilt found and rotated out, degrees counter-clockwise (0 when under the threshold).
    pub skew_deg: f32,
    /// Quarter turns applied to make the page upright, degrees clockwise.
    pub rotation_deg: u32,
    /// The page holds (next to) no ink; it was not read.
    #[serde(default)]
    pub blank: bool,
    /// OSD and the two readings disagreed on which way up the page is, so it was kept
    /// as scanned: a person should look at it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub orientation_doubt: bool,
}

/// The result for one document.
#[derive(Debug, Clone)]
pub struct DocumentOutput {
    pub pdf: Vec<u8>,
    pub pages: Vec<PageReport>,
    /// The OCR text, pages separated by form feeds.
    pub text: String,
    /// What OCR read on each page: lines, words, boxes (pixels) and confidences.
    pub page_texts: Vec<crate::ocr::PageText>,
    /// Fields found in the text, with confidences and source words.
    pub fields: crate::extract::Fields,
    /// Mean of the pages' confidences (0–100).
    pub mean_confidence: f32,
    /// Size of the inputs, to compare with `pdf.len()`.
    pub input_bytes: usize,
    /// Thread time each stage took, summed over the pages.
    pub stages: StageTimes,
}

/// Thread time per pipeline stage, summed over a document's pages (pages are read on
/// several threads at once, so the sum can exceed the wall time).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    /// Decoding the files into page images.
    pub decode: Duration,
    /// Measuring the tilt (and a page on its side).
    pub deskew: Duration,
    /// Turning and straightening pages.
    pub rotate: Duration,
    /// Cleaning the OCR copy (background, colour ink, rules, specks).
    pub clean: Duration,
    /// Tesseract reading the whole page.
    pub ocr: Duration,
    /// Orientation detection and reading the turned page, for doubtful pages.
    pub osd: Duration,
    /// The second readings of the header's issuer block and the number's line.
    pub reread: Duration,
    /// Encoding each page image for the PDF.
    pub encode: Duration,
    /// Field extraction.
    pub extract: Duration,
    /// Assembling the PDF/A.
    pub pdf: Duration,
}

impl StageTimes {
    /// Each stage's name and time, in pipeline order.
    pub fn named(&self) -> [(&'static str, Duration); 10] {
        [
            ("decode", self.decode),
            ("deskew", self.deskew),
            ("rotate", self.rotate),
            ("clean", self.clean),
            ("ocr", self.ocr),
            ("osd", self.osd),
            ("reread", self.reread),
            ("encode", self.encode),
            ("extract", self.extract),
            ("pdf", self.pdf),
        ]
    }

    fn add(&mut self, o: &StageTimes) {
        self.decode += o.decode;
        self.deskew += o.deskew;
        self.rotate += o.rotate;
        self.clean += o.clean;
        self.ocr += o.ocr;
        self.osd += o.osd;
        self.reread += o.reread;
        self.encode += o.encode;
        self.extract += o.extract;
        self.pdf += o.pdf;
    }
}

/// Time `f`, adding it to `slot`.
fn timed<T>(slot: &mut Duration, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    *slot += t.elapsed();
    out
}

/// The pages read, in order, and the time each stage took.
type ReadPages = (Vec<(PdfPage, PageReport)>, StageTimes);

pub struct Pipeline {
    pool: rayon::ThreadPool,
    config: PipelineConfig,
}

/// What an engine was loaded with: (tessdata folder, languages).
type EngineKey = (Option<String>, String);

thread_local! {
    /// This thread's engine and what it was loaded with.
    static ENGINE: RefCell<Option<(EngineKey, OcrEngine)>> = const { RefCell::new(None) };
    /// This thread's orientation detector and the tessdata folder it was loaded from.
    static OSD: RefCell<Option<(Option<String>, OsdEngine)>> = const { RefCell::new(None) };
}

impl Drop for Pipeline {
    /// Free every thread's engine: Tesseract complains of leaks at exit otherwise, and a
    /// dropped pipeline should not keep its models in memory.
    fn drop(&mut self) {
        self.pool
            .broadcast(|_| ENGINE.with(|cell| cell.borrow_mut().take()));
    }
}

impl Pipeline {
    pub fn new(config: PipelineConfig) -> Result<Self, PipelineError> {
        map_page_buffers();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads.max(1))
            .thread_name(|i| format!("kho-ocr-{i}"))
            .build()
            .map_err(|e| PipelineError::Ocr(format!("cannot start OCR threads: {e}")))?;
        Ok(Pipeline { pool, config })
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Check every file and count its pages without decoding pixels.
    pub fn probe(&self, files: &[&[u8]]) -> Result<Vec<decode::Probe>, PipelineError> {
        files
            .iter()
            .map(|f| decode::probe(f, &self.config.limits))
            .collect()
    }

    /// Digitize one document whose pages are `files`, in order. Blocks the calling
    /// thread; call it from a blocking context, not from an async task.
    pub fn process(
        &self,
        files: &[&[u8]],
        title: Option<&str>,
    ) -> Result<DocumentOutput, PipelineError> {
        let input_bytes = files.iter().map(|f| f.len()).sum();
        let (results, mut stages) = self.pool.install(|| self.read_pages(files))?;
        if results.is_empty() {
            return Err(PipelineError::Corrupt("no pages".into()));
        }
        let (pdf_pages, pages): (Vec<PdfPage>, Vec<PageReport>) = results.into_iter().unzip();
        let text = pdf_pages
            .iter()
            .map(|p| p.text.text())
            .collect::<Vec<_>>()
            .join("\n\u{c}\n");
        let mean_confidence =
            pages.iter().map(|p| p.mean_confidence).sum::<f32>() / pages.len() as f32;
        let page_texts: Vec<_> = pdf_pages.iter().map(|p| p.text.clone()).collect();
        let fields = timed(&mut stages.extract, || crate::extract::extract(&page_texts));
        let pdf = timed(&mut stages.pdf, || {
            pdf::build(
                &pdf_pages,
                &PdfMeta {
                    title: title.map(str::to_owned),
                    fields: fields.clone(),
                },
            )
        })?;
        release_free_memory();
        Ok(DocumentOutput {
            pdf,
            pages,
            text,
            page_texts,
            fields,
            mean_confidence,
            input_bytes,
            stages,
        })
    }

    /// Decode and read every page of `files`, in order. One thread decodes, page by
    /// page, into a hand-over of one; the pool's threads read what it hands over. So a
    /// document of any length holds only the pages being read decoded, never all of
    /// them. Call it inside the pool.
    fn read_pages(&self, files: &[&[u8]]) -> Result<ReadPages, PipelineError> {
        let limits = &self.config.limits;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let decoder = s.spawn(move || {
                let mut n = 0;
                // Decoding time: from the last hand-over to the next page decoded (the
                // wait for a reader to take a page is not decoding).
                let mut decoding = Duration::ZERO;
                for (fi, f) in files.iter().enumerate() {
                    let mut pi = 0;
                    let mut since = Instant::now();
                    decode::each_page(std::io::Cursor::new(f), limits, |page| {
                        decoding += since.elapsed();
                        n += 1;
                        pi += 1;
                        if n > limits.max_pages {
                            return Err(PipelineError::TooLarge(format!(
                                "more than {} pages in one document",
                                limits.max_pages
                            )));
                        }
                        // The readers stopped on an error of their own: stop too.
                        let sent = tx
                            .send((n, fi, pi, page))
                            .map_err(|_| PipelineError::Corrupt("stopped".into()));
                        since = Instant::now();
                        sent
                    })?;
                    decoding += since.elapsed();
                }
                Ok::<Duration, PipelineError>(decoding)
            });
            let read: Result<Vec<_>, PipelineError> = rx
                .into_iter()
                .par_bridge()
                .map(|(n, fi, pi, page)| self.read_page(n, fi, pi, page).map(|r| (n, r)))
                .collect();
            let decoded = decoder.join().expect("the decoding thread does not panic");
            let mut read = read?;
            let mut stages = StageTimes {
                decode: decoded?,
                ..Default::default()
            };
            read.sort_by_key(|(n, _)| *n);
            let pages = read
                .into_iter()
                .map(|(_, (pdf_page, report, times))| {
                    stages.add(&times);
                    (pdf_page, report)
                })
                .collect();
            Ok((pages, stages))
        })
    }

    fn read_page(
        &self,
        page_no: usize,
        source_file: usize,
        source_page: usize,
        page: DecodedPage,
    ) -> Result<(PdfPage, PageReport, StageTimes), PipelineError> {
        let mut times = StageTimes::default();
        let DecodedPage {
            mut image,
            dpi,
            dpi_assumed,
            original,
        } = page;
        // The tilt is estimated without the seal's lettering and the signature.
        let (gray, skew) = timed(&mut times.deskew, || {
            let gray = clean::ink_gray(&image);
            // Lines running top to bottom: a quarter turn first, OSD picks the direction below.
            let skew = deskew::estimate(&gray, dpi);
            (gray, skew)
        });
        let mut changed = false;
        let mut rotation_deg = 0;
        let turning = Instant::now();
        if skew.sideways {
            image = image.rotate90();
            rotation_deg = 90;
            changed = true;
        }
        let skew_deg = if skew.angle_deg.abs() >= deskew::STRAIGHT_BELOW_DEG {
            let bilevel = !image.color().has_color() && pdf::is_bilevel(&gray);
            image = deskew::rotate(&image, skew.angle_deg);
            if bilevel {
                // A bilevel scan stays bilevel (and small, as CCITT G4) once straightened.
                let mut g = image.to_luma8();
                g.pixels_mut()
                    .for_each(|p| p.0[0] = if p.0[0] < 128 { 0 } else { 255 });
                image = DynamicImage::ImageLuma8(g);
            }
            changed = true;
            skew.angle_deg
        } else {
            0.0
        };
        times.rotate += turning.elapsed();
        drop(gray);
        // OCR reads a cleaned copy; the PDF keeps the straightened page itself.
        let cleaned = timed(&mut times.clean, || clean::clean_page(&image, dpi));
        let (mut gray, blank) = (cleaned.gray, cleaned.blank);
        let limit = self.config.ocr_page_limit;
        // Orientation detection costs about as much as reading a small page, so upright
        // pages skip it: read first, and ask OSD only for a page on its side (which way
        // up?) or one that reads badly (upside down?).
        let mut text = if blank {
            Some(PageText::default())
        } else if skew.sideways {
            None
        } else {
            Some(timed(&mut times.ocr, || {
                self.with_engine(|engine| engine.recognize(&gray, dpi, limit))
            })?)
        };
        let osd_started = Instant::now();
        let mut orientation_doubt = false;
        let doubtful = !blank
            && text
                .as_ref()
                .is_none_or(|t| t.mean_confidence() < orient::READS_WELL);
        if doubtful
            && let Some((turn, confidence)) = self.with_osd(|osd| Ok(osd.detect(&gray, dpi)))?
            && turn != 0
            && confidence >= orient::MIN_CONFIDENCE
        {
            let turned = orient::turn(&image, turn);
            let turned_gray =
                orient::turn(&DynamicImage::ImageLuma8(gray.clone()), turn).into_luma8();
            let turned_text =
                self.with_engine(|engine| engine.recognize(&turned_gray, dpi, limit))?;
            // Keep the turn only when the page reads better that way up on both counts:
            // Tesseract's confidence and how many words are Vietnamese syllables
            // (upside-down text can score well as non-words). When they disagree the
            // page stays as scanned, with the doubt recorded: an upright page is never
            // turned on weak evidence.
            let (turned_share, _) = orient::syllables(&turned_text);
            let turned_confidence = turned_text.mean_confidence();
            // The reading as scanned, if there was one: (confidence, syllable share).
            let scanned = text
                .as_ref()
                .map(|t| (t.mean_confidence(), orient::syllables(t).0));
            let better = scanned.is_none_or(|(c, share)| {
                turned_confidence > c && turned_share >= share + orient::SYLLABLE_MARGIN
            });
            let worse = scanned.is_some_and(|(c, share)| {
                turned_confidence <= c && turned_share + orient::SYLLABLE_MARGIN <= share
            });
            if better && turned_share >= orient::MIN_SYLLABLE_SHARE {
                image = turned;
                gray = turned_gray;
                rotation_deg = (rotation_deg + turn) % 360;
                changed = true;
                text = Some(turned_text);
            } else if !worse {
                orientation_doubt = true;
            }
        }
        times.osd += osd_started.elapsed();
        let mut text = match text {
            Some(t) => t,
            None => timed(&mut times.ocr, || {
                self.with_engine(|engine| engine.recognize(&gray, dpi, limit))
            })?,
        };
        let rereading = Instant::now();
        // The header's left column (the issuing body) once more, on its own.
        if let Some(r) = header::region(&text, gray.width(), gray.height()) {
            let block = image::imageops::crop_imm(&gray, r.left, r.top, r.width, r.height);
            let block = block.to_image();
            let second = self.with_engine(|engine| engine.recognize_block(&block, dpi, limit))?;
            header::merge(&mut text, r, second);
        }
        // The number's line once more, on its own, when it lacks Decree 30's shape.
        if let Some(r) = header::number_region(&text, gray.width(), gray.height()) {
            let line = image::imageops::crop_imm(&gray, r.left, r.top, r.width, r.height);
            let second =
                self.with_engine(|engine| engine.recognize_line(&line.to_image(), dpi, limit))?;
            header::merge_number(&mut text, r, second);
        }
        times.reread += rereading.elapsed();
        drop(gray);
        // The gate judges the reading as Tesseract gave it; the text layer and the fields
        // get it without the seal's and signature's noise, and with the marks known
        // phrases in capitals lost given back.
        let mean_confidence = text.mean_confidence();
        text.drop_noise();
        crate::names::restore_marks(&mut text);
        // A JPEG or PNG that needed no turning goes into the PDF as it came.
        let original = if changed { None } else { original.as_ref() };
        let image = timed(&mut times.encode, || PageImage::encode(&image, original))?;
        let report = PageReport {
            page: page_no,
            source_file,
            source_page,
            width: image.width,
            height: image.height,
            dpi,
            dpi_assumed,
            mean_confidence,
            words: text.word_count(),
            skew_deg,
            rotation_deg,
            blank,
            orientation_doubt,
        };
        Ok((PdfPage { image, dpi, text }, report, times))
    }

    fn with_osd<T>(
        &self,
        f: impl FnOnce(&mut OsdEngine) -> Result<T, PipelineError>,
    ) -> Result<T, PipelineError> {
        OSD.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot
                .as_ref()
                .is_none_or(|(k, _)| *k != self.config.tessdata)
            {
                let engine = OsdEngine::new(self.config.tessdata.as_deref())?;
                *slot = Some((self.config.tessdata.clone(), engine));
            }
            let (_, engine) = slot.as_mut().expect("engine was just set");
            f(engine)
        })
    }

    fn with_engine<T>(
        &self,
        f: impl FnOnce(&mut OcrEngine) -> Result<T, PipelineError>,
    ) -> Result<T, PipelineError> {
        let key = (self.config.tessdata.clone(), self.config.languages.clone());
        ENGINE.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(k, _)| *k != key) {
                let engine = OcrEngine::new(key.0.as_deref(), &key.1)?;
                *slot = Some((key, engine));
            }
            let (_, engine) = slot.as_mut().expect("engine was just set");
            f(engine)
        })
    }
}

/// Allocate every buffer of 1 MiB or more (a decoded page is tens of MB) with its own
/// mapping, returned to the system when freed. glibc's default threshold rises to the size
/// of the largest buffer freed (up to 32 MiB), after which page buffers come from the
/// heap arenas, fragment them, and the resident size creeps up batch after batch.
fn map_page_buffers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes the allocator's tuning; called once, early.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
    });
}

/// Give the page buffers a document freed back to the system. Pages are large (tens of
/// MB decoded) and freed on several threads; glibc keeps such memory in per-thread
/// arenas, so without this the resident size creeps up over a long batch although
/// nothing is held.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}
