//! Text as search compares it: exact (lower-case, NFC) and folded (no diacritics).

use unicode_normalization::UnicodeNormalization;

/// Lower-case, NFC, and everything that is not a letter or digit becomes a space.
pub fn exact(s: &str) -> String {
    let lower: String = s.nfc().flat_map(char::to_lowercase).collect();
    words(&lower).join(" ")
}

/// Lower-case, without diacritics, `đ` → `d`, words separated by single spaces.
pub fn fold(s: &str) -> String {
    let stripped: String = s
        .nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    words(&stripped).join(" ")
}

fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}
