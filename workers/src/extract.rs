//! extract: fields of a Vietnamese administrative result from its OCR lines.
//!
//! Each field carries its value, a confidence (the lowest confidence of the words it came
//! from) and those words, as (page, line, word) indices into the pipeline's page texts:
//! number and symbol (`Số: 1234/QĐ-UBND`), place and date of issue (`Hà Nội, ngày 12
//! tháng 3 năm 2021`), issuing body (the header block above the national motto), document
//! type (the heading: Quyết định, Giấy chứng nhận, …), and the personal IDs and tax codes
//! that appear in the text. Identifiers are found by shape here; the service checks them
//! with its domain types.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

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
    /// Issuing body, the header lines joined, e.g. `ỦY BAN NHÂN DÂN TỈNH BẮC NINH`.
    pub issuer: Option<Field>,
    /// Document type as it is usually written, e.g. `Quyết định`.
    pub doc_type: Option<Field>,
    /// 12-digit numbers: candidate personal IDs.
    pub personal_ids: Vec<Field>,
    /// 10-digit (or 10-3) numbers: candidate tax codes.
    pub tax_codes: Vec<Field>,
}

/// Document types by the heading that names them, and how the type is written.
const TYPES: &[(&str, &str)] = &[
    ("QUYẾT ĐỊNH", "Quyết định"),
    ("GIẤY CHỨNG NHẬN", "Giấy chứng nhận"),
    ("GIẤY PHÉP", "Giấy phép"),
    ("GIẤY KHAI SINH", "Giấy khai sinh"),
    ("GIẤY XÁC NHẬN", "Giấy xác nhận"),
    ("CHỨNG NHẬN", "Chứng nhận"),
    ("THÔNG BÁO", "Thông báo"),
    ("GIẤY ĐĂNG KÝ", "Giấy đăng ký"),
];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bs[ốoô][:.]?\s*(\d{1,6}\s*/\s*(?:\d{4}\s*/\s*)?[\p{Lu}Đ0-9][\p{Lu}Đ0-9\-/]*)")
        .unwrap()
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|,)\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})").unwrap()
});
static DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{10}(?:-\d{3})?|\d{12})\b").unwrap());

/// One line's text with the character span of each word.
struct LineText {
    text: String,
    spans: Vec<(usize, usize)>,
    confidences: Vec<f32>,
    at: (usize, usize),
}

impl LineText {
    fn field(&self, value: String, start: usize, end: usize) -> Field {
        let mut words = Vec::new();
        let mut confidence = 100f32;
        for (i, &(s, e)) in self.spans.iter().enumerate() {
            if s < end && e > start {
                words.push((self.at.0, self.at.1, i));
                confidence = confidence.min(self.confidences[i]);
            }
        }
        Field {
            value,
            confidence,
            words,
        }
    }
}

fn lines(pages: &[PageText]) -> Vec<LineText> {
    let mut out = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (l, line) in page.lines.iter().enumerate() {
            let mut text = String::new();
            let mut spans = Vec::new();
            for w in &line.words {
                if !text.is_empty() {
                    text.push(' ');
                }
                let start = text.len();
                text.push_str(&w.text);
                spans.push((start, text.len()));
            }
            let confidences = line.words.iter().map(|w| w.confidence).collect();
            out.push(LineText {
                text,
                spans,
                confidences,
                at: (p, l),
            });
        }
    }
    out
}

/// Find the fields in what OCR read.
pub fn extract(pages: &[PageText]) -> Fields {
    let lines = lines(pages);
    let mut f = Fields::default();
    for line in &lines {
        if f.number.is_none()
            && let Some(c) = NUMBER.captures(&line.text)
        {
            let m = c.get(1).expect("group 1");
            let value: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
            f.number = Some(line.field(value, m.start(), m.end()));
        }
        if f.issued_on.is_none()
            && let Some(c) = DATE.captures(&line.text)
        {
            let (d, m, y): (u32, u32, u32) = (
                c[1].parse().unwrap_or(0),
                c[2].parse().unwrap_or(0),
                c[3].parse().unwrap_or(0),
            );
            if (1..=31).contains(&d) && (1..=12).contains(&m) && (1900..=2100).contains(&y) {
                let whole = c.get(0).expect("match");
                f.issued_on =
                    Some(line.field(format!("{y:04}-{m:02}-{d:02}"), whole.start(), whole.end()));
                let place = line.text[..whole.start()]
                    .trim()
                    .trim_end_matches(',')
                    .trim();
                if !place.is_empty() {
                    f.place = Some(line.field(place.to_owned(), 0, place.len()));
                }
            }
        }
        if f.doc_type.is_none() {
            let upper = line.text.to_uppercase();
            if let Some((heading, name)) = TYPES
                .iter()
                .find(|(h, _)| upper.trim_start().starts_with(h))
            {
                // A heading stands alone on its line, in capitals.
                if line.text.trim() == upper.trim() && line.text.trim().len() <= heading.len() + 40
                {
                    f.doc_type = Some(line.field((*name).to_owned(), 0, heading.len()));
                }
            }
        }
        for m in DIGITS.find_iter(&line.text) {
            let field = line.field(m.as_str().to_owned(), m.start(), m.end());
            if m.as_str().len() == 12 {
                f.personal_ids.push(field);
            } else {
                f.tax_codes.push(field);
            }
        }
    }
    f.issuer = issuer(&lines);
    f
}

/// The header block: capitalised lines at the top of page 1, above the national motto
/// (`CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`) and not part of it.
fn issuer(lines: &[LineText]) -> Option<Field> {
    let mut parts = Vec::new();
    let mut words = Vec::new();
    let mut confidence = 100f32;
    for line in lines.iter().filter(|l| l.at.0 == 0).take(6) {
        let t = line.text.trim();
        let upper = t.to_uppercase();
        if upper.starts_with("CỘNG HÒA")
            || upper.starts_with("CỘNG HOÀ")
            || upper.starts_with("ĐỘC LẬP")
        {
            break;
        }
        if t.is_empty() || t != upper || !t.chars().any(char::is_alphabetic) {
            break;
        }
        parts.push(t.to_owned());
        let f = line.field(String::new(), 0, t.len());
        confidence = confidence.min(f.confidence);
        words.extend(f.words);
    }
    (!parts.is_empty()).then(|| Field {
        value: parts.join(" "),
        confidence,
        words,
    })
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
    }

    #[test]
    fn a_text_without_fields_gives_none() {
        let f = extract(&[page("một trang trắng\ncó vài chữ")]);
        assert_eq!(f, Fields::default());
    }
}
