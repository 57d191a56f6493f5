//! The pipeline on real sample scans with real Tesseract: text comes out of the PDF with
//! its Vietnamese diacritics, JPEG pages are embedded untouched, multi-page TIFFs give
//! every page.

mod common;

use std::io::Cursor;

use common::{pipeline, sample};
use kho_workers::measure::cer;

fn pdftotext(pdf: &[u8]) -> String {
    kho_workers::measure::pdftotext(pdf, &[]).unwrap()
}

#[test]
fn a_straight_vietnamese_page_comes_out_of_the_pdf_with_its_diacritics() {
    let out = pipeline()
        .process(&[&sample("straight-01.png")], None)
        .unwrap();
    let truth = String::from_utf8(sample("straight-01.gt.txt")).unwrap();
    let text = pdftotext(&out.pdf);
    let rate = cer(&truth, &text);
    assert!(rate <= 0.01, "CER {rate:.4} over 1%:\n{text}");
    assert!(
        text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        "{text}"
    );
    assert!(
        out.mean_confidence > 80.0,
        "confidence {}",
        out.mean_confidence
    );
    assert_eq!(out.pages.len(), 1);
    assert!(!out.pages[0].dpi_assumed);
    assert_eq!(out.pages[0].dpi.round(), 300.0);
}

#[test]
fn a_jpeg_page_is_embedded_as_it_came() {
    let jpeg = sample("jpeg-01.jpg");
    let out = pipeline().process(&[&jpeg], None).unwrap();
    let doc = lopdf::Document::load_mem(&out.pdf).unwrap();
    let embedded = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .find(|s| {
            s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(b"Image".as_slice())
        })
        .expect("an image XObject");
    assert_eq!(
        embedded.content, jpeg,
        "the JPEG bytes are embedded unchanged"
    );
    let truth = String::from_utf8(sample("jpeg-01.gt.txt")).unwrap();
    assert!(cer(&truth, &pdftotext(&out.pdf)) <= 0.02);
}

#[test]
fn every_page_of_a_multi_page_tiff_becomes_a_page_of_the_pdf_in_order() {
    // Two pages: the straight sample and the same page upside down would be slow; use the
    // straight page twice, the second at half resolution declared in the file.
    let page = image::load_from_memory(&sample("straight-01.png"))
        .unwrap()
        .to_luma8();
    let mut out = Cursor::new(Vec::new());
    {
        use tiff::encoder::{Rational, TiffEncoder, colortype};
        let mut enc = TiffEncoder::new(&mut out).unwrap();
        for dpi in [300u32, 150] {
            let mut img = enc
                .new_image::<colortype::Gray8>(page.width(), page.height())
                .unwrap();
            img.resolution(tiff::tags::ResolutionUnit::Inch, Rational { n: dpi, d: 1 });
            img.write_data(page.as_raw()).unwrap();
        }
    }
    let result = pipeline().process(&[&out.into_inner()], None).unwrap();
    assert_eq!(result.pages.len(), 2);
    assert_eq!(
        (result.pages[0].source_page, result.pages[1].source_page),
        (1, 2)
    );
    assert_eq!((result.pages[0].dpi, result.pages[1].dpi), (300.0, 150.0));
    let doc = lopdf::Document::load_mem(&result.pdf).unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    assert!(
        result.text.matches("CỘNG HÒA").count() >= 2,
        "{}",
        result.text
    );
}

#[test]
fn bytes_that_are_not_an_image_fail_permanently() {
    let err = pipeline()
        .process(&[b"GIF89a not supported".as_slice()], None)
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
}

/// `pdftotext -bbox` words: (text, xMin, yMin, xMax, yMax) in points from the top-left.
fn pdf_word_boxes(pdf: &[u8]) -> Vec<(String, f32, f32, f32, f32)> {
    let html = kho_workers::measure::pdftotext(pdf, &["-bbox"]).unwrap();
    html.split("<word ")
        .skip(1)
        .map(|w| {
            let attr = |name: &str| -> f32 {
                let start = w.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                w[start..].split('"').next().unwrap().parse().unwrap()
            };
            let text = w
                .split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_owned();
            (text, attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax"))
        })
        .collect()
}

#[test]
fn each_word_of_the_text_layer_sits_over_the_word_on_the_image() {
    let out = pipeline()
        .process(&[&sample("straight-01.png")], None)
        .unwrap();
    let scale = 72.0 / out.pages[0].dpi;
    let ocr: Vec<_> = out.page_texts[0]
        .lines
        .iter()
        .flat_map(|l| l.words.iter().map(move |w| (l, w)))
        .collect();
    let pdf = pdf_word_boxes(&out.pdf);
    assert_eq!(pdf.len(), ocr.len(), "one PDF word per OCR word");
    for ((line, word), (text, x0, y0, _x1, y1)) in ocr.iter().zip(&pdf) {
        assert_eq!(&word.text, text);
        let left = word.left as f32 * scale;
        assert!(
            (x0 - left).abs() < 1.0,
            "{text}: starts at {x0}, the image word at {left}"
        );
        // The selection spans the line's height around the word.
        let (top, bottom) = (
            line.top as f32 * scale,
            (line.top + line.height) as f32 * scale,
        );
        assert!(
            *y0 <= word.top as f32 * scale + 1.0
                && *y1 >= (word.top + word.height) as f32 * scale - 1.0,
            "{text}: selection {y0}..{y1} does not cover the word {}..{}",
            word.top as f32 * scale,
            (word.top + word.height) as f32 * scale
        );
        assert!(
            *y0 >= top - 2.0 && *y1 <= bottom + 2.0,
            "{text}: selection {y0}..{y1} leaves the line {top}..{bottom}"
        );
    }
}

fn png(image: &image::DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn pages_turned_a_quarter_half_or_three_quarters_are_turned_upright_and_read() {
    let page = image::load_from_memory(&sample("straight-01.png")).unwrap();
    let truth = String::from_utf8(sample("straight-01.gt.txt")).unwrap();
    let turned = [
        (page.rotate90(), 270),
        (page.rotate180(), 180),
        (page.rotate270(), 90),
    ];
    let p = pipeline();
    for (input, expected) in turned {
        let out = p.process(&[&png(&input)], None).unwrap();
        assert_eq!(out.pages[0].rotation_deg, expected);
        let rate = cer(&truth, &pdftotext(&out.pdf));
        assert!(rate <= 0.01, "turned page ({expected}°): CER {rate:.4}");
    }
}

#[test]
fn a_page_tilted_by_up_to_fifteen_degrees_is_straightened_and_read() {
    let page = image::load_from_memory(&sample("straight-01.png")).unwrap();
    let truth = String::from_utf8(sample("straight-01.gt.txt")).unwrap();
    let p = pipeline();
    for tilt in [-14.6f32, 7.3] {
        // Tilt counter-clockwise by `tilt`: rotate clockwise by -tilt.
        let tilted = kho_workers::deskew::rotate(&page, -tilt);
        let out = p.process(&[&png(&tilted)], None).unwrap();
        let measured = out.pages[0].skew_deg;
        assert!(
            (measured - tilt).abs() < 0.15,
            "tilt {tilt}°, measured {measured}°"
        );
        let rate = cer(&truth, &pdftotext(&out.pdf));
        assert!(rate <= 0.01, "tilt {tilt}°: CER {rate:.4}");
    }
}

#[test]
fn a_straight_page_is_not_resampled() {
    let out = pipeline().process(&[&sample("jpeg-01.jpg")], None).unwrap();
    assert_eq!(out.pages[0].skew_deg, 0.0);
    assert_eq!(out.pages[0].rotation_deg, 0);
}

/// A JPEG holding the page turned a quarter counter-clockwise, with the EXIF orientation
/// (6: "rotate 90° clockwise to display") a phone or scanner writes for it.
fn exif_rotated_jpeg() -> Vec<u8> {
    let page = image::load_from_memory(&sample("straight-01.png"))
        .unwrap()
        .rotate270();
    let mut jpeg = Cursor::new(Vec::new());
    page.to_luma8()
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    // APP1 Exif: big-endian TIFF header, one IFD entry Orientation (0x0112) SHORT = 6.
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn a_jpeg_is_turned_by_its_exif_orientation_before_reading() {
    let jpeg = exif_rotated_jpeg();
    let decoded = kho_workers::decode::decode(&jpeg, &Default::default()).unwrap();
    let (w, h) = (decoded[0].image.width(), decoded[0].image.height());
    assert!(
        h > w,
        "EXIF orientation applied: the page is portrait again ({w}×{h})"
    );
    assert!(
        decoded[0].original.is_none(),
        "turned bytes are not embedded as they came"
    );
    let out = pipeline().process(&[&jpeg], None).unwrap();
    assert_eq!(
        out.pages[0].rotation_deg, 0,
        "EXIF, not OSD, made it upright"
    );
    let truth = String::from_utf8(sample("straight-01.gt.txt")).unwrap();
    let rate = cer(&truth, &pdftotext(&out.pdf));
    assert!(rate <= 0.01, "CER {rate:.4}");
}
