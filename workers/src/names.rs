//! names: the closed vocabulary of a result's header and signature block — the motto,
//! the kinds of people's committee, the provinces (Resolution 202/2025/QH15's and the
//! 63 before it), the standard departments of a ministry, province or district
//! (Decrees 107/2020 and 108/2020) and the signers' titles — used to give back the
//! marks OCR drops from bold capitals (`TĨNH` → `TỈNH`, `KE HOẠCH` → `KẾ HOẠCH`).
//!
//! Only whole phrases of two words or more are matched, and only on words in capitals,
//! where every word differs from the phrase at most in its marks: `TÀI` becomes `TẢI` in
//! `GIAO THÔNG VẬN TÀI` and stays `TÀI` in `TÀI NGUYÊN`. Words the vocabulary does not
//! hold (a commune's name) are left as read. The header's names alone (one or two lines)
//! may also be one letter off the phrase, in a word of four letters or more, when one
//! phrase only is that near (`restore_words_near`).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::grammar::fold;
use crate::ocr::PageText;

const PROVINCES: &[&str] = &[
    "HÀ NỘI",
    "HỒ CHÍ MINH",
    "HẢI PHÒNG",
    "ĐÀ NẴNG",
    "CẦN THƠ",
    "HUẾ",
    "THỪA THIÊN HUẾ",
    "AN GIANG",
    "BÀ RỊA - VŨNG TÀU",
    "BẮC GIANG",
    "BẮC KẠN",
    "BẠC LIÊU",
    "BẮC NINH",
    "BẾN TRE",
    "BÌNH ĐỊNH",
    "BÌNH DƯƠNG",
    "BÌNH PHƯỚC",
    "BÌNH THUẬN",
    "CÀ MAU",
    "CAO BẰNG",
    "ĐẮK LẮK",
    "ĐẮK NÔNG",
    "ĐIỆN BIÊN",
    "ĐỒNG NAI",
    "ĐỒNG THÁP",
    "GIA LAI",
    "HÀ GIANG",
    "HÀ NAM",
    "HÀ TĨNH",
    "HẢI DƯƠNG",
    "HẬU GIANG",
    "HÒA BÌNH",
    "HƯNG YÊN",
    "KHÁNH HÒA",
    "KIÊN GIANG",
    "KON TUM",
    "LAI CHÂU",
    "LÂM ĐỒNG",
    "LẠNG SƠN",
    "LÀO CAI",
    "LONG AN",
    "NAM ĐỊNH",
    "NGHỆ AN",
    "NINH BÌNH",
    "NINH THUẬN",
    "PHÚ THỌ",
    "PHÚ YÊN",
    "QUẢNG BÌNH",
    "QUẢNG NAM",
    "QUẢNG NGÃI",
    "QUẢNG NINH",
    "QUẢNG TRỊ",
    "SÓC TRĂNG",
    "SƠN LA",
    "TÂY NINH",
    "THÁI BÌNH",
    "THÁI NGUYÊN",
    "THANH HÓA",
    "TIỀN GIANG",
    "TRÀ VINH",
    "TUYÊN QUANG",
    "VĨNH LONG",
    "VĨNH PHÚC",
    "YÊN BÁI",
];

const UNITS: &[&str] = &[
    "TỈNH",
    "THÀNH PHỐ",
    "HUYỆN",
    "QUẬN",
    "THỊ XÃ",
    "XÃ",
    "PHƯỜNG",
    "THỊ TRẤN",
];

/// What a department is in charge of: `SỞ …`, `BỘ …`, `PHÒNG …`, `CỤC …`.
const FIELDS: &[&str] = &[
    "NỘI VỤ",
    "TƯ PHÁP",
    "KẾ HOẠCH VÀ ĐẦU TƯ",
    "TÀI CHÍNH",
    "CÔNG THƯƠNG",
    "NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN",
    "NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
    "GIAO THÔNG VẬN TẢI",
    "XÂY DỰNG",
    "TÀI NGUYÊN VÀ MÔI TRƯỜNG",
    "THÔNG TIN VÀ TRUYỀN THÔNG",
    "LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
    "LAO ĐỘNG THƯƠNG BINH VÀ XÃ HỘI",
    "VĂN HÓA, THỂ THAO VÀ DU LỊCH",
    "VĂN HÓA VÀ THỂ THAO",
    "DU LỊCH",
    "KHOA HỌC VÀ CÔNG NGHỆ",
    "GIÁO DỤC VÀ ĐÀO TẠO",
    "Y TẾ",
    "NGOẠI VỤ",
    "DÂN TỘC VÀ TÔN GIÁO",
    "QUY HOẠCH - KIẾN TRÚC",
    "TÀI CHÍNH - KẾ HOẠCH",
    "VĂN HÓA VÀ THÔNG TIN",
    "KINH TẾ",
    "KINH TẾ, HẠ TẦNG VÀ ĐÔ THỊ",
    "QUẢN LÝ ĐÔ THỊ",
    "CÔNG AN",
    "QUỐC PHÒNG",
    "NGOẠI GIAO",
];

const OTHERS: &[&str] = &[
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "ĐỘC LẬP - TỰ DO - HẠNH PHÚC",
    "ỦY BAN NHÂN DÂN",
    "HỘI ĐỒNG NHÂN DÂN",
    "VĂN PHÒNG ỦY BAN NHÂN DÂN",
    "THANH TRA TỈNH",
    "CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC",
    "TRƯỞNG PHÒNG",
    "PHÓ TRƯỞNG PHÒNG",
    "BỘ TRƯỞNG",
    "THỨ TRƯỞNG",
    "CỤC TRƯỞNG",
    "CHÁNH VĂN PHÒNG",
    "CHÁNH THANH TRA",
    "QUYẾT ĐỊNH",
    "GIẤY CHỨNG NHẬN",
    "GIẤY XÁC NHẬN",
    "GIẤY PHÉP",
    "THÔNG BÁO",
];

/// Every phrase, by the folded form of its words: folded words → the phrase's words.
static PHRASES: LazyLock<HashMap<Vec<String>, Vec<String>>> = LazyLock::new(|| {
    let mut all: Vec<String> = OTHERS.iter().map(|s| s.to_string()).collect();
    for p in PROVINCES {
        all.push(p.to_string());
        for unit in UNITS {
            all.push(format!("{unit} {p}"));
            all.push(format!("UBND {unit} {p}"));
        }
    }
    for f in FIELDS {
        for body in ["SỞ", "BỘ", "PHÒNG", "CỤC", "CHI CỤC", "BAN"] {
            all.push(format!("{body} {f}"));
        }
    }
    for unit in UNITS {
        all.push(format!("UBND {unit}"));
        all.push(format!("ỦY BAN NHÂN DÂN {unit}"));
    }
    all.iter()
        .map(|phrase| {
            phrase
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|words| words.len() >= 2)
        .map(|words| (words.iter().map(|w| key(w)).collect(), words))
        .collect()
});

/// The longest phrase, in words.
static LONGEST: LazyLock<usize> =
    LazyLock::new(|| PHRASES.values().map(Vec::len).max().unwrap_or(0));

/// A word as compared: folded, punctuation around it dropped.
fn key(word: &str) -> String {
    fold(word.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'))
}

/// Give back, in every line of `text`, the marks a known phrase in capitals lost.
/// Returns how many words were changed.
pub fn restore_marks(text: &mut PageText) -> usize {
    let mut changed = 0;
    for line in &mut text.lines {
        let mut words: Vec<String> = line.words.iter().map(|w| w.text.clone()).collect();
        changed += restore_words(&mut words);
        for (w, new) in line.words.iter_mut().zip(words) {
            w.text = new;
        }
    }
    changed
}

/// [`restore_marks`] over one line's words: the longest phrase first, left to right.
pub fn restore_words(words: &mut [String]) -> usize {
    restore_with(words, false)
}

/// [`restore_words`], and where no phrase matches exactly, a known phrase of as many
/// words whose folded form differs from what was read by one letter, in a word of four
/// letters or more (`SỞ GIAO THOÔNG VẠN TÀI` → `SỞ GIAO THÔNG VẬN TẢI`). For a header's
/// name, which is one or two lines: the whole vocabulary is compared.
pub fn restore_words_near(words: &mut [String]) -> usize {
    restore_with(words, true)
}

/// The phrase of `keys.len()` words one letter away from `keys`, if there is one only.
fn near_phrase(keys: &[String]) -> Option<&'static Vec<String>> {
    let mut found = PHRASES.iter().filter(|(k, _)| {
        k.len() == keys.len() && {
            let mut off = k.iter().zip(keys).filter(|(a, b)| a != b);
            match (off.next(), off.next()) {
                (Some((a, b)), None) => {
                    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                    a.len().min(b.len()) >= 4 && crate::measure::edit_distance(&a, &b) == 1
                }
                _ => false,
            }
        }
    });
    match (found.next(), found.next()) {
        (Some((_, phrase)), None) => Some(phrase),
        _ => None,
    }
}

fn restore_with(words: &mut [String], near: bool) -> usize {
    let capitals =
        |w: &str| w.chars().any(char::is_alphabetic) && w.chars().all(|c| !c.is_lowercase());
    let (mut changed, mut i) = (0, 0);
    while i < words.len() {
        let found = (2..=(*LONGEST).min(words.len() - i)).rev().find_map(|n| {
            let window = &words[i..i + n];
            if !window.iter().all(|w| capitals(w)) {
                return None;
            }
            let keys: Vec<String> = window.iter().map(|w| key(w)).collect();
            PHRASES
                .get(&keys)
                .or_else(|| near.then(|| near_phrase(&keys)).flatten())
                .map(|phrase| (n, phrase))
        });
        let Some((n, phrase)) = found else {
            i += 1;
            continue;
        };
        for (word, canonical) in words[i..i + n].iter_mut().zip(phrase) {
            // Keep what OCR read around the word (`TƯ”`, `PHỐ,`).
            let core = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
            if core != *canonical && !core.is_empty() {
                *word = word.replacen(core, canonical, 1);
                changed += 1;
            }
        }
        i += n;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::{restore_words, restore_words_near};

    fn with(restore: fn(&mut [String]) -> usize, line: &str) -> String {
        let mut words: Vec<String> = line.split(' ').map(String::from).collect();
        restore(&mut words);
        words.join(" ")
    }

    fn restored(line: &str) -> String {
        with(restore_words, line)
    }

    #[test]
    fn lost_marks_come_back_in_known_phrases_only() {
        assert_eq!(restored("UBND TĨNH KHANH HOA"), "UBND TỈNH KHÁNH HÒA");
        assert_eq!(restored("SỞ KE HOẠCH VÀ ĐẦU TƯ”"), "SỞ KẾ HOẠCH VÀ ĐẦU TƯ”");
        // The same folded word is a different word in another phrase.
        assert_eq!(restored("SỞ GIAO THÔNG VẬN TÀI"), "SỞ GIAO THÔNG VẬN TẢI");
        assert_eq!(
            restored("SỞ TÀI NGUYÊN VÀ MỖI TRƯỜNG"),
            "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
        );
        assert_eq!(restored("KT. CHỦ TICH"), "KT. CHỦ TỊCH");
        // A commune the vocabulary does not hold stays as read; lower case is body text.
        assert_eq!(
            restored("ỦY BAN NHÂN DÂN XÃ ĐA TỒN"),
            "ỦY BAN NHÂN DÂN XÃ ĐA TỒN"
        );
        assert_eq!(restored("ông Trương Phong"), "ông Trương Phong");
        assert_eq!(restored("TRƯƠNG"), "TRƯƠNG");
    }

    #[test]
    fn a_header_name_one_letter_off_a_known_one_is_that_name() {
        let near = |line: &str| with(restore_words_near, line);
        assert_eq!(near("SỞ GIAO THOÔNG VẠN TÀI"), "SỞ GIAO THÔNG VẬN TẢI");
        assert_eq!(near("UBND TỈNH QUẢNG NGAII"), "UBND TỈNH QUẢNG NGÃI");
        // Over the whole page text, only exact phrases are given back.
        assert_eq!(restored("SỞ GIAO THOÔNG VẠN TÀI"), "SỞ GIAO THOÔNG VẠN TÀI");
        // A short word one letter off, or two letters off, is not a known name.
        assert_eq!(near("SỞ Y TẾE"), "SỞ Y TẾE");
        assert_eq!(near("SỞ GIAO THOÔNG VẠN TẢII"), "SỞ GIAO THOÔNG VẠN TẢII");
        assert_eq!(
            near("ỦY BAN NHÂN DÂN XÃ ĐA TON"),
            "ỦY BAN NHÂN DÂN XÃ ĐA TON"
        );
    }
}
