//! names: the closed vocabulary of a result's header and signature block — the motto,
//! the kinds of people's committee, the provinces (Resolution 202/2025/QH15's and the
//! 63 before it), the standard departments of a ministry, province or district
//! (Decrees 107/2020 and 108/2020), the signers' titles, and the national list of
//! communes, wards and districts (`data/units.txt`) — used to give back the marks OCR
//! drops from bold capitals (`TĨNH` → `TỈNH`, `KE HOẠCH` → `KẾ HOẠCH`, `ĐA TỒN` → `ĐA TỐN`).
//!
//! Only whole phrases of two words or more are matched, and only on words in capitals,
//! where every word differs from the phrase at most in its marks: `TÀI` becomes `TẢI` in
//! `GIAO THÔNG VẬN TÀI` and stays `TÀI` in `TÀI NGUYÊN`. Words the vocabulary does not
//! hold are left as read, and so are names two communes share once their marks are
//! gone. The header's names alone (one or two lines) may also be one letter off a phrase
//! of the closed lists, in a word of four letters or more, when one phrase only is that
//! near (`restore_words_near`).

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

/// The communes, wards, townships and districts of Vietnam, before and after the July 2025
/// rearrangement (older records name the old ones): `XÃ ĐA TỐN`, `PHƯỜNG HÀNG BẠC`,
/// `HUYỆN GIA LÂM`. Made by `scripts/units.py` from the General Statistics Office's list.
const UNIT_NAMES: &str = include_str!("../data/units.txt");

/// The vocabulary: every phrase by its folded words joined with spaces. A folded form
/// that two names of the national list share (`XÃ NGHĨA ĐÀN`, `XÃ NGHĨA DÂN`) is held
/// as `None`: the marks cannot be told from it, so what OCR read stays.
struct Vocabulary {
    exact: HashMap<String, Option<Vec<String>>>,
    /// The phrases a header's name may be one letter off (the closed lists above, not
    /// the national list of communes, whose 9,000 names are too close to one another).
    near: Vec<(Vec<String>, Vec<String>)>,
    longest: usize,
}

static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
    let mut closed: Vec<String> = OTHERS.iter().map(|s| s.to_string()).collect();
    for p in PROVINCES {
        closed.push(p.to_string());
        for unit in UNITS {
            closed.push(format!("{unit} {p}"));
            closed.push(format!("UBND {unit} {p}"));
        }
    }
    for f in FIELDS {
        for body in ["SỞ", "BỘ", "PHÒNG", "CỤC", "CHI CỤC", "BAN"] {
            closed.push(format!("{body} {f}"));
        }
    }
    for unit in UNITS {
        closed.push(format!("UBND {unit}"));
        closed.push(format!("ỦY BAN NHÂN DÂN {unit}"));
    }
    let words =
        |phrase: &str| -> Vec<String> { phrase.split_whitespace().map(String::from).collect() };
    let folded = |words: &[String]| -> Vec<String> { words.iter().map(|w| key(w)).collect() };
    let near: Vec<(Vec<String>, Vec<String>)> = closed
        .iter()
        .map(|p| words(p))
        .filter(|w| w.len() >= 2)
        .map(|w| (folded(&w), w))
        .collect();
    let mut exact: HashMap<String, Option<Vec<String>>> = near
        .iter()
        .map(|(k, w)| (k.join(" "), Some(w.clone())))
        .collect();
    // The national list fills only the keys the closed lists leave; a key two of its
    // names share is `None`.
    let mut national: HashMap<String, Option<Vec<String>>> = HashMap::new();
    for name in UNIT_NAMES
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        for phrase in [
            name.to_string(),
            format!("UBND {name}"),
            format!("ỦY BAN NHÂN DÂN {name}"),
        ] {
            let w = words(&phrase);
            let k = folded(&w).join(" ");
            if exact.contains_key(&k) {
                continue;
            }
            national
                .entry(k)
                .and_modify(|known| {
                    if known.as_ref() != Some(&w) {
                        *known = None;
                    }
                })
                .or_insert(Some(w));
        }
    }
    exact.extend(national);
    let longest = exact
        .keys()
        .map(|k| k.split(' ').count())
        .max()
        .unwrap_or(0);
    Vocabulary {
        exact,
        near,
        longest,
    }
});

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

/// The known name nearest `value` (a header's parent body or issuing agency, read
/// whole), when it is a few letters off one name and nearer that one than any other:
/// up to one letter in a name of 8 letters or more, two from 16, with as many words,
/// each read as it is or garbled (see [`garbled`]). Letters are compared without their
/// marks; words OCR garbled (`HUYÍ` for `HUYỆN`, `PH` for `PHÁT`) are what this mends,
/// not words it lost. `None` when `value` is a name already, or no name is that near,
/// or two are.
pub fn nearest_name(value: &str) -> Option<String> {
    let words: Vec<String> = value
        .split_whitespace()
        .map(key)
        .filter(|k| !k.is_empty())
        .collect();
    let read: Vec<char> = words.join(" ").chars().collect();
    if VOCABULARY.exact.contains_key(&words.join(" ")) {
        return None;
    }
    let allowed = match read.len() {
        n if n >= 16 => 2,
        n if n >= 8 => 1,
        _ => return None,
    };
    let mut best: Option<(usize, Option<&Vec<String>>)> = None;
    let mut tie = false;
    for (k, phrase) in &VOCABULARY.exact {
        if k.len().abs_diff(read.len()) > allowed + 2 {
            continue;
        }
        // As many words, each read as it is or garbled (see `garbled`): a name whose
        // word differs more is another place (`XÃ UY` is neither `XÃ XY` nor `XÃ UAR`).
        let same_shape = k.split(' ').count() == words.len()
            && k.split(' ')
                .zip(&words)
                .all(|(a, b)| a == b || garbled(a, b));
        let k: Vec<char> = k.chars().collect();
        if !same_shape || k.len().abs_diff(read.len()) > allowed {
            continue;
        }
        let d = crate::measure::edit_distance(&k, &read);
        match best {
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tie = true,
            _ => {
                best = Some((d, phrase.as_ref()));
                tie = false;
            }
        }
    }
    match best {
        Some((d, Some(phrase))) if d <= allowed && !tie => Some(phrase.join(" ")),
        _ => None,
    }
}

/// Whether `read` could be OCR's garbling of the word `known` (both folded): its
/// beginning with the end lost (`PH`, `PHAT`), or the same first letter and at most
/// one letter in two otherwise (`HUYI`, `HUYEN`; `NOP`, `NOI`; not `UY`, `UAR`).
fn garbled(known: &str, read: &str) -> bool {
    let (k, r): (Vec<char>, Vec<char>) = (known.chars().collect(), read.chars().collect());
    (r.len() >= 2 && k.starts_with(&r))
        || (k.first() == r.first() && 2 * crate::measure::edit_distance(&k, &r) < k.len())
}

/// The phrase of `keys.len()` words one letter away from `keys`, if there is one only.
fn near_phrase(keys: &[String]) -> Option<&'static Vec<String>> {
    let mut found = VOCABULARY.near.iter().filter(|(k, _)| {
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
        let found = (2..=VOCABULARY.longest.min(words.len() - i))
            .rev()
            .find_map(|n| {
                let window = &words[i..i + n];
                if !window.iter().all(|w| capitals(w)) {
                    return None;
                }
                let keys: Vec<String> = window.iter().map(|w| key(w)).collect();
                match VOCABULARY.exact.get(&keys.join(" ")) {
                    Some(Some(phrase)) => Some((n, phrase)),
                    // Two names of the national list fold alike: their marks cannot be told.
                    Some(None) => None,
                    None => near.then(|| near_phrase(&keys)).flatten().map(|p| (n, p)),
                }
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
        // Communes and districts come from the national list, with or without their
        // committee before them.
        assert_eq!(
            restored("ỦY BAN NHÂN DÂN XÃ ĐA TỒN"),
            "ỦY BAN NHÂN DÂN XÃ ĐA TỐN"
        );
        assert_eq!(restored("UBND HUYỆN GIA LAM"), "UBND HUYỆN GIA LÂM");
        assert_eq!(restored("PHƯỜNG HANG BẠC"), "PHƯỜNG HÀNG BẠC");
        // Two communes that fold alike keep what was read, and so does a name the
        // national list does not hold; lower case is body text.
        assert_eq!(restored("XÃ NGHĨA DẦN"), "XÃ NGHĨA DẦN");
        assert_eq!(
            restored("ỦY BAN NHÂN DAN XÃ NGHĨA DẦN"),
            "ỦY BAN NHÂN DÂN XÃ NGHĨA DẦN"
        );
        assert_eq!(restored("XÃ KHÔNG CÓ THẬT"), "XÃ KHÔNG CÓ THẬT");
        assert_eq!(restored("ông Trương Phong"), "ông Trương Phong");
        assert_eq!(restored("TRƯƠNG"), "TRƯƠNG");
    }

    #[test]
    fn a_header_name_a_few_letters_off_one_known_name_is_that_name() {
        use super::nearest_name;
        assert_eq!(
            nearest_name("ỦY BAN NHÂN DÂN HUYÍ NGHĨA ĐÀN").as_deref(),
            Some("ỦY BAN NHÂN DÂN HUYỆN NGHĨA ĐÀN")
        );
        assert_eq!(
            nearest_name("SỞ NÔNG NGHIỆP VÀ PH TRIỂN NÔNG THÔN").as_deref(),
            Some("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN")
        );
        assert_eq!(
            nearest_name("UBND THÀNH PHỐ HÀ NỘP").as_deref(),
            Some("UBND THÀNH PHỐ HÀ NỘI")
        );
        // A name already, a short one, one too far off, or one as near two names.
        assert_eq!(nearest_name("SỞ XÂY DỰNG"), None);
        assert_eq!(nearest_name("BỘ Y TÊ"), None);
        assert_eq!(nearest_name("ỦY BAN NHÂN DÂN XÃ UY"), None);
        assert_eq!(nearest_name("XÃ NGHĨA DÂM"), None);
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
        // The national list of communes is matched exactly only: its names are too
        // close to one another to take one letter off as a name.
        assert_eq!(
            near("ỦY BAN NHÂN DÂN XÃ ĐA TOM"),
            "ỦY BAN NHÂN DÂN XÃ ĐA TOM"
        );
    }
}
