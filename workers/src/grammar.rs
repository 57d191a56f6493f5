//! grammar: what the parts of a Vietnamese administrative result may look like.
//!
//! - Document types by their heading, with the abbreviation Decree 30/2020 (Appendix
//!   III) gives them in the number and symbol, e.g. `QUYẾT ĐỊNH` → `QĐ`.
//! - The number and symbol, `123/QĐ-UBND` or `01/2023/TT-BCA`: a number, an optional
//!   year, the type's abbreviation, and the issuing body's abbreviation, which is the
//!   initials of its name (`SỞ KẾ HOẠCH VÀ ĐẦU TƯ` → `SKHĐT`, `ỦY BAN NHÂN DÂN …` →
//!   `UBND…`). [`check_number`] says what fails and proposes the likely correction.
//! - Dates that exist, on or before today.
//! - Personal IDs: 12 digits starting with a province code (Circular 59/2021/TT-BCA).
//! - Vietnamese syllables, to tell a page read the right way up from one read upside
//!   down (which Tesseract turns into non-words that may still score well).

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// A document type: its heading, how it is written in prose, and its abbreviation in
/// the number and symbol (`None` where Decree 30 gives none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocType {
    pub heading: &'static str,
    pub name: &'static str,
    pub abbreviation: Option<&'static str>,
}

const fn t(heading: &'static str, name: &'static str, abbr: &'static str) -> DocType {
    DocType {
        heading,
        name,
        abbreviation: if abbr.is_empty() { None } else { Some(abbr) },
    }
}

/// Headings, longest first where one begins another (`GIẤY CHỨNG NHẬN` before
/// `CHỨNG NHẬN` is not needed: headings are matched from the line's start).
pub const DOC_TYPES: &[DocType] = &[
    t("QUYẾT ĐỊNH", "Quyết định", "QĐ"),
    t("NGHỊ QUYẾT", "Nghị quyết", "NQ"),
    t("CHỈ THỊ", "Chỉ thị", "CT"),
    t("QUY CHẾ", "Quy chế", "QC"),
    t("QUY ĐỊNH", "Quy định", "QyĐ"),
    t("THÔNG CÁO", "Thông cáo", "TC"),
    t("THÔNG BÁO", "Thông báo", "TB"),
    t("HƯỚNG DẪN", "Hướng dẫn", "HD"),
    t("CHƯƠNG TRÌNH", "Chương trình", "CTr"),
    t("KẾ HOẠCH", "Kế hoạch", "KH"),
    t("PHƯƠNG ÁN", "Phương án", "PA"),
    t("ĐỀ ÁN", "Đề án", "ĐA"),
    t("DỰ ÁN", "Dự án", "DA"),
    t("BÁO CÁO", "Báo cáo", "BC"),
    t("BIÊN BẢN", "Biên bản", "BB"),
    t("TỜ TRÌNH", "Tờ trình", "TTr"),
    t("HỢP ĐỒNG", "Hợp đồng", "HĐ"),
    t("CÔNG ĐIỆN", "Công điện", "CĐ"),
    t("GIẤY ỦY QUYỀN", "Giấy ủy quyền", "GUQ"),
    t("GIẤY MỜI", "Giấy mời", "GM"),
    t("GIẤY GIỚI THIỆU", "Giấy giới thiệu", "GGT"),
    t("GIẤY CHỨNG NHẬN", "Giấy chứng nhận", "GCN"),
    t("GIẤY PHÉP", "Giấy phép", "GP"),
    t("GIẤY XÁC NHẬN", "Giấy xác nhận", "GXN"),
    t("GIẤY KHAI SINH", "Giấy khai sinh", ""),
    t("GIẤY ĐĂNG KÝ", "Giấy đăng ký", ""),
    t("CHỨNG NHẬN", "Chứng nhận", "CN"),
];

/// The type whose prose name is `name` (as [`crate::extract::Fields::doc_type`] holds it).
pub fn doc_type_named(name: &str) -> Option<&'static DocType> {
    let name = name.to_lowercase();
    DOC_TYPES.iter().find(|t| t.name.to_lowercase() == name)
}

/// Words of a body's name that its initials skip.
const NOT_INITIALS: &[&str] = &["VÀ", "-", "–", "&"];

/// The initials of a body's name: `SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI` → `SLĐTBXH`.
/// A name already abbreviated (`UBND TỈNH NINH BÌNH`) keeps its abbreviation.
pub fn initials(name: &str) -> String {
    let mut out = String::new();
    for word in name.split_whitespace() {
        let upper = word.to_uppercase();
        if NOT_INITIALS.contains(&upper.as_str()) {
            continue;
        }
        let letters: String = upper.chars().filter(|c| c.is_alphanumeric()).collect();
        if letters == "UBND" || letters == "HĐND" {
            out.push_str(&letters);
        } else if let Some(c) = letters.chars().next() {
            // Initials are written without marks, except Đ: `ỦY BAN` → `UB`.
            match c {
                'Đ' => out.push('Đ'),
                c => out.extend(c.to_string().nfd().take(1)),
            }
        }
    }
    out
}

/// Why a number and symbol fails its grammar, and the likely correction if one can be
/// told.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberProblem {
    pub message: String,
    pub suggestion: Option<String>,
}

static NUMBER_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,6})/(?:(\d{4})/)?([\p{Lu}][\p{Lu}yr]*)-([\p{Lu}0-9]+(?:-[\p{Lu}0-9]+)*)$")
        .unwrap()
});
static NUMBER_LOOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,6})\s*/\s*(?:(\d{4})\s*/\s*)?([^-/]+)-(.+)$").unwrap());

/// Check a number and symbol against Decree 30: its shape, the type's abbreviation
/// (against the heading's when the type is known) and the issuing body's (against the
/// initials of `issuer` when it is known).
pub fn check_number(
    number: &str,
    doc_type: Option<&DocType>,
    issuer: Option<&str>,
) -> Result<(), NumberProblem> {
    let expected_type = doc_type.and_then(|t| t.abbreviation);
    let expected_body = issuer.map(initials).filter(|i| i.chars().count() >= 2);
    if fits(number, doc_type, expected_body.as_deref()) {
        return Ok(());
    }
    let body_fits = |body: &str| body_fits(body, expected_body.as_deref());
    // Something does not fit: say what, and rebuild the number from its parts.
    let suggestion = NUMBER_LOOSE.captures(number).and_then(|c| {
        let year = c
            .get(2)
            .map(|y| format!("{}/", y.as_str()))
            .unwrap_or_default();
        let kind_read = c[3].trim();
        let kind = expected_type
            .map(str::to_owned)
            .or_else(|| nearest_abbreviation(kind_read))?;
        let body_read = c[4].trim().replace(' ', "");
        let body = match &expected_body {
            Some(e) if !body_fits(&body_read) => {
                let first = body_read.split('-').next().unwrap_or(&body_read);
                let rest = &body_read[first.len()..];
                // Only a slip (a lost mark, one wrong letter) is corrected; a different
                // abbreviation is a question for the reviewer.
                let candidate = nearest_prefix(first, e)?;
                format!("{candidate}{rest}")
            }
            _ => body_read,
        };
        let fixed = format!("{}/{year}{kind}-{body}", &c[1]);
        (fixed != number && fits(&fixed, doc_type, expected_body.as_deref())).then_some(fixed)
    });
    let message = match (expected_type, &expected_body) {
        (Some(e), _) if !number.contains(&format!("/{e}-")) => format!(
            "the number and symbol {number:?} does not carry {e}, the abbreviation of the document's type"
        ),
        (_, Some(e)) => format!(
            "the number and symbol {number:?} does not follow Decree 30 (number/TYPE-BODY, the body's abbreviation being {e})"
        ),
        _ => {
            format!("the number and symbol {number:?} does not follow Decree 30 (number/TYPE-BODY)")
        }
    };
    Err(NumberProblem {
        message,
        suggestion,
    })
}

/// Whether the issuing body's part of a symbol begins with `expected`'s initials.
fn body_fits(body: &str, expected: Option<&str>) -> bool {
    expected.is_none_or(|e| {
        let first = body.split('-').next().unwrap_or(body);
        first.chars().count() >= 2 && e.starts_with(first)
    })
}

/// Whether `number` has Decree 30's shape, the type's abbreviation and the body's.
fn fits(number: &str, doc_type: Option<&DocType>, expected_body: Option<&str>) -> bool {
    let Some(c) = NUMBER_SHAPE.captures(number) else {
        return false;
    };
    let (kind, body) = (&c[3], &c[4]);
    let kind_fits = match doc_type.and_then(|t| t.abbreviation) {
        Some(e) => kind == e,
        None => doc_type.is_some() || DOC_TYPES.iter().any(|t| t.abbreviation == Some(kind)),
    };
    kind_fits && body_fits(body, expected_body)
}

/// The type abbreviation `read` is likely to be: the same letters without marks
/// (`QD` → `QĐ`), or one letter away (`QĐÐ` → `QĐ`).
fn nearest_abbreviation(read: &str) -> Option<String> {
    let read = read.replace('Ð', "Đ");
    let mut best: Option<(usize, &str)> = None;
    for abbr in DOC_TYPES.iter().filter_map(|t| t.abbreviation) {
        let d = if fold(abbr) == fold(&read) {
            0
        } else {
            edit_distance(abbr, &read)
        };
        if d <= 1 && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, abbr));
        }
    }
    best.map(|(_, a)| a.to_owned())
}

/// The prefix of `initials` (at least as long as `read`'s first part) that `read` is a
/// slip of, if any.
fn nearest_prefix(read: &str, initials: &str) -> Option<String> {
    let read = read.replace('Ð', "Đ");
    let n = read.chars().count();
    let full: Vec<char> = initials.chars().collect();
    for len in [n, n.saturating_sub(1), n + 1] {
        if len < 2 || len > full.len() {
            continue;
        }
        let prefix: String = full[..len].iter().collect();
        if fold(&prefix) == fold(&read) || edit_distance(&prefix, &read) <= 1 {
            return Some(prefix);
        }
    }
    None
}

/// Lower case without diacritics, `đ` as `d`: how words are compared when OCR may have
/// lost a mark.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' | 'Ð' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Province codes that begin a personal ID (Circular 59/2021/TT-BCA, Annex I).
pub const PROVINCE_CODES: &[u16] = &[
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Whether `text` begins with the number's label, `Số:` or `Số` before its digits
/// (`Số: 45QĐÐ-SKHĐT`, `Số 12/…`), even when the number fails the grammar — and not
/// `SỞ …`, which folds alike but has neither a colon nor a digit after it.
pub fn is_number_label(text: &str) -> bool {
    fold(text.trim_start())
        .strip_prefix("so")
        .is_some_and(|rest| {
            rest.trim_start()
                .starts_with(|c: char| c == ':' || c.is_ascii_digit())
        })
}

/// Twelve digits that begin with a province code.
pub fn is_personal_id(s: &str) -> bool {
    s.len() == 12
        && s.bytes().all(|b| b.is_ascii_digit())
        && s[..3]
            .parse::<u16>()
            .is_ok_and(|p| PROVINCE_CODES.contains(&p))
}

/// Whether (year, month, day) is a day of the calendar.
pub fn is_date(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Today's (year, month, day) in UTC+7 (Vietnam's time), from the system clock.
pub fn today() -> (u32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        + 7 * 3600;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    (y as u32, m, d)
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

static SYLLABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:ngh|ng|gh|gi|ch|kh|nh|ph|qu|th|tr|[bcdđghklmnprstvx])?",
        r"(?:uyê|uya|uyu|oai|oay|oeo|uây|uôi|ươi|ươu|iêu|yêu|",
        r"ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi|oo|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê|",
        r"[aăâeêioôơuưy])",
        r"(?:ch|ng|nh|[cmnpt])?$"
    ))
    .unwrap()
});

/// Whether `word` (letters only, any case, with or without tone marks) is a possible
/// Vietnamese syllable.
pub fn is_syllable(word: &str) -> bool {
    // Drop the five tone marks, keep the vowel marks (â, ă, ê, ô, ơ, ư).
    let bare: String = word
        .to_lowercase()
        .nfd()
        .filter(|c| !matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}'))
        .nfc()
        .collect();
    SYLLABLE.is_match(&bare)
}

/// The share of the alphabetic words of `words` (punctuation around them trimmed)
/// that are Vietnamese syllables, and how many words were counted.
pub fn syllable_share<'a>(words: impl IntoIterator<Item = &'a str>) -> (f32, usize) {
    let (mut yes, mut all) = (0usize, 0usize);
    for w in words {
        let w = w.trim_matches(|c: char| !c.is_alphabetic());
        if w.is_empty() || !w.chars().all(char::is_alphabetic) {
            continue;
        }
        all += 1;
        yes += usize::from(is_syllable(w));
    }
    (yes as f32 / all.max(1) as f32, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision() -> Option<&'static DocType> {
        doc_type_named("Quyết định")
    }

    #[test]
    fn initials_skip_and_and_dashes() {
        assert_eq!(initials("SỞ KẾ HOẠCH VÀ ĐẦU TƯ"), "SKHĐT");
        assert_eq!(initials("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"), "SLĐTBXH");
        assert_eq!(initials("ỦY BAN NHÂN DÂN PHƯỜNG HÀNG BẠC"), "UBNDPHB");
        assert_eq!(initials("UBND TỈNH NINH BÌNH"), "UBNDTNB");
    }

    #[test]
    fn numbers_that_follow_decree_30_pass() {
        assert!(check_number("915/QĐ-SXD", decision(), Some("SỞ XÂY DỰNG")).is_ok());
        assert!(
            check_number(
                "12/2023/QĐ-UBND",
                decision(),
                Some("ỦY BAN NHÂN DÂN XÃ ĐA TỐN")
            )
            .is_ok()
        );
        assert!(check_number("7/TTr-UBND", None, None).is_ok());
        assert!(
            check_number(
                "44/GCN-SYT",
                doc_type_named("Giấy chứng nhận"),
                Some("SỞ Y TẾ TỈNH BẮC NINH")
            )
            .is_ok()
        );
    }

    #[test]
    fn slips_in_a_number_fail_with_the_likely_correction() {
        let p = check_number("915/QD-SXD", decision(), Some("SỞ XÂY DỰNG")).unwrap_err();
        assert_eq!(p.suggestion.as_deref(), Some("915/QĐ-SXD"));
        let p =
            check_number("1903/QĐÐ-SKHĐT", decision(), Some("SỞ KẾ HOẠCH VÀ ĐẦU TƯ")).unwrap_err();
        assert_eq!(p.suggestion.as_deref(), Some("1903/QĐ-SKHĐT"));
        let p =
            check_number("1903/QĐ-SKHDT", decision(), Some("SỞ KẾ HOẠCH VÀ ĐẦU TƯ")).unwrap_err();
        assert_eq!(p.suggestion.as_deref(), Some("1903/QĐ-SKHĐT"));
        // Without a heading the nearest abbreviation of the table is offered.
        let p = check_number("5/QD-UBND", None, None).unwrap_err();
        assert_eq!(p.suggestion.as_deref(), Some("5/QĐ-UBND"));
        // A body abbreviation unlike the issuer's is held, with nothing to propose.
        let p = check_number("5/QĐ-BTC", decision(), Some("SỞ XÂY DỰNG")).unwrap_err();
        assert!(p.message.contains("SXD"), "{}", p.message);
        assert_eq!(p.suggestion, None);
        // A type that is not the heading's.
        let p = check_number("5/TB-SXD", decision(), Some("SỞ XÂY DỰNG")).unwrap_err();
        assert!(p.message.contains("QĐ"), "{}", p.message);
    }

    #[test]
    fn personal_ids_need_a_province_code() {
        assert!(is_personal_id("001203004567"));
        assert!(!is_personal_id("003203004567"));
        assert!(!is_personal_id("00120300456"));
    }

    #[test]
    fn dates_exist_and_today_is_a_date() {
        assert!(is_date(2024, 2, 29));
        assert!(!is_date(2023, 2, 29));
        assert!(!is_date(2023, 4, 31));
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_454), (2026, 1, 1));
        let (y, m, d) = today();
        assert!(is_date(y, m, d) && y >= 2026);
    }

    #[test]
    fn vietnamese_reads_as_syllables_and_upside_down_text_does_not() {
        let (share, n) =
            syllable_share("Căn cứ Luật Tổ chức chính quyền địa phương ngày".split(' '));
        assert_eq!((share, n), (1.0, 10));
        // What Tesseract makes of a line upside down.
        let (share, n) = syllable_share("xzq ọuọ ƃuọp nnưk qpọ ĩlẹ".split(' '));
        assert_eq!((share, n), (0.0, 6));
        assert!(!is_syllable("xyz"));
        assert!(is_syllable("nghiêng") && is_syllable("QUYẾT") && is_syllable("đường"));
    }
}
