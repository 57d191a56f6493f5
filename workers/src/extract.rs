//! extract: fields of a Vietnamese administrative result from its OCR lines and their
//! place on the page.
//!
//! Each field carries its value, a confidence (the lowest confidence of the words it came
//! from) and those words, as (page, line, word) indices into the pipeline's page texts.
//! Decree 30/2020 fixes where each part sits, and the extraction follows it:
//!
//! - Lines are first cut where a wide gap separates their words: the header's two
//!   columns often share one OCR line (`UBND TỈNH ĐỒNG THÁP   CỘNG HÒA XÃ HỘI …`).
//! - The **header's left column** (above `Số:`, left of the national motto) gives the
//!   **issuer**, the body named last, and the **parent** body above it
//!   (`UBND TỈNH NINH BÌNH` over `SỞ KẾ HOẠCH VÀ ĐẦU TƯ`).
//! - **Number and symbol** from `Số: 1234/QĐ-UBND`; [`crate::grammar::check_number`]
//!   judges it later, in the gate.
//! - **Place and date** from a line of the form `Place, ngày D tháng M năm YYYY`.
//! - **Type** from the centred heading in capitals (`QUYẾT ĐỊNH`, `GIẤY PHÉP`, …).
//! - **Personal IDs** are 12 digits with a province code, on a `Số định danh cá nhân`
//!   line (or just after it) or in the column of a table headed `Số định danh`.
//! - **Signer**: the title (`KT. GIÁM ĐỐC` / `PHÓ GIÁM ĐỐC`) and, below it in the same
//!   column, the name, on the last page.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::grammar::{self, DOC_TYPES, fold};
use crate::ocr::PageText;

/// (page, line, word), 0-based, into [`crate::DocumentOutput::page_texts`].
pub type WordRef = (usize, usize, usize);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub value: String,
    /// Lowest confidence (0–100) among the words the value came from.
    pub confidence: f32,
    pub words: Vec<WordRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    /// Number and symbol, e.g. `1234/QĐ-UBND`.
    pub number: Option<Field>,
    /// Issue date, `YYYY-MM-DD`.
    pub issued_on: Option<Field>,
    /// Place of issue, e.g. `Hà Nội`.
    pub place: Option<Field>,
    /// Issuing body, e.g. `SỞ KẾ HOẠCH VÀ ĐẦU TƯ` (its lines joined).
    pub issuer: Option<Field>,
    /// The issuing body's parent, above it in the header, e.g. `UBND TỈNH NINH BÌNH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Field>,
    /// Document type as it is usually written, e.g. `Quyết định`.
    pub doc_type: Option<Field>,
    /// Personal IDs: 12 digits with a province code, from holder lines and tables.
    pub personal_ids: Vec<Field>,
    /// 10-digit (or 10-3) numbers: candidate tax codes.
    pub tax_codes: Vec<Field>,
    /// Who the record is for, as the page says it: personal IDs on a holder line
    /// (`Số định danh cá nhân: …`, not a table of people) and tax codes after
    /// `Mã số thuế:` or `Mã số doanh nghiệp:`. Checked against the owner the batch gives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holder_ids: Vec<Field>,
    /// The signer's title, e.g. `KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_title: Option<Field>,
    /// The signer's name, e.g. `Nguyễn Văn An`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_name: Option<Field>,
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\bs[ốoô][:.]?\s*(\d{1,6}\s*/\s*(?:\d{4}\s*/\s*)?[\p{Lu}Đ0-9][\p{Lu}Đ0-9ry\-/]*)",
    )
    .unwrap()
});
/// `Place, ngày D tháng M năm YYYY`, the place in capitalised words.
static PLACE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b((?:TP\.\s*)?\p{Lu}\p{Ll}*\.?(?:\s+\p{L}\p{Ll}*){0,4})?",
        // The keywords in italics lose or change a mark under OCR (`nắm`, `thang`).
        r"\s*,?\s*(?i:ng\p{L}y)\s+(\d{1,2})\s+(?i:th\p{L}ng)\s+(\d{1,2})\s+(?i:n\p{L}m)\s+(\d{4})"
    ))
    .unwrap()
});
static DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{10}(?:-\d{3})?|\d{12})\b").unwrap());
/// A signer's position, in folded text (see [`fold`]).
const POSITION: &str = concat!(
    r"(?:pho\s+)?(?:giam doc|chu tich|truong phong|truong ban|bo truong|thu truong|",
    r"tong cuc truong|chi cuc truong|cuc truong|chanh van phong|chanh an|vien truong|",
    r"hieu truong|chu nhiem|truong cong an|quyen giam doc)"
);
/// A signer's title line: a position, or a delegation (`KT.`, `TM.`, `TL.`, `TUQ.`,
/// `Q.`) of a position or of a collective body (`TM. ỦY BAN NHÂN DÂN`).
static SIGNER_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:(?:kt|tm|tl|tuq|q)\s*\.\s*(?:{POSITION}|uy ban nhan dan|ubnd|hoi dong nhan dan|ban chi dao)|{POSITION})\b"
    ))
    .unwrap()
});
static DELEGATED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:kt|tm|tl|tuq|q)\s*\.").unwrap());

/// Words a body's name begins with: where one begins a header line, a new body does.
const BODY_WORDS: &[&str] = &[
    "UBND",
    "ỦY BAN",
    "UỶ BAN",
    "SỞ",
    "BỘ",
    "TỔNG CỤC",
    "CỤC",
    "CHI CỤC",
    "PHÒNG",
    "BAN",
    "VĂN PHÒNG",
    "TRUNG TÂM",
    "TRƯỜNG",
    "BỆNH VIỆN",
    "CÔNG AN",
    "TÒA ÁN",
    "VIỆN",
    "HỘI ĐỒNG",
    "HĐND",
    "BẢO HIỂM",
    "KHO BẠC",
    "CHI NHÁNH",
    "ĐẠI HỌC",
    "HỌC VIỆN",
    "THANH TRA",
];

/// A piece of one OCR line: its words between wide gaps.
struct Segment {
    text: String,
    /// Byte span of each word in `text`.
    spans: Vec<(usize, usize)>,
    confidences: Vec<f32>,
    page: usize,
    line: usize,
    /// Index in the OCR line of each word (a word cut in two gives both parts its index).
    word_index: Vec<usize>,
    left: u32,
    right: u32,
    top: u32,
    bottom: u32,
}

impl Segment {
    fn field(&self, value: String, start: usize, end: usize) -> Field {
        let mut words = Vec::new();
        let mut confidence = 100f32;
        for (i, &(s, e)) in self.spans.iter().enumerate() {
            if s < end && e > start {
                let at = (self.page, self.line, self.word_index[i]);
                if !words.contains(&at) {
                    words.push(at);
                }
                confidence = confidence.min(self.confidences[i]);
            }
        }
        Field {
            value,
            confidence,
            words,
        }
    }

    fn whole(&self) -> Field {
        self.field(self.text.clone(), 0, self.text.len())
    }

    fn is_capitals(&self) -> bool {
        let letters: Vec<char> = self.text.chars().filter(|c| c.is_alphabetic()).collect();
        let upper = letters.iter().filter(|c| c.is_uppercase()).count();
        !letters.is_empty() && upper * 10 >= letters.len() * 9
    }

    /// Whether the two share some of their horizontal extent (true without geometry).
    fn same_column(&self, other: &Segment) -> bool {
        self.right == self.left || (self.left < other.right && other.left < self.right)
    }
}

/// Join fields read from several places into one.
fn joined(parts: &[Field]) -> Option<Field> {
    (!parts.is_empty()).then(|| Field {
        value: parts
            .iter()
            .map(|p| p.value.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        confidence: parts.iter().map(|p| p.confidence).fold(100.0, f32::min),
        words: parts.iter().flat_map(|p| p.words.iter().copied()).collect(),
    })
}

fn is_motto(text: &str) -> bool {
    let f = fold(text);
    f.starts_with("cong hoa") || f.contains("xa hoi chu nghia") || f.starts_with("doc lap")
}

/// A word of an OCR line, or part of one: Tesseract sometimes joins the last word of
/// the header's left column to the motto's first (`NAMCỘNG`).
struct Piece {
    text: String,
    left: u32,
    width: u32,
    top: u32,
    height: u32,
    confidence: f32,
    /// The OCR word it is (part of).
    word: usize,
}

/// The words of `line`, with a word that runs into the motto cut before `CỘNG` (or
/// before `ỘNG` when the join lost the `C`); the cut's position is shared out by
/// characters.
fn pieces(line: &crate::ocr::Line) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, w) in line.words.iter().enumerate() {
        let piece = |text: &str, left: u32, width: u32| Piece {
            text: text.to_owned(),
            left,
            width,
            top: w.top,
            height: w.height,
            confidence: w.confidence,
            word: i,
        };
        let next_hoa = line
            .words
            .get(i + 1)
            .is_some_and(|n| fold(&n.text).starts_with("hoa"));
        let upper = w.text.to_uppercase();
        let at = ["CỘNG", "CONG"]
            .iter()
            .filter_map(|c| upper.find(c))
            .find(|&at| at > 0);
        match at {
            Some(at) if next_hoa && upper.len() == w.text.len() => {
                let chars = w.text.chars().count().max(1) as u32;
                let before = w.text[..at].chars().count() as u32;
                let cut = w.width * before / chars;
                out.push(piece(&w.text[..at], w.left, cut));
                out.push(piece(&w.text[at..], w.left + cut, w.width - cut));
            }
            _ if next_hoa && fold(&w.text).ends_with("ong") && fold(&w.text) != "cong" => {
                // The `C` itself was lost in the join (`THƠỘNG`): the motto starts at
                // the vowel; the first piece keeps what precedes it.
                let chars: Vec<char> = w.text.chars().collect();
                let n = chars.len() as u32;
                let before = n.saturating_sub(3);
                let cut = w.width * before / n.max(1);
                if before > 0 {
                    let head: String = chars[..before as usize].iter().collect();
                    out.push(piece(&head, w.left, cut));
                }
                out.push(piece("CỘNG", w.left + cut, w.width - cut));
            }
            _ => out.push(piece(&w.text, w.left, w.width)),
        }
    }
    out
}

/// The lines of every page, cut into segments at gaps wider than twice the words'
/// height, and before the national motto when a header column ran into it.
fn segments(pages: &[PageText]) -> Vec<Segment> {
    let mut out = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (l, line) in page.lines.iter().enumerate() {
            let words = pieces(line);
            let mut heights: Vec<u32> = words.iter().map(|w| w.height).collect();
            heights.sort_unstable();
            let h = heights.get(heights.len() / 2).copied().unwrap_or(0).max(1);
            let mut start = 0;
            for i in 0..=words.len() {
                let cut = i == words.len()
                    || (i > start && {
                        let (a, b) = (&words[i - 1], &words[i]);
                        let gap = b.left as i64 - (a.left + a.width) as i64;
                        let motto = fold(&b.text) == "cong"
                            && words
                                .get(i + 1)
                                .is_some_and(|n| fold(&n.text).starts_with("hoa"));
                        gap > 2 * h as i64 || motto
                    });
                if !cut {
                    continue;
                }
                let part = &words[start..i];
                if !part.is_empty() {
                    let mut text = String::new();
                    let mut spans = Vec::new();
                    for w in part {
                        if !text.is_empty() {
                            text.push(' ');
                        }
                        let s = text.len();
                        text.push_str(&w.text);
                        spans.push((s, text.len()));
                    }
                    out.push(Segment {
                        text,
                        spans,
                        confidences: part.iter().map(|w| w.confidence).collect(),
                        page: p,
                        line: l,
                        word_index: part.iter().map(|w| w.word).collect(),
                        left: part.iter().map(|w| w.left).min().unwrap_or(0),
                        right: part.iter().map(|w| w.left + w.width).max().unwrap_or(0),
                        top: part.iter().map(|w| w.top).min().unwrap_or(0),
                        bottom: part.iter().map(|w| w.top + w.height).max().unwrap_or(0),
                    });
                }
                start = i;
            }
        }
    }
    out
}

/// Find the fields in what OCR read.
pub fn extract(pages: &[PageText]) -> Fields {
    let segs = segments(pages);
    let mut f = Fields {
        number: number(&segs),
        doc_type: doc_type(&segs),
        ..Fields::default()
    };
    (f.issued_on, f.place) = place_date(&segs);
    (f.parent, f.issuer) = header(&segs, f.doc_type.as_ref());
    (f.personal_ids, f.holder_ids) = personal_ids(&segs);
    f.holder_ids.extend(holder_tax_codes(&segs));
    for s in &segs {
        for m in DIGITS.find_iter(&s.text) {
            if m.as_str().len() != 12 {
                f.tax_codes
                    .push(s.field(m.as_str().to_owned(), m.start(), m.end()));
            }
        }
    }
    (f.signer_title, f.signer_name) = signer(&segs);
    f
}

/// `Số: …` at the start of a segment, else anywhere (first found).
fn number(segs: &[Segment]) -> Option<Field> {
    let found = |s: &Segment| {
        NUMBER.captures(&s.text).map(|c| {
            let m = c.get(1).expect("group 1");
            let start = c.get(0).expect("match").start();
            let value: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
            let value = value.trim_end_matches(['-', '/']).to_owned();
            (
                s.text[..start].trim().is_empty(),
                s.field(value, m.start(), m.end()),
            )
        })
    };
    let all: Vec<(bool, Field)> = segs.iter().filter_map(found).collect();
    all.iter()
        .find(|(leading, _)| *leading)
        .or(all.first())
        .map(|(_, f)| f.clone())
}

/// The heading in capitals naming the type, alone on its segment; a mark OCR lost
/// does not hide it.
fn doc_type(segs: &[Segment]) -> Option<Field> {
    for s in segs {
        if !s.is_capitals() {
            continue;
        }
        let folded = fold(s.text.trim());
        if let Some(t) = DOC_TYPES
            .iter()
            .find(|t| folded.starts_with(&fold(t.heading)))
            && s.text.trim().chars().count() <= t.heading.chars().count() + 40
        {
            let n = t.heading.split_whitespace().count();
            let end = s.spans.get(n - 1).map_or(s.text.len(), |sp| sp.1);
            return Some(s.field(t.name.to_owned(), 0, end));
        }
    }
    None
}

/// The first place-date line whose date exists: `YYYY-MM-DD` and the place.
fn place_date(segs: &[Segment]) -> (Option<Field>, Option<Field>) {
    for s in segs {
        for c in PLACE_DATE.captures_iter(&s.text) {
            let whole = c.get(0).expect("match");
            // A date inside a sentence (`Luật … ngày 19 tháng 6 năm 2015`) has no place
            // before it; a place-date line may start with `ngày` when the place is lost.
            let place = c.get(1).filter(|p| !fold(p.as_str()).starts_with("so "));
            if place.is_none() && !s.text[..whole.start()].trim().is_empty() {
                continue;
            }
            let (d, m, y): (u32, u32, u32) = (
                c[2].parse().unwrap_or(0),
                c[3].parse().unwrap_or(0),
                c[4].parse().unwrap_or(0),
            );
            if !grammar::is_date(y, m, d) || !(1945..=2100).contains(&y) {
                continue;
            }
            let date = s.field(
                format!("{y:04}-{m:02}-{d:02}"),
                c.get(2).expect("day").start(),
                whole.end(),
            );
            let place = place.map(|p| s.field(p.as_str().to_owned(), p.start(), p.end()));
            return (Some(date), place);
        }
    }
    (None, None)
}

/// The header's left column on page 1: (parent, issuer).
fn header(segs: &[Segment], doc_type: Option<&Field>) -> (Option<Field>, Option<Field>) {
    let page1: Vec<&Segment> = segs.iter().filter(|s| s.page == 0).collect();
    let Some(motto_at) = page1.iter().position(|s| is_motto(&s.text)) else {
        return (None, None);
    };
    let motto = page1[motto_at];
    // Pages given without word positions (all at the left edge) fall back on order.
    let geometry = page1.iter().any(|s| s.left != motto.left);
    // Where the header ends: the `Số:` line, or the heading.
    let heading_line = doc_type.and_then(|d| d.words.first()).map(|w| w.1);
    let number_at = page1
        .iter()
        .find(|s| NUMBER.is_match(&s.text) && fold(&s.text).starts_with("so"))
        .map(|s| s.top);
    let mut left: Vec<&Segment> = if geometry {
        let bottom = number_at.unwrap_or(motto.bottom + 4 * (motto.bottom - motto.top));
        page1
            .iter()
            .copied()
            .filter(|s| {
                s.right <= motto.left + (motto.right - motto.left) / 10
                    && s.top < bottom
                    // The left column begins level with the motto: a speck far above
                    // it (a hole, a staple) is not the header.
                    && s.bottom + (motto.bottom - motto.top) >= motto.top
                    && heading_line.is_none_or(|h| s.line < h)
                    && !is_motto(&s.text)
            })
            .collect()
    } else {
        Vec::new()
    };
    if left.is_empty() {
        // One column (the body's name above the motto), or no positions: the
        // capitalised lines above the motto.
        left = page1[..motto_at].to_vec();
    }
    left.sort_by_key(|s| s.top);
    // The block is capitals, from the top, up to the first line that is not; specks
    // OCR read in the margin (`|`, `F]`, `lÌ` level with the motto) are passed over,
    // and trimmed off line ends.
    let speck = |f: &Field| f.value.chars().filter(|c| c.is_alphabetic()).count() <= 2;
    let lines: Vec<(&Segment, Field)> = left
        .into_iter()
        .filter_map(|s| name_words(s).map(|f| (s, f)))
        .skip_while(|(s, f)| !s.is_capitals() && speck(f))
        .take_while(|(s, _)| {
            s.is_capitals() && !NUMBER.is_match(&s.text) && !grammar::is_number_label(&s.text)
        })
        .take(5)
        .collect();
    if lines.is_empty() {
        return (None, None);
    }
    // The issuer begins at the last line that begins a body's name (not the first).
    let begins_body = |f: &Field| {
        let t = f.value.trim().to_uppercase();
        // `TRƯỜNG` alone is the end of `… MÔI TRƯỜNG`, not a school.
        BODY_WORDS.iter().any(|w| t.starts_with(&format!("{w} ")))
    };
    let split = (1..lines.len())
        .rev()
        .find(|&i| begins_body(&lines[i].1))
        .unwrap_or(0);
    let fields: Vec<Field> = lines.into_iter().map(|(_, f)| f).collect();
    // A name wrapped onto two lines is one phrase: marks OCR lost are given back over
    // the whole name (`SỞ TÀI NGUYÊN VÀ` / `MỖI TRƯỜNG`).
    let restored = |f: Option<Field>| {
        f.map(|mut f| {
            let mut words: Vec<String> = f.value.split(' ').map(String::from).collect();
            crate::names::restore_words_near(&mut words);
            f.value = words.join(" ");
            // A word OCR garbled past that (`HUYÍ`, `PH`): the one known name it is near.
            if let Some(name) = crate::names::nearest_name(&f.value) {
                f.value = name;
            }
            f
        })
    };
    (
        restored(joined(&fields[..split])),
        restored(joined(&fields[split..])),
    )
}

/// A header line without the specks OCR read at its ends (`_ BỘ Y TẾ.` → `BỘ Y TẾ`):
/// words are kept from the first to the last that is a syllable or an abbreviation.
fn name_words(s: &Segment) -> Option<Field> {
    let word_ok = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        !w.is_empty()
            && w.chars().all(|c| c.is_alphabetic() || c == '-')
            && (grammar::is_syllable(w)
                || matches!(w, "-" | "UBND" | "HĐND" | "TP" | "TW")
                || (w.chars().count() >= 2
                    && w.chars().all(char::is_uppercase)
                    && !fold(w).contains(['a', 'e', 'i', 'o', 'u', 'y'])))
    };
    let words: Vec<&str> = s.spans.iter().map(|&(a, b)| &s.text[a..b]).collect();
    // A name neither begins nor ends with a dash (`- UBND HUYỆN …` is a list's).
    let named = |w: &&str| word_ok(w) && w.chars().any(char::is_alphabetic);
    let first = words.iter().position(named)?;
    // A numbered district or ward ends with its number (`UBND QUẬN 1`, `PHƯỜNG 12`).
    let numbered = |i: usize| {
        i > 0
            && words[i].len() <= 2
            && words[i].chars().all(|c| c.is_ascii_digit())
            && matches!(fold(words[i - 1]).as_str(), "quan" | "phuong")
    };
    let last = (first..words.len())
        .rev()
        .find(|&i| named(&words[i]) || numbered(i))?;
    let (start, end) = (s.spans[first].0, s.spans[last].1);
    let value = s.text[start..end]
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    Some(s.field(value, start, end))
}

/// Personal IDs on a holder line (`Số định danh cá nhân: …`, or the line after one
/// ending in those words) or below a table header naming the column.
/// Returns every personal ID found, and those of them on a holder line.
fn personal_ids(segs: &[Segment]) -> (Vec<Field>, Vec<Field>) {
    let names_id = |t: &str| {
        let f = fold(t);
        f.contains("dinh danh")
            || f.contains("cccd")
            || f.contains("can cuoc")
            || f.contains("cmnd")
    };
    let mut out: Vec<Field> = Vec::new();
    let mut holders: Vec<Field> = Vec::new();
    // (page, OCR line, bottom) of a table header naming the ID column.
    let mut table_from: Option<(usize, usize, u32)> = None;
    for (i, s) in segs.iter().enumerate() {
        let matches: Vec<_> = DIGITS
            .find_iter(&s.text)
            .filter(|m| grammar::is_personal_id(m.as_str()))
            .collect();
        if matches.is_empty() {
            // A table's header row names the column.
            if names_id(&s.text) && fold(&s.text).split_whitespace().count() <= 12 {
                table_from = Some((s.page, s.line, s.bottom));
            }
            continue;
        }
        for m in matches {
            let before = &s.text[..m.start()];
            let previous = i
                .checked_sub(1)
                .map(|j| &segs[j])
                .filter(|p| p.page == s.page)
                .map(|p| p.text.as_str())
                .unwrap_or("");
            let tail = |t: &str| {
                let f = fold(t);
                f.trim_end_matches([':', ' ', ','])
                    .ends_with("dinh danh ca nhan")
                    || f.trim_end_matches([':', ' ', ',']).ends_with("dinh danh")
            };
            let in_table =
                table_from.is_some_and(|(p, l, y)| p == s.page && s.line > l && s.top + 1 >= y);
            let labelled = names_id(before) || (before.trim().is_empty() && tail(previous));
            if labelled || in_table {
                let field = s.field(m.as_str().to_owned(), m.start(), m.end());
                if labelled && !in_table && !holders.iter().any(|o| o.value == field.value) {
                    holders.push(field.clone());
                }
                if !out.iter().any(|o| o.value == field.value) {
                    out.push(field);
                }
            }
        }
    }
    (out, holders)
}

/// Tax codes on a holder line: 10 digits, or 10 and a 3-digit branch, after
/// `Mã số thuế:` / `MST:` / `Mã số doanh nghiệp:` on the same line.
fn holder_tax_codes(segs: &[Segment]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for s in segs {
        // The numbers that are not 12-digit personal IDs: 10 digits, or 10 and a branch.
        for m in DIGITS.find_iter(&s.text).filter(|m| m.as_str().len() != 12) {
            let before = fold(&s.text[..m.start()]);
            let before = before.trim_end_matches([':', ' ', '.']);
            let labelled = ["ma so thue", "mst", "ma so doanh nghiep"]
                .iter()
                .any(|l| before.ends_with(l));
            let field = s.field(m.as_str().to_owned(), m.start(), m.end());
            if labelled && !out.iter().any(|o| o.value == field.value) {
                out.push(field);
            }
        }
    }
    out
}

/// The signer's title and name on the last page: the last title line, with the
/// delegation above it or the position below it (`KT. GIÁM ĐỐC` / `PHÓ GIÁM ĐỐC`), then
/// the name below in the same column.
fn signer(segs: &[Segment]) -> (Option<Field>, Option<Field>) {
    let Some(last_page) = segs.iter().map(|s| s.page).max() else {
        return (None, None);
    };
    let page: Vec<&Segment> = segs.iter().filter(|s| s.page == last_page).collect();
    let is_title = |s: &Segment| s.is_capitals() && SIGNER_TITLE.is_match(&fold(s.text.trim()));
    let Some(at) = page.iter().rposition(|s| is_title(s)) else {
        return (None, None);
    };
    let title = page[at];
    let height = (title.bottom - title.top).max(1);
    let near = |s: &Segment, below: bool| {
        s.same_column(title)
            && if below {
                s.top >= title.top && s.top <= title.bottom + 2 * height
            } else {
                s.top < title.top && s.bottom + 2 * height >= title.top
            }
    };
    // Without positions (all words at one height) the neighbours in reading order.
    let flat = page.iter().all(|s| s.top == title.top);
    let mut parts = vec![title.whole()];
    let delegated = |s: &Segment| DELEGATED.is_match(&fold(s.text.trim()));
    if !delegated(title)
        && let Some(above) = page[..at]
            .iter()
            .rev()
            .find(|s| flat || near(s, false))
            .filter(|s| is_title(s) && delegated(s))
    {
        parts.insert(0, above.whole());
    } else if delegated(title)
        && let Some(below) = page[at + 1..]
            .iter()
            .find(|s| flat || near(s, true))
            .filter(|s| is_title(s))
    {
        parts.push(below.whole());
    }
    let name = page[at + 1..]
        .iter()
        .filter(|s| s.same_column(title) && s.top >= title.top)
        .find(|s| {
            let words: Vec<&str> = s.text.split_whitespace().collect();
            (2..=5).contains(&words.len())
                && words.iter().all(|w| {
                    w.chars().all(char::is_alphabetic)
                        && w.chars().next().is_some_and(char::is_uppercase)
                        && grammar::is_syllable(w)
                })
                && !is_title(s)
        })
        .map(|s| s.whole());
    (joined(&parts), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::{Line, Word};

    fn page(text: &str) -> PageText {
        let lines = text
            .lines()
            .map(|l| Line {
                left: 0,
                top: 0,
                width: 100,
                height: 10,
                words: l
                    .split_whitespace()
                    .map(|w| Word {
                        text: w.into(),
                        left: 0,
                        top: 0,
                        width: 1,
                        height: 1,
                        confidence: 90.0,
                    })
                    .collect(),
            })
            .collect();
        PageText { lines }
    }

    const DECISION: &str = "ỦY BAN NHÂN DÂN
TỈNH BẮC NINH
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 1234/QĐ-UBND
Bắc Ninh, ngày 12 tháng 3 năm 2021
QUYẾT ĐỊNH
Về việc cấp giấy phép xây dựng
Điều 1. Cấp cho ông Nguyễn Văn An, số định danh cá nhân 001203004567,
doanh nghiệp mã số thuế 0100109106-001.";

    #[test]
    fn the_fields_of_a_decision_are_found_with_their_words() {
        let f = extract(&[page(DECISION)]);
        let number = f.number.unwrap();
        assert_eq!(number.value, "1234/QĐ-UBND");
        assert_eq!(number.words, vec![(0, 4, 1)]);
        assert_eq!(number.confidence, 90.0);
        assert_eq!(f.issued_on.unwrap().value, "2021-03-12");
        assert_eq!(f.place.unwrap().value, "Bắc Ninh");
        assert_eq!(f.doc_type.unwrap().value, "Quyết định");
        assert_eq!(f.issuer.unwrap().value, "ỦY BAN NHÂN DÂN TỈNH BẮC NINH");
        assert_eq!(
            f.personal_ids
                .iter()
                .map(|p| p.value.as_str())
                .collect::<Vec<_>>(),
            ["001203004567"]
        );
        assert_eq!(
            f.tax_codes
                .iter()
                .map(|p| p.value.as_str())
                .collect::<Vec<_>>(),
            ["0100109106-001"]
        );
    }

    #[test]
    fn a_date_that_cannot_exist_is_not_a_date() {
        let f = extract(&[page("Hà Nội, ngày 45 tháng 13 năm 2021")]);
        assert!(f.issued_on.is_none());
        // A keyword that lost or changed a mark still reads.
        let f = extract(&[page("Hà Nội, ngày 05 tháng 3 nắm 2021")]);
        assert_eq!(f.issued_on.unwrap().value, "2021-03-05");
        assert_eq!(f.place.unwrap().value, "Hà Nội");
    }

    #[test]
    fn a_text_without_fields_gives_none() {
        let f = extract(&[page("một trang trắng\ncó vài chữ")]);
        assert_eq!(f, Fields::default());
    }

    /// A line of words at `top`, each `(text, left)`, 40 px high, 20 px per letter.
    fn placed(top: u32, words: &[(&str, u32)]) -> Line {
        Line {
            left: words[0].1,
            top,
            width: 100,
            height: 40,
            words: words
                .iter()
                .map(|&(t, left)| Word {
                    text: t.into(),
                    left,
                    top,
                    width: 20 * t.chars().count() as u32,
                    height: 40,
                    confidence: 91.0,
                })
                .collect(),
        }
    }

    #[test]
    fn a_speck_above_the_header_and_marks_lost_across_a_wrapped_name() {
        let page = PageText {
            lines: vec![
                // A staple's shadow read as a word, far above the header.
                placed(20, &[("lỄ", 420)]),
                placed(
                    200,
                    &[
                        // A hole's edge in the margin, level with the motto.
                        ("lÌ", 60),
                        ("UBND", 400),
                        ("TĨNH", 500),
                        ("HÀ", 600),
                        ("NAM", 680),
                        ("CỘNG", 900),
                        ("HÒA", 1000),
                        ("XÃ", 1080),
                        ("HỘI", 1140),
                        ("CHỦ", 1220),
                        ("NGHĨA", 1300),
                        ("VIỆT", 1420),
                        ("NAM", 1520),
                    ],
                ),
                placed(
                    260,
                    &[("SỞ", 420), ("TÀI", 480), ("NGUYÊN", 560), ("VÀ", 700)],
                ),
                placed(300, &[("MỖI", 440), ("TRƯỜNG", 520)]),
                placed(400, &[("Số:", 420), ("12/GCN-STNMT", 500)]),
                placed(480, &[("GIẤY", 800), ("CHỨNG", 900), ("NHẬN", 1040)]),
            ],
        };
        let f = extract(&[page]);
        assert_eq!(f.parent.unwrap().value, "UBND TỈNH HÀ NAM");
        let issuer = f.issuer.unwrap();
        assert_eq!(issuer.value, "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG");
        assert_eq!(issuer.words.len(), 6);
    }

    #[test]
    fn a_numbered_district_keeps_its_number() {
        let f = extract(&[page(
            "UBND QUẬN 1
ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Số: 12/TB-UBND",
        )]);
        assert_eq!(f.parent.map(|p| p.value).as_deref(), Some("UBND QUẬN 1"));
        assert_eq!(
            f.issuer.map(|p| p.value).as_deref(),
            Some("ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ")
        );
    }

    #[test]
    fn header_columns_sharing_lines_give_the_agency_and_its_parent() {
        // As Tesseract reads a Decree 30 header: the columns share lines, and the left
        // column's last word ran into the motto's first.
        let page = PageText {
            lines: vec![
                placed(
                    200,
                    &[
                        ("|", 5),
                        ("UBND", 400),
                        ("TỈNH", 500),
                        ("QUẢNG", 600),
                        ("NAMCỘNG", 720),
                        ("HÒA", 880),
                        ("XÃ", 960),
                        ("HỘI", 1020),
                        ("CHỦ", 1100),
                        ("NGHĨA", 1180),
                        ("VIỆT", 1300),
                        ("NAM", 1400),
                    ],
                ),
                placed(
                    260,
                    &[
                        ("SỞ", 420),
                        ("GIAO", 480),
                        ("THÔNG", 580),
                        ("VẬN", 700),
                        ("TẢI", 780),
                        ("Độc", 960),
                        ("lập", 1040),
                        ("-", 1120),
                        ("Tự", 1150),
                        ("do", 1210),
                        ("-", 1260),
                        ("Hạnh", 1290),
                        ("phúc", 1390),
                    ],
                ),
                placed(
                    340,
                    &[
                        ("Số:", 420),
                        ("355/GP-SGTVT", 500),
                        ("Tam", 960),
                        ("Kỳ,", 1040),
                        ("ngày", 1120),
                        ("27", 1220),
                        ("tháng", 1280),
                        ("11", 1400),
                        ("năm", 1460),
                        ("2021", 1540),
                    ],
                ),
                placed(420, &[("GIẤY", 800), ("PHÉP", 900)]),
                placed(900, &[("KT.", 1000), ("GIÁM", 1080), ("ĐỐC", 1180)]),
                placed(950, &[("PHÓ", 1000), ("GIÁM", 1080), ("ĐỐC", 1180)]),
                placed(1150, &[("Lê", 1000), ("Hữu", 1060), ("Hà", 1140)]),
            ],
        };
        let f = extract(&[page]);
        assert_eq!(f.issuer.unwrap().value, "SỞ GIAO THÔNG VẬN TẢI");
        let parent = f.parent.unwrap();
        assert_eq!(parent.value, "UBND TỈNH QUẢNG NAM");
        // The word cut in two is one source word.
        assert_eq!(
            parent.words,
            vec![(0, 0, 1), (0, 0, 2), (0, 0, 3), (0, 0, 4)]
        );
        assert_eq!(f.place.unwrap().value, "Tam Kỳ");
        assert_eq!(f.issued_on.unwrap().value, "2021-11-27");
        assert_eq!(f.number.unwrap().value, "355/GP-SGTVT");
        assert_eq!(f.doc_type.unwrap().value, "Giấy phép");
        assert_eq!(f.signer_title.unwrap().value, "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC");
        assert_eq!(f.signer_name.unwrap().value, "Lê Hữu Hà");
    }

    #[test]
    fn personal_ids_need_their_label_or_column_and_a_province_code() {
        let f = extract(&[page(
            "Số định danh cá nhân: 001203004567
STT Họ và tên Số định danh Ghi chú
1 Nguyễn Văn An 079199001234 Chủ hộ
2 Lê Thị Hà 003199001234",
        )]);
        let ids: Vec<&str> = f.personal_ids.iter().map(|p| p.value.as_str()).collect();
        // 003 is no province code.
        assert_eq!(ids, ["001203004567", "079199001234"]);
        // The holder is the labelled one, not the people of the table.
        let holders: Vec<&str> = f.holder_ids.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(holders, ["001203004567"]);
        // Twelve digits with no label and no ID column are not an ID.
        let f = extract(&[page("Hồ sơ lưu trữ 001203004567 tại kho")]);
        assert!(f.personal_ids.is_empty());
        assert!(f.holder_ids.is_empty());
    }

    #[test]
    fn a_tax_code_after_its_label_names_the_holder() {
        let f = extract(&[page(
            "Tên doanh nghiệp: CÔNG TY TNHH AN PHÚ
Mã số thuế: 0312345678
Chi nhánh, mã số doanh nghiệp: 0312345678-001
Hợp đồng số 0398765432 ngày 01/02/2023",
        )]);
        let holders: Vec<&str> = f.holder_ids.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(holders, ["0312345678", "0312345678-001"]);
    }
}
