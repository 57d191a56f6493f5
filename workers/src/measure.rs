//! measure: how good a text layer is, for tests, benchmarks and measurement tools.
//!
//! [`cer`] is the character error rate against ground truth after NFC normalization and
//! whitespace collapsing; [`pdftotext`] extracts a PDF's text with poppler's `pdftotext`,
//! the way a user's tools would see it.

use unicode_normalization::UnicodeNormalization;

/// Levenshtein distance over characters divided by the length of `truth`, both sides in
/// NFC with runs of whitespace collapsed to one space.
pub fn cer(truth: &str, text: &str) -> f64 {
    let norm = |s: &str| -> Vec<char> {
        let s: String = s.nfc().collect();
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .collect()
    };
    let (a, b) = (norm(truth), norm(text));
    edit_distance(&a, &b) as f64 / a.len().max(1) as f64
}

/// Word error rate: edit distance over whitespace-separated words (NFC) divided by the
/// number of words in `truth`.
pub fn wer(truth: &str, text: &str) -> f64 {
    let words = |s: &str| -> Vec<String> {
        s.nfc()
            .collect::<String>()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let (a, b) = (words(truth), words(text));
    edit_distance(&a, &b) as f64 / a.len().max(1) as f64
}

/// Levenshtein distance between two sequences.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j + 1] + 1)
                .min(cur[j] + 1)
                .min(prev[j] + usize::from(ca != cb));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The text of a PDF as `pdftotext` (poppler-utils) extracts it; `args` are extra
/// options such as `-bbox`.
pub fn pdftotext(pdf: &[u8], args: &[&str]) -> std::io::Result<String> {
    let dir = std::env::temp_dir().join(format!("kho-measure-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("doc.pdf");
    std::fs::write(&path, pdf)?;
    let out = std::process::Command::new("pdftotext")
        .args(args)
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "pdftotext failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    String::from_utf8(out.stdout).map_err(std::io::Error::other)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::{cer, wer};

    #[test]
    fn cer_counts_edits_after_normalizing() {
        assert_eq!(cer("Hà Nội", "Hà  Nội\n"), 0.0);
        // decomposed "ộ" (o + combining marks) equals the precomposed one after NFC
        assert_eq!(cer("Nội", "No\u{323}\u{302}i"), 0.0);
        assert!((cer("abcd", "abed") - 0.25).abs() < 1e-9);
        assert_eq!(cer("", "x"), 1.0);
    }

    #[test]
    fn wer_counts_whole_words() {
        assert!((wer("giấy chứng nhận", "giấy chung nhận") - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(wer("một hai", "một  hai"), 0.0);
    }
}
