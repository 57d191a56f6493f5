//! ocr: a page image → words with boxes and confidences, through Tesseract in-process.
//!
//! One [`OcrEngine`] wraps one Tesseract instance, called through its C API (the
//! `tesseract` crate has no way to give recognition a deadline). Loading the `vie+eng` models costs
//! far more than reading a small page, so an engine is created once per worker thread
//! and reused for every page that thread reads (see [`crate::pipeline`]). Tesseract must
//! run single-threaded (`OMP_THREAD_LIMIT=1`, set by the `kho` binary at start-up):
//! pages are parallel, the engine is not.

use image::GrayImage;
use serde::{Deserialize, Serialize};
use std::ffi::{CStr, CString};
use std::ptr;
use std::time::{Duration, Instant};

use tesseract_sys as sys;

use crate::PipelineError;

/// One recognised word, in pixel coordinates of the page image (origin top-left).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// Tesseract's confidence, 0–100.
    pub confidence: f32,
}

/// One text line: its box and its words in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    pub words: Vec<Word>,
}

/// What OCR read on one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    pub lines: Vec<Line>,
}

impl PageText {
    /// The page's text: words joined by spaces, lines by newlines.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| {
                l.words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Mean word confidence (0–100), weighted by word length; 0 for a page without words.
    pub fn mean_confidence(&self) -> f32 {
        mean_confidence(self.lines.iter().flat_map(|l| &l.words))
    }

    pub fn word_count(&self) -> usize {
        self.lines.iter().map(|l| l.words.len()).sum()
    }

    /// Drop what Tesseract "read" in a seal, a signature, a table's rules or the back
    /// page's ghost: words below [`GARBAGE_BELOW`], words below [`NOISE_BELOW`] that no
    /// record's text could hold (see [`could_be_text`]), and marks with neither letter nor
    /// digit (`|`, `¬`, `„`, `\``, a lone `ˆ`) apart from a list's dash, and lines of one
    /// word of one or two letters read below [`LONE_SURE_FROM`]. Empty lines go too. Returns
    /// how many words were dropped. Measured on the realistic tuning set (seed 101):
    /// reading-order-free CER 2.61% → 0.94%, nearly all of it text no truth line explains.
    pub fn drop_noise(&mut self) -> usize {
        let before = self.word_count();
        for line in &mut self.lines {
            line.words.retain(|w| {
                // A modifier letter (`ˆ`, `ˇ`) is a mark OCR split from its letter.
                let marks_only = !w
                    .text
                    .chars()
                    .any(|c| c.is_alphanumeric() && !('\u{2B0}'..='\u{36F}').contains(&c));
                w.confidence >= GARBAGE_BELOW
                    && if marks_only {
                        matches!(w.text.as_str(), "-" | "–")
                    } else {
                        w.confidence >= NOISE_BELOW || could_be_text(&w.text)
                    }
            });
        }
        // One or two letters alone on a line, read with doubt: a speck, a hole's edge or
        // a stroke of the signature, not a line of the record.
        self.lines.retain(|l| match l.words.as_slice() {
            [] => false,
            [w] => {
                let letters = w.text.chars().filter(|c| c.is_alphabetic()).count();
                let digits = w.text.chars().any(|c| c.is_ascii_digit());
                digits || letters > 2 || w.confidence >= LONE_SURE_FROM
            }
            _ => true,
        });
        before - self.word_count()
    }
}

/// Mean confidence (0–100) of `words`, weighted by word length; 0 for none.
pub fn mean_confidence<'a>(words: impl Iterator<Item = &'a Word>) -> f32 {
    let (sum, n) = words.fold((0.0f64, 0usize), |(s, n), w| {
        let len = w.text.chars().count();
        (s + w.confidence as f64 * len as f64, n + len)
    });
    if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
}

/// Below this confidence a word is dropped as noise whatever it looks like.
pub const GARBAGE_BELOW: f32 = 30.0;
/// A word of one or two letters alone on its line is kept from this confidence on.
pub const LONE_SURE_FROM: f32 = 90.0;
/// Below this confidence a word is kept only if [`could_be_text`].
pub const NOISE_BELOW: f32 = 70.0;

/// Whether `word`, punctuation around it trimmed, could be the text of a Vietnamese
/// record: a syllable, a number or code with digits (`915/QĐ-SXD`, `07/08/2000`), or an
/// abbreviation in capitals (`UBND`, `VT`, `KT`).
pub fn could_be_text(word: &str) -> bool {
    let core = word.trim_matches(|c: char| ".,;:!?()\"“”'‘’".contains(c));
    if core.is_empty() {
        return false;
    }
    let code = core.chars().any(|c| c.is_ascii_digit())
        && core
            .chars()
            .all(|c| c.is_alphanumeric() || "/.-,".contains(c));
    let capitals = (2..=6).contains(&core.chars().count())
        && core.chars().all(|c| c.is_uppercase() && c.is_alphabetic());
    code || capitals || crate::grammar::is_syllable(core)
}

/// A Tesseract instance through the C API, deleted on drop. Shared by the OCR engine
/// and the orientation detector ([`crate::orient`]).
pub(crate) struct Api {
    pub(crate) handle: *mut sys::TessBaseAPI,
}

// SAFETY: a Tesseract instance may move between threads; it is used by one at a time.
unsafe impl Send for Api {}

impl Drop for Api {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is deleted once.
        unsafe { sys::TessBaseAPIDelete(self.handle) }
    }
}

impl Api {
    /// Create an instance and load `languages` from `datapath` (Tesseract's default
    /// location when `None`).
    pub(crate) fn new(datapath: Option<&str>, languages: &str) -> Result<Api, PipelineError> {
        let nul = |_| PipelineError::Ocr("a tessdata path or language contains a NUL byte".into());
        let datapath = datapath.map(CString::new).transpose().map_err(nul)?;
        let lang = CString::new(languages).map_err(nul)?;
        // SAFETY: plain C API calls on a handle we own; the strings outlive the calls.
        unsafe {
            let handle = sys::TessBaseAPICreate();
            if handle.is_null() {
                return Err(PipelineError::Ocr(
                    "cannot create a Tesseract instance".into(),
                ));
            }
            let api = Api { handle };
            let rc = sys::TessBaseAPIInit3(
                handle,
                datapath.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                lang.as_ptr(),
            );
            if rc != 0 {
                return Err(PipelineError::Ocr(format!(
                    "cannot load Tesseract languages {languages} (are their traineddata files installed?)"
                )));
            }
            Ok(api)
        }
    }

    /// Give Tesseract `page` (8-bit grey) and its resolution.
    pub(crate) fn set_page(&mut self, page: &GrayImage, dpi: f32) {
        let (w, h) = page.dimensions();
        // SAFETY: the buffer outlives the call; Tesseract copies the image.
        unsafe {
            sys::TessBaseAPISetImage(
                self.handle,
                page.as_raw().as_ptr(),
                w as i32,
                h as i32,
                1,
                w as i32,
            );
            sys::TessBaseAPISetSourceResolution(self.handle, dpi.round() as i32);
        }
    }

    /// Forget the page and its results (the models stay loaded).
    pub(crate) fn clear(&mut self) {
        // SAFETY: a handle we own.
        unsafe { sys::TessBaseAPIClear(self.handle) }
    }
}

/// A Tesseract monitor whose deadline stops recognition, deleted on drop.
struct Monitor(*mut sys::ETEXT_DESC);

impl Drop for Monitor {
    fn drop(&mut self) {
        // SAFETY: created by TessMonitorCreate, deleted once.
        unsafe { sys::TessMonitorDelete(self.0) }
    }
}

/// A reusable Tesseract instance loaded for reading text.
pub struct OcrEngine {
    api: Api,
}

impl OcrEngine {
    /// Load the models for `languages` (e.g. `vie+eng`) from `datapath` (Tesseract's
    /// default location when `None`).
    pub fn new(datapath: Option<&str>, languages: &str) -> Result<Self, PipelineError> {
        Ok(OcrEngine {
            api: Api::new(datapath, languages)?,
        })
    }

    /// Read one page. `dpi` lets Tesseract judge text sizes. Recognition stops at
    /// `limit` (Tesseract checks its deadline between words): a page that takes longer
    /// is an error, so no page can hold a worker for ever.
    pub fn recognize(
        &mut self,
        page: &GrayImage,
        dpi: f32,
        limit: Duration,
    ) -> Result<PageText, PipelineError> {
        self.api.set_page(page, dpi);
        let result = self.read(limit);
        self.api.clear();
        result
    }

    /// Read `block` (a crop of a page) as one block of text, Tesseract's page
    /// segmentation mode 6: no search for columns, which a header's shared lines mislead.
    pub fn recognize_block(
        &mut self,
        block: &GrayImage,
        dpi: f32,
        limit: Duration,
    ) -> Result<PageText, PipelineError> {
        self.recognize_as(block, sys::TessPageSegMode_PSM_SINGLE_BLOCK, dpi, limit)
    }

    /// Read `line` (a crop of a page) as a single line of text, mode 7.
    pub fn recognize_line(
        &mut self,
        line: &GrayImage,
        dpi: f32,
        limit: Duration,
    ) -> Result<PageText, PipelineError> {
        self.recognize_as(line, sys::TessPageSegMode_PSM_SINGLE_LINE, dpi, limit)
    }

    fn recognize_as(
        &mut self,
        crop: &GrayImage,
        mode: sys::TessPageSegMode,
        dpi: f32,
        limit: Duration,
    ) -> Result<PageText, PipelineError> {
        // SAFETY: a handle we own; the mode is set back before the engine is used again.
        let before = unsafe { sys::TessBaseAPIGetPageSegMode(self.api.handle) };
        unsafe { sys::TessBaseAPISetPageSegMode(self.api.handle, mode) };
        let result = self.recognize(crop, dpi, limit);
        // SAFETY: as above.
        unsafe { sys::TessBaseAPISetPageSegMode(self.api.handle, before) };
        result
    }

    fn read(&mut self, limit: Duration) -> Result<PageText, PipelineError> {
        let handle = self.api.handle;
        let started = Instant::now();
        // SAFETY: C API calls on a handle we own with a monitor that outlives them; the
        // TSV text is copied before Tesseract's buffer is freed.
        unsafe {
            let monitor = Monitor(sys::TessMonitorCreate());
            if monitor.0.is_null() {
                return Err(PipelineError::Ocr(
                    "cannot create a Tesseract monitor".into(),
                ));
            }
            let ms = limit.as_millis().clamp(1, i32::MAX as u128) as i32;
            sys::TessMonitorSetDeadlineMSecs(monitor.0, ms);
            let rc = sys::TessBaseAPIRecognize(handle, monitor.0);
            if started.elapsed() >= limit {
                return Err(PipelineError::Timeout(format!(
                    "reading one page took longer than the OCR limit of {} ms",
                    limit.as_millis()
                )));
            }
            if rc != 0 {
                return Err(PipelineError::Ocr(
                    "Tesseract could not read the page".into(),
                ));
            }
            let text = sys::TessBaseAPIGetTsvText(handle, 0);
            if text.is_null() {
                return Err(PipelineError::Ocr("Tesseract gave no TSV text".into()));
            }
            let tsv = CStr::from_ptr(text).to_string_lossy().into_owned();
            sys::TessDeleteText(text);
            Ok(parse_tsv(&tsv))
        }
    }
}

/// Parse Tesseract's TSV output: level 4 rows are lines, level 5 rows are words.
pub fn parse_tsv(tsv: &str) -> PageText {
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Option<(u32, u32, u32)> = None;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 11 {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().ok();
        let (Some(level), Some(block), Some(par), Some(line)) = (num(0), num(2), num(3), num(4))
        else {
            continue; // header row
        };
        let bbox = (num(6), num(7), num(8), num(9));
        let (Some(left), Some(top), Some(width), Some(height)) = bbox else {
            continue;
        };
        let (left, top, width, height) = (
            left.max(0) as u32,
            top.max(0) as u32,
            width.max(0) as u32,
            height.max(0) as u32,
        );
        let key = (block as u32, par as u32, line as u32);
        match level {
            4 => {
                lines.push(Line {
                    left,
                    top,
                    width,
                    height,
                    words: Vec::new(),
                });
                current = Some(key);
            }
            5 => {
                let text = cols.get(11).map(|t| t.trim()).unwrap_or("");
                if text.is_empty() || current != Some(key) {
                    continue;
                }
                let confidence = cols[10]
                    .trim()
                    .parse::<f32>()
                    .unwrap_or(0.0)
                    .clamp(0.0, 100.0);
                if let Some(l) = lines.last_mut() {
                    l.words.push(Word {
                        text: vietnamese_letters(text),
                        left,
                        top,
                        width,
                        height,
                        confidence,
                    });
                }
            }
            _ => {}
        }
    }
    lines.retain(|l| !l.words.is_empty());
    PageText { lines }
}

/// `text` with the letters Tesseract's `vie` model can give that Vietnamese does not
/// have put back as the Vietnamese letter they look like: the Icelandic eth `Ð`/`ð`
/// (U+00D0, U+00F0) is drawn as `Đ`/`đ`. The two are separate classes to the model, so
/// its decoder can emit both for one glyph (`QĐÐ` for `QĐ`); such a pair is one letter.
pub fn vietnamese_letters(text: &str) -> String {
    if !text.contains(['Ð', 'ð']) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    // The last letter written, and whether it was read as an eth.
    let mut last: Option<(char, bool)> = None;
    for c in text.chars() {
        let (c, eth) = match c {
            'Ð' => ('Đ', true),
            'ð' => ('đ', true),
            c => (c, false),
        };
        // One of the pair was an eth: the same letter twice in a row is one letter.
        let twice = last.is_some_and(|(l, l_eth)| l == c && (eth || l_eth));
        if !twice {
            out.push(c);
        }
        last = Some((c, eth));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eth_is_the_vietnamese_d_with_stroke_and_is_not_read_twice() {
        assert_eq!(vietnamese_letters("994/QĐÐ-SLĐTBXH"), "994/QĐ-SLĐTBXH");
        assert_eq!(vietnamese_letters("ÐĐỊNH"), "ĐỊNH");
        assert_eq!(vietnamese_letters("Ðường"), "Đường");
        assert_eq!(vietnamese_letters("ðất"), "đất");
        // A genuine double letter, with no eth in it, stays.
        assert_eq!(vietnamese_letters("ĐĐ"), "ĐĐ");
        assert_eq!(vietnamese_letters("QĐ-UBND"), "QĐ-UBND");
    }

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t
2\t1\t1\t0\t0\t0\t300\t200\t900\t60\t-1\t
3\t1\t1\t1\t0\t0\t300\t200\t900\t60\t-1\t
4\t1\t1\t1\t1\t0\t300\t200\t900\t60\t-1\t
5\t1\t1\t1\t1\t1\t300\t200\t400\t60\t96.5\tCỘNG
5\t1\t1\t1\t1\t2\t720\t200\t480\t60\t91.0\tHÒA
4\t1\t1\t1\t2\t0\t300\t300\t500\t50\t-1\t
5\t1\t1\t1\t2\t1\t300\t300\t500\t50\t80.0\tĐộc
";

    #[test]
    fn tsv_rows_become_lines_of_words_with_boxes() {
        let page = parse_tsv(TSV);
        assert_eq!(page.lines.len(), 2);
        assert_eq!(page.text(), "CỘNG HÒA\nĐộc");
        let w = &page.lines[0].words[1];
        assert_eq!((w.left, w.top, w.width, w.height), (720, 200, 480, 60));
        assert_eq!(w.confidence, 91.0);
    }

    #[test]
    fn noise_goes_and_text_stays() {
        let word = |text: &str, confidence: f32| Word {
            text: text.into(),
            left: 0,
            top: 0,
            width: 10,
            height: 10,
            confidence,
        };
        let line = |words: Vec<Word>| Line {
            left: 0,
            top: 0,
            width: 100,
            height: 10,
            words,
        };
        let mut page = PageText {
            lines: vec![
                // A list line read with middling confidence keeps every word.
                line(vec![word("-", 40.0), word("Lưu:", 60.0), word("VT.", 50.0)]),
                line(vec![word("915/QĐ-SXD", 45.0), word("Điều", 95.0)]),
                // What a seal and a signature leave behind.
                line(vec![word("b;xÄ", 55.0), word("|", 90.0), word("¬..", 50.0)]),
                line(vec![word("Hoàng", 12.0), word("NhN,", 40.0)]),
                // A circumflex split from its letter, specks alone on their lines ...
                line(vec![word("ˆ", 81.0)]),
                line(vec![word("Ê", 70.0)]),
                line(vec![word("La", 60.0)]),
                // ... but a table's number and a sure short line stay.
                line(vec![word("2", 60.0)]),
                line(vec![word("KT.", 95.0)]),
            ],
        };
        let dropped = page.drop_noise();
        assert_eq!(page.text(), "- Lưu: VT.\n915/QĐ-SXD Điều\n2\nKT.");
        assert_eq!(dropped, 8);
    }

    #[test]
    fn mean_confidence_weights_words_by_length() {
        let page = parse_tsv(TSV);
        let expected = (96.5 * 4.0 + 91.0 * 3.0 + 80.0 * 3.0) / 10.0;
        assert!((page.mean_confidence() - expected).abs() < 1e-3);
        assert_eq!(PageText::default().mean_confidence(), 0.0);
    }
}
