//! Text as search compares it: exact (lower-case, NFC) and folded (no diacritics).

use unicode_normalization::UnicodeNormalization;

/// Lower-case, NFC, and everything that is not a letter or digit becomes a space.
pub fn exact(s: &str) -> String {
    let lower: String = s.nfc().flat_map(char::to_lowercase).collect();
    words(&lower).join(" ")
}

/// Lower-case, without diacritics, `đ` → `d`, words separated by single spaces.
pub fn fold(s: &str) -> String {
    words(&without_marks(s).to_lowercase()).join(" ")
}

/// `s` with its marks taken off (`Quyết định` → `Quyet dinh`, `Đ` → `D`), case and
/// punctuation kept: an ASCII fallback for a file name.
pub fn without_marks(s: &str) -> String {
    s.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// A download's name for people: type, number and date (`Quyết định 12-QĐ-UBND
/// 2023-03-05.pdf`), or `fallback` when the record has none of them. Characters a file
/// system refuses (`/`, `\`, `:`, quotes, controls) become `-`.
pub fn download_name(parts: [Option<&str>; 3], fallback: &str, ext: &str) -> String {
    let parts: Vec<&str> = parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let stem = if parts.is_empty() {
        fallback.to_owned()
    } else {
        parts.join(" ")
    };
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '-'
            } else {
                c
            }
        })
        .take(120)
        .collect();
    format!("{stem}.{ext}")
}

fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_by_type_number_and_date() {
        assert_eq!(
            download_name(
                [Some("Quyết định"), Some("12/QĐ-UBND"), Some("2023-03-05")],
                "x",
                "pdf"
            ),
            "Quyết định 12-QĐ-UBND 2023-03-05.pdf"
        );
        assert_eq!(
            download_name([None, Some(" "), None], "abc", "pdf"),
            "abc.pdf"
        );
        assert_eq!(
            download_name([Some("a\"b\\c:\r\n"), None, None], "x", "pdf"),
            "a-b-c-.pdf"
        );
        assert_eq!(without_marks("Quyết định 12/QĐ"), "Quyet dinh 12/QD");
    }
}
