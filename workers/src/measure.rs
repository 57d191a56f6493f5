//! measure: how good a text layer is, for tests, benchmarks and measurement tools.
//!
//! [`cer`] is the character error rate against ground truth after NFC normalization and
//! whitespace collapsing; [`cer_any_order`] is the same rate when the page has no single
//! reading order (a two-column header, a signature block beside `Nơi nhận`): each
//! ground-truth line is aligned to its best-matching span of the OCR text, and OCR text
//! that no line explains counts as inserted. [`pdftotext`] extracts a PDF's text with poppler's `pdftotext`,
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

/// Reading-order-free character error rate: for each non-empty line of `truth`, the edit
/// distance to its best-matching span of `text` (semi-global alignment: the span may
/// start and end anywhere), plus every non-space character of `text` that lies in no
/// line's span (inserted text), divided by the characters of the truth's lines. Both
/// sides in NFC with whitespace collapsed. A page read in another order than the truth's
/// costs nothing for the order. Each character of `text` explains at most one line
/// (longest lines placed first, lines with a third of their characters wrong last; a line
/// no better than missing explains none), so a line the truth holds twice — a holder's
/// name in the text and again in a table — needs two readings: a second reading is not
/// counted as inserted, and a missing one is not free.
pub fn cer_any_order(truth: &str, text: &str) -> f64 {
    let norm = |s: &str| -> Vec<char> {
        let s: String = s.nfc().collect();
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .collect()
    };
    let text = norm(text);
    let mut covered = vec![false; text.len()];
    let (mut edits, mut chars) = (0usize, 0usize);
    let lines: Vec<Vec<char>> = truth.lines().map(norm).filter(|l| !l.is_empty()).collect();
    // The longest lines are placed first, except lines read so badly (a third of their
    // characters or more wrong) that they may be missing: those come last, so a lost line
    // cannot take the span of a line that was read and leave that one to match badly.
    let mut order: Vec<(bool, Vec<char>)> = lines
        .into_iter()
        .map(|l| (3 * best_span(&l, &text, None).0 >= l.len(), l))
        .collect();
    order.sort_by(|(a, la), (b, lb)| a.cmp(b).then(lb.len().cmp(&la.len())));
    for (_, line) in order {
        chars += line.len();
        let (cost, start, end) = best_span(&line, &text, Some(&covered));
        if cost >= line.len() {
            // No better than not read at all: the line is missing and explains nothing.
            edits += line.len();
            continue;
        }
        edits += cost;
        covered[start..end].iter_mut().for_each(|c| *c = true);
    }
    let inserted = text
        .iter()
        .zip(&covered)
        .filter(|(c, covered)| !**covered && **c != ' ')
        .count();
    (edits + inserted) as f64 / chars.max(1) as f64
}

/// The span `text[start..end]` closest to `line` in edit distance, and that distance.
/// Characters marked in `taken` match nothing (they are another line's already).
fn best_span(line: &[char], text: &[char], taken: Option<&[bool]>) -> (usize, usize, usize) {
    // prev[j]: distance of line[..i] to the best span ending at j; from[j]: its start.
    let mut prev: Vec<usize> = vec![0; text.len() + 1];
    let mut from: Vec<usize> = (0..=text.len()).collect();
    let mut cur = vec![0usize; text.len() + 1];
    let mut cur_from = vec![0usize; text.len() + 1];
    for (i, &a) in line.iter().enumerate() {
        cur[0] = i + 1;
        cur_from[0] = 0;
        for (j, &b) in text.iter().enumerate() {
            let free = taken.is_none_or(|t| !t[j]);
            let diagonal = prev[j] + usize::from(a != b || !free);
            let up = prev[j + 1] + 1;
            let left = cur[j] + 1;
            (cur[j + 1], cur_from[j + 1]) = if diagonal <= up && diagonal <= left {
                (diagonal, from[j])
            } else if up <= left {
                (up, from[j + 1])
            } else {
                (left, cur_from[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
        std::mem::swap(&mut from, &mut cur_from);
    }
    let end = (0..=text.len())
        .min_by_key(|&j| (prev[j], j))
        .expect("at least one column");
    (prev[end], from[end], end)
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
    use super::{cer, cer_any_order, wer};

    #[test]
    fn cer_any_order_does_not_count_the_order_of_lines() {
        let truth = "UBND TỈNH NINH BÌNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSỞ XÂY DỰNG";
        // Columns read across, sharing lines: the plain CER counts the order as errors.
        let across = "UBND TỈNH NINH BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSỞ XÂY DỰNG";
        assert_eq!(cer_any_order(truth, across), 0.0);
        let swapped = "SỞ XÂY DỰNG\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nUBND TỈNH NINH BÌNH";
        assert_eq!(cer_any_order(truth, swapped), 0.0);
        assert!(cer(truth, swapped) > 0.3);
        // A lost diacritic is one error; text no line explains counts as inserted.
        let chars = truth.lines().map(|l| l.chars().count()).sum::<usize>() as f64;
        let lost = "UBND TINH NINH BÌNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSỞ XÂY DỰNG";
        assert!((cer_any_order(truth, lost) - 1.0 / chars).abs() < 1e-9);
        let extra = format!("{across}\n~~ ##");
        assert!((cer_any_order(truth, &extra) - 4.0 / chars).abs() < 1e-9);
        // A line the truth holds twice, read twice, is explained twice.
        let table = "Cấp cho ông/bà: Trần Thu Khoa\nSTT Họ và tên\n1 Trần Thu Khoa";
        assert_eq!(cer_any_order(table, table), 0.0);
        let table = "Cấp cho ông/bà: Trần Thu Khoa\nSTT Họ và tên\n1\nTrần Thu Khoa";
        let read = "Cấp cho ông/bà: Trần Thu Khoa STT Họ và tên 1 Trần Thu Khoa";
        assert_eq!(cer_any_order(table, read), 0.0);
        // ... but read once, the second copy is missing, not free.
        let once = "Cấp cho ông/bà: Trần Thu Khoa STT Họ và tên 1";
        assert!(cer_any_order(table, once) > 0.0);
        // A line that was not read does not take another line's reading: the cost is
        // that line's characters, and the lines that were read cost nothing.
        let truth = "Điều 2. Người được cấp có trách nhiệm thực hiện đúng nội dung\n\
                     thực hiện thủ tục hành chính trên môi trường điện tử;\nSỞ XÂY DỰNG";
        let read = "thực hiện thủ tục hành chính trên môi trường điện tử;\nSỞ XÂY DỰNG";
        let chars = truth.lines().map(|l| l.chars().count()).sum::<usize>() as f64;
        let missing = "Điều 2. Người được cấp có trách nhiệm thực hiện đúng nội dung";
        let expected = missing.chars().count() as f64 / chars;
        // (It may keep one space between the lines read.)
        let got = cer_any_order(truth, read);
        assert!((got - expected).abs() < 1.5 / chars, "{got} {expected}");
        // Nothing read: every character of the truth is missing.
        assert_eq!(cer_any_order(truth, ""), 1.0);
    }

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
