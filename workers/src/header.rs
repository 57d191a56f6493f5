//! header: the issuing body's block, read a second time on its own.
//!
//! A result's header has two columns on the same lines: the parent body and the issuing
//! agency on the left, the national motto on the right. Reading the whole page, Tesseract
//! takes each shared line as one, and the left column's bold capitals come out worst:
//! the last word of a name read at 19% (`VẬN TÀI` for `VẬN TẢI`) and dropped as noise,
//! or a whole line garbled (`SƠ NÓNG NGHIP VÀ PHAT`). Read alone, as one block of text
//! (Tesseract's page segmentation mode 6), the same pixels give `SỞ GIAO THÔNG VẬN TẢI`
//! at 91% and `SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN`.
//!
//! [`region`] finds the block from the first reading: left of the motto's first word
//! (`CỘNG`), from a line above it down to the `Số:` line. [`merge`] puts the second
//! reading in place of the first's words there when it reads with more confidence.
//!
//! The `Số:` line is the other place where one slip costs a field: the whole-page reading
//! now and then drops the number's slash (`45QĐ-SKHĐT`). When the number lacks Decree
//! 30's shape, [`number_region`] gives that line (left of the motto) to read alone as a
//! single line, and [`merge_number`] takes that reading only if it has the shape.

use crate::grammar::{check_number, fold, is_number_label};
use crate::ocr::{Line, PageText, Word, mean_confidence as confidence};

/// A rectangle of the page, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl Region {
    fn holds(&self, w: &Word) -> bool {
        let (cx, cy) = (w.left + w.width / 2, w.top + w.height / 2);
        cx >= self.left
            && cx < self.left + self.width
            && cy >= self.top
            && cy < self.top + self.height
    }
}

/// The header's left block on a page of `width` × `height` pixels, if the page has the
/// national motto in its top third and words in capitals left of it.
pub fn region(text: &PageText, width: u32, height: u32) -> Option<Region> {
    let (motto_left, motto_top, h) = motto(text)?;
    if motto_top > height / 3 || motto_left < 4 * h {
        return None;
    }
    // Down to the line that gives the number (`Số:`), which sits below both columns;
    // without one, five lines below the motto.
    let number_top =
        number_label(text, (motto_left, motto_top, h)).map(|(i, j)| text.lines[i].words[j].top);
    let top = motto_top.saturating_sub(h);
    let bottom = number_top
        .map(|t| t.saturating_sub(h / 4))
        .unwrap_or(motto_top + 8 * h)
        .min(height);
    let right = motto_left.saturating_sub(h / 3).min(width);
    let region = Region {
        left: 0,
        top,
        width: right,
        height: bottom - top,
    };
    // A left column is there: a word in capitals (not a rule read as `7...`, nor the
    // empty margin beside a motto that has the body's name above it).
    let capitals = |w: &Word| {
        let letters: Vec<char> = w.text.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
    };
    let column = text
        .lines
        .iter()
        .flat_map(|l| &l.words)
        .any(|w| region.holds(w) && capitals(w));
    (bottom > top + h && column).then_some(region)
}

/// The motto's first word, `CỘNG` followed by `HÒA`, or the two joined to the left
/// column's last word (`NAMCỘNG`), in which case the motto starts 4 letters from its end:
/// its left, top and height.
fn motto(text: &PageText) -> Option<(u32, u32, u32)> {
    text.lines.iter().find_map(|l| {
        l.words.windows(2).find_map(|pair| {
            let (w, next) = (&pair[0], &pair[1]);
            let f = fold(&w.text);
            if !(f.ends_with("cong") && fold(&next.text).starts_with("hoa")) {
                return None;
            }
            let chars = w.text.chars().count().max(1) as u32;
            let left = w.left + w.width * chars.saturating_sub(4) / chars;
            Some((left, w.top, w.height.max(1)))
        })
    })
}

/// The label of the number (`Số:`, `Số: 12`, `Số 12/…`) below the motto and left of it
/// (a speck may come first), as (line, word) — not `SỞ`, which folds alike.
fn number_label(
    text: &PageText,
    (motto_left, motto_top, h): (u32, u32, u32),
) -> Option<(usize, usize)> {
    text.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.top > motto_top + h / 2)
        .find_map(|(i, l)| {
            l.words.iter().enumerate().find_map(|(j, w)| {
                let from_here: Vec<&str> = l.words[j..].iter().map(|w| w.text.as_str()).collect();
                (w.left < motto_left && is_number_label(&from_here.join(" "))).then_some((i, j))
            })
        })
}

/// The number and symbol the words of `line` inside `region` give, without its label
/// and spaces (`Số: 994/QĐ- SLĐTBXH` → `994/QĐ-SLĐTBXH`).
fn number_in(line: &Line, region: Region) -> String {
    let joined: String = line
        .words
        .iter()
        .filter(|w| region.holds(w))
        .map(|w| w.text.as_str())
        .collect();
    // After the label (`Số`, however its marks were read, past any speck before it)
    // and its colon or full stop.
    let Some(at) = joined
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| is_number_label(&joined[i..]))
    else {
        return String::new();
    };
    let mut chars = joined[at..].chars();
    chars.by_ref().take(2).for_each(drop);
    chars.as_str().trim_start_matches([':', '.']).to_owned()
}

/// The `Số:` line's number, left of the motto, when it does not have Decree 30's shape
/// (`45QĐ-SKHĐT`, a slash lost): the line to read again on its own. The whole-page
/// reading drops or doubles a character there now and then that the line alone does not.
pub fn number_region(text: &PageText, width: u32, height: u32) -> Option<Region> {
    let motto = motto(text)?;
    let (motto_left, motto_top, h) = motto;
    if motto_top > height / 3 || motto_left < 4 * h {
        return None;
    }
    let (i, j) = number_label(text, motto)?;
    let label = &text.lines[i].words[j];
    let top = label.top.saturating_sub(h / 2);
    let region = Region {
        left: label.left.saturating_sub(h / 2),
        top,
        width: motto_left
            .min(width)
            .saturating_sub(label.left.saturating_sub(h / 2)),
        height: (2 * h).min(height.saturating_sub(top)),
    };
    let read = number_in(&text.lines[i], region);
    (region.width > h && check_number(&read, None, None).is_err()).then_some(region)
}

/// Put `second` (the line at `region` read alone, boxes relative to the crop) in place of
/// the number's words when what it reads has Decree 30's shape. Returns whether it did.
pub fn merge_number(text: &mut PageText, region: Region, second: PageText) -> bool {
    let mut words: Vec<Word> = second
        .lines
        .into_iter()
        .flat_map(|l| l.words)
        .filter(|w| !w.text.trim().is_empty())
        .map(|mut w| {
            w.left += region.left;
            w.top += region.top;
            w
        })
        .collect();
    let Some(line) = text
        .lines
        .iter_mut()
        .find(|l| l.words.iter().any(|w| region.holds(w)))
    else {
        return false;
    };
    words.retain(|w| region.holds(w));
    let mut candidate = line.clone();
    candidate.words = words;
    if candidate.words.is_empty()
        || check_number(&number_in(&candidate, region), None, None).is_err()
    {
        return false;
    }
    line.words.retain(|w| !region.holds(w));
    let at = line
        .words
        .iter()
        .position(|w| w.left > region.left)
        .unwrap_or(line.words.len());
    line.words.splice(at..at, candidate.words);
    refit(line);
    true
}

/// Put `second` (read from the crop at `region`, its boxes relative to the crop) in place
/// of the words `text` holds inside `region`, when it reads with more confidence and
/// finds words there. Returns whether it did.
pub fn merge(text: &mut PageText, region: Region, mut second: PageText) -> bool {
    for line in &mut second.lines {
        line.left += region.left;
        line.top += region.top;
        for w in &mut line.words {
            w.left += region.left;
            w.top += region.top;
        }
        line.words.retain(|w| !w.text.trim().is_empty());
    }
    second.lines.retain(|l| !l.words.is_empty());
    let first_words = || {
        text.lines
            .iter()
            .flat_map(|l| &l.words)
            .filter(|w| region.holds(w))
    };
    let before = confidence(first_words());
    let after = confidence(second.lines.iter().flat_map(|l| &l.words));
    if second.lines.is_empty() || after <= before {
        return false;
    }
    // The new lines go where the first of the block's lines was.
    let at = text
        .lines
        .iter()
        .position(|l| l.words.iter().any(|w| region.holds(w)))
        .unwrap_or(0);
    for line in &mut text.lines {
        line.words.retain(|w| !region.holds(w));
        refit(line);
    }
    let kept_before = text.lines[..at.min(text.lines.len())]
        .iter()
        .filter(|l| !l.words.is_empty())
        .count();
    text.lines.retain(|l| !l.words.is_empty());
    let tail = text.lines.split_off(kept_before);
    text.lines.extend(second.lines);
    text.lines.extend(tail);
    true
}

/// A line's box around the words it still holds.
fn refit(line: &mut Line) {
    let Some(first) = line.words.first() else {
        return;
    };
    let (mut l, mut t) = (first.left, first.top);
    let (mut r, mut b) = (first.left + first.width, first.top + first.height);
    for w in &line.words {
        l = l.min(w.left);
        t = t.min(w.top);
        r = r.max(w.left + w.width);
        b = b.max(w.top + w.height);
    }
    (line.left, line.top, line.width, line.height) = (l, t, r - l, b - t);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, left: u32, top: u32, confidence: f32) -> Word {
        Word {
            text: text.into(),
            left,
            top,
            width: 30 * text.chars().count() as u32,
            height: 40,
            confidence,
        }
    }

    fn line(words: Vec<Word>) -> Line {
        let mut l = Line {
            left: 0,
            top: 0,
            width: 0,
            height: 0,
            words,
        };
        refit(&mut l);
        l
    }

    /// Two header columns sharing lines, the agency's last word lost, then the number.
    fn first_reading() -> PageText {
        PageText {
            lines: vec![
                line(vec![
                    word("UBND", 300, 500, 91.0),
                    word("TỈNH", 450, 500, 93.0),
                    word("CỘNG", 1600, 500, 90.0),
                    word("HÒA", 1750, 500, 96.0),
                ]),
                line(vec![
                    word("SỞ", 280, 560, 93.0),
                    word("GIAO", 380, 560, 90.0),
                    word("Độc", 1700, 560, 95.0),
                ]),
                line(vec![
                    word("Số:", 300, 640, 92.0),
                    word("12/GP-SGTVT", 400, 640, 90.0),
                ]),
                line(vec![word("Điều", 300, 900, 95.0)]),
            ],
        }
    }

    #[test]
    fn the_block_is_left_of_the_motto_and_above_the_number() {
        let text = first_reading();
        let r = region(&text, 2400, 3300).expect("a header");
        assert_eq!((r.left, r.top), (0, 460));
        // Up to a quarter line above `Số:`, and a third of a line short of `CỘNG`.
        assert_eq!(r.top + r.height, 630);
        assert_eq!(r.width, 1600 - 13);
        // No motto, or a motto low on the page: no header block.
        let mut body = first_reading();
        body.lines.remove(0);
        assert_eq!(region(&body, 2400, 3300), None);
        assert_eq!(region(&first_reading(), 2400, 1200), None);
        // The body's name above the motto, one column: nothing left of the motto.
        let mut one_column = first_reading();
        one_column.lines[0].words.drain(..2);
        one_column.lines[1].words.drain(..2);
        assert_eq!(region(&one_column, 2400, 3300), None);
    }

    #[test]
    fn a_more_confident_second_reading_takes_the_block_s_place() {
        let mut text = first_reading();
        let r = region(&text, 2400, 3300).unwrap();
        // The crop's own coordinates: the block starts 460 px down the page.
        let second = PageText {
            lines: vec![
                line(vec![
                    word("UBND", 300, 40, 92.0),
                    word("TỈNH", 450, 40, 93.0),
                ]),
                line(vec![
                    word("SỞ", 280, 100, 93.0),
                    word("GIAO", 380, 100, 92.0),
                    word("THÔNG", 530, 100, 91.0),
                ]),
            ],
        };
        assert!(merge(&mut text, r, second));
        let lines: Vec<String> = text.text().lines().map(String::from).collect();
        // The left column comes first, where its first line was, then the motto.
        assert_eq!(
            lines,
            [
                "UBND TỈNH",
                "SỞ GIAO THÔNG",
                "CỘNG HÒA",
                "Độc",
                "Số: 12/GP-SGTVT",
                "Điều"
            ]
        );
        let thong = &text.lines[1].words[2];
        assert_eq!((thong.left, thong.top), (530, 560));
        // The motto's line keeps its own box once the left column's words left it.
        assert_eq!(text.lines[2].left, 1600);
    }

    #[test]
    fn a_less_confident_second_reading_changes_nothing() {
        let mut text = first_reading();
        let r = region(&text, 2400, 3300).unwrap();
        let second = PageText {
            lines: vec![line(vec![word("UBNO", 300, 40, 41.0)])],
        };
        assert!(!merge(&mut text, r, second));
        assert_eq!(text, first_reading());
        assert!(!merge(&mut text, r, PageText::default()));
    }

    #[test]
    fn a_number_without_decree_30_s_shape_is_read_again_as_a_line() {
        // `45QĐ-SKHĐT`: the slash lost in the whole-page reading.
        let mut text = first_reading();
        text.lines[2].words[1].text = "45QĐ-SKHĐT".into();
        let r = number_region(&text, 2400, 3300).expect("the number's line");
        assert!(r.holds(&text.lines[2].words[1]) && r.left + r.width <= 1600);
        assert!(!r.holds(&text.lines[1].words[0]));
        // A line reading that still lacks the shape changes nothing.
        let unchanged = text.clone();
        let bad = PageText {
            lines: vec![line(vec![
                word("Số:", 20, 20, 90.0),
                word("45QĐ-SKHĐT", 120, 20, 95.0),
            ])],
        };
        assert!(!merge_number(&mut text, r, bad));
        assert_eq!(text, unchanged);
        // One that has it takes the number's place, boxes back in page pixels.
        let good = PageText {
            lines: vec![line(vec![
                word("Số:", 20, 20, 90.0),
                word("45/QĐ-SKHĐT", 120, 20, 80.0),
            ])],
        };
        assert!(merge_number(&mut text, r, good));
        assert_eq!(text.lines[2].words.len(), 2);
        assert_eq!(text.text().lines().nth(2), Some("Số: 45/QĐ-SKHĐT"));
        assert_eq!(text.lines[2].words[1].left, r.left + 120);
        // A number that already has the shape is not read again.
        assert_eq!(number_region(&first_reading(), 2400, 3300), None);
    }
}
