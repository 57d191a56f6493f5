//! Whether an image file holds its whole image. A JPEG cut short (a copy stopped half
//! way, a scanner that lost its connection) still decodes: the decoder fills what is
//! missing with mid grey, or, for a progressive file, leaves the later passes out. Such
//! a page must never be filed as the digitized original, so the stream's structure is
//! walked to its end-of-image marker first. A PNG is walked to its `IEND` chunk the same
//! way, so a cut one is refused when it arrives, with the row its data reaches.

use std::io::Cursor;

use image::DynamicImage;

use crate::PipelineError;

/// True when the marker segments and entropy-coded data run on to an end-of-image
/// marker (`FF D9`). Data after it (a camera's trailer) does not matter.
pub(crate) fn jpeg_complete(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let len = bytes.len();
    let mut i = 2;
    loop {
        // A marker: one or more FF, then its code.
        while i < len && bytes[i] != 0xFF {
            i += 1;
        }
        while i < len && bytes[i] == 0xFF {
            i += 1;
        }
        if i >= len {
            return false;
        }
        let marker = bytes[i];
        i += 1;
        match marker {
            0xD9 => return true,
            0xD0..=0xD7 | 0x01 | 0xD8 => continue,
            _ => {
                if i + 2 > len {
                    return false;
                }
                let segment = u16::from_be_bytes([bytes[i], bytes[i + 1]]) as usize;
                if segment < 2 || i + segment > len {
                    return false;
                }
                i += segment;
                if marker == 0xDA {
                    // Entropy-coded data up to the next marker that is not a stuffed
                    // zero or a restart.
                    loop {
                        if i + 1 >= len {
                            return false;
                        }
                        if bytes[i] == 0xFF {
                            let next = bytes[i + 1];
                            if next == 0x00 || (0xD0..=0xD7).contains(&next) {
                                i += 2;
                                continue;
                            }
                            if next != 0xFF {
                                break;
                            }
                        }
                        i += 1;
                    }
                }
            }
        }
    }
}

/// An incomplete JPEG refused with [`jpeg_cut_reason`].
pub(crate) fn jpeg_cut_short(decoded: Option<&DynamicImage>) -> PipelineError {
    PipelineError::Corrupt(jpeg_cut_reason(decoded))
}

/// Why an incomplete JPEG is refused. With the decoded image at hand, the row its data
/// reaches: the rows after it are the decoder's uniform mid-grey fill.
pub(crate) fn jpeg_cut_reason(decoded: Option<&DynamicImage>) -> String {
    let rows = decoded.and_then(|image| {
        let rgb = image.to_rgb8();
        let (w, h) = rgb.dimensions();
        let filled = |y: u32| (0..w).all(|x| rgb.get_pixel(x, y).0 == [128, 128, 128]);
        let mut last = h;
        while last > 0 && filled(last - 1) {
            last -= 1;
        }
        (last < h).then_some((last, h))
    });
    cut_reason("JPEG", rows)
}

/// True when the PNG's chunks run whole up to `IEND`.
pub(crate) fn png_complete(bytes: &[u8]) -> bool {
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        if &bytes[at + 4..at + 8] == b"IEND" {
            return true;
        }
        at += 12 + len as usize;
    }
    false
}

/// The reason an incomplete PNG is refused, with the rows it yields before its data runs
/// out (not counted for an interlaced one, whose passes cover the whole page each).
pub(crate) fn png_cut_short(bytes: &[u8]) -> PipelineError {
    let rows = png::Decoder::new(Cursor::new(bytes))
        .read_info()
        .ok()
        .filter(|r| !r.info().interlaced)
        .map(|mut reader| {
            let height = reader.info().height;
            let mut read = 0;
            while let Ok(Some(_)) = reader.next_row() {
                read += 1;
            }
            (read, height)
        })
        .filter(|(read, height)| read < height);
    PipelineError::Corrupt(cut_reason("PNG", rows))
}

/// Why a `format` image whose data ends early is refused: at which row, when known.
pub(crate) fn cut_reason(format: &str, rows: Option<(u32, u32)>) -> String {
    match rows {
        Some((last, h)) => format!(
            "{format}: the image data ends at row {} of {}; the rest of the page is missing — scan it again",
            thousands(last),
            thousands(h)
        ),
        None => format!(
            "{format}: the image data ends early (the file is cut short); part of the page is missing — scan it again"
        ),
    }
}

/// 3508 → "3,508".
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};

    fn jpeg(with_trailer: bool) -> Vec<u8> {
        let img = RgbImage::from_fn(320, 480, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        if with_trailer {
            out.extend_from_slice(b"a camera's trailer after the image");
        }
        out
    }

    #[test]
    fn a_whole_jpeg_is_complete_and_a_cut_one_is_not() {
        let whole = jpeg(false);
        assert!(jpeg_complete(&whole));
        assert!(jpeg_complete(&jpeg(true)), "data after EOI does not matter");
        for cut in [whole.len() - 2, whole.len() / 2, 700] {
            assert!(!jpeg_complete(&whole[..cut]), "cut at {cut}");
        }
        let mut padded = whole[..whole.len() / 2].to_vec();
        padded.resize(whole.len(), 0);
        assert!(!jpeg_complete(&padded), "zeros after the cut are no end");
    }

    #[test]
    fn the_reason_names_the_row_the_data_reaches() {
        let whole = jpeg(false);
        let cut = &whole[..whole.len() / 2];
        let decoded = image::load_from_memory_with_format(cut, ImageFormat::Jpeg).ok();
        let reason = jpeg_cut_short(decoded.as_ref()).to_string();
        assert!(reason.contains("ends at row "), "{reason}");
        assert!(reason.contains(" of 480"), "{reason}");
        assert_eq!(thousands(3508), "3,508");

        let mut png = Vec::new();
        image::load_from_memory(&whole)
            .unwrap()
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        assert!(png_complete(&png));
        let cut = &png[..png.len() / 2];
        assert!(!png_complete(cut));
        let reason = png_cut_short(cut).to_string();
        assert!(
            reason.contains("PNG: the image data ends at row ") && reason.contains(" of 480"),
            "{reason}"
        );
        assert_eq!(thousands(210), "210");
    }
}
