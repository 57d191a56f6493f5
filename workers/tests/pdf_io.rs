//! Scanned PDFs in, PDF/A-4 out, with real Tesseract, `pdftotext` and `qpdf`.
//!
//! The input PDFs are built here from the sample page, one page per image encoding a
//! scanner writes (JPEG, Flate, CCITT Group 4, JBIG2 generic region), and each page's
//! text must come out of Kho's PDF.

mod common;

use std::process::Command;

use common::{pipeline, sample};
use image::{GrayImage, Luma};
use kho_workers::PipelineError;
use kho_workers::measure::cer;
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

fn straight_page() -> GrayImage {
    image::load_from_memory(&sample("straight-01.png"))
        .unwrap()
        .to_luma8()
}

fn bilevel(g: &GrayImage) -> GrayImage {
    GrayImage::from_fn(g.width(), g.height(), |x, y| {
        Luma([if g.get_pixel(x, y).0[0] < 140 { 0 } else { 255 }])
    })
}

/// Group 4 coding of a bilevel image (black = 0).
fn g4(g: &GrayImage) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in g.as_raw().chunks(g.width() as usize) {
        let pels = row.iter().map(|&p| {
            if p == 0 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        enc.encode_line(pels, g.width() as u16).unwrap();
    }
    enc.finish().unwrap().finish()
}

/// A JBIG2 stream in the embedded organization: page information, one immediate
/// lossless generic region coded with MMR (T.6), end of page.
fn jbig2_embedded(g: &GrayImage) -> Vec<u8> {
    let (w, h) = g.dimensions();
    let segment = |number: u32, kind: u8, data: &[u8]| {
        let mut s = number.to_be_bytes().to_vec();
        s.push(kind); // type; one-byte page association
        s.push(0); // no referred-to segments
        s.push(1); // page 1
        s.extend_from_slice(&(data.len() as u32).to_be_bytes());
        s.extend_from_slice(data);
        s
    };
    let mut page_info = Vec::new();
    page_info.extend_from_slice(&w.to_be_bytes());
    page_info.extend_from_slice(&h.to_be_bytes());
    page_info.extend_from_slice(&[0; 8]); // resolution unknown
    page_info.push(0); // flags: default pixel white
    page_info.extend_from_slice(&[0, 0]); // no striping
    let mut region = Vec::new();
    region.extend_from_slice(&w.to_be_bytes());
    region.extend_from_slice(&h.to_be_bytes());
    region.extend_from_slice(&[0; 8]); // at 0,0
    region.push(0); // OR
    region.push(1); // generic region flags: MMR
    region.extend_from_slice(&g4(g));
    let mut out = segment(0, 48, &page_info);
    out.extend(segment(1, 39, &region));
    out.extend(segment(2, 49, &[]));
    out
}

/// A PDF whose pages each paint one image stream; `(dict, data)` per page, 300 dpi.
fn scanned_pdf(images: Vec<(Dictionary, Vec<u8>)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut kids = vec![];
    for (mut dict, data) in images {
        let w = dict.get(b"Width").unwrap().as_i64().unwrap() as f32;
        let h = dict.get(b"Height").unwrap().as_i64().unwrap() as f32;
        dict.set("Type", "XObject");
        dict.set("Subtype", "Image");
        let img = doc.add_object(Stream::new(dict, data).with_compression(false));
        let (pw, ph) = (w * 72.0 / 300.0, h * 72.0 / 300.0);
        let content = doc.add_object(Stream::new(
            Dictionary::new(),
            format!("q {pw} 0 0 {ph} 0 0 cm /I Do Q").into_bytes(),
        ));
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(pw), Object::Real(ph)],
            "Resources" => dictionary! { "XObject" => dictionary! { "I" => img } },
            "Contents" => content,
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

fn page_texts(pdf: &[u8], pages: usize) -> Vec<String> {
    (1..=pages)
        .map(|p| {
            let n = p.to_string();
            kho_workers::measure::pdftotext(pdf, &["-f", &n, "-l", &n]).unwrap()
        })
        .collect()
}

#[test]
fn every_image_encoding_of_a_scanned_pdf_is_read() {
    let gray = straight_page();
    let bw = bilevel(&gray);
    let (w, h) = (gray.width() as i64, gray.height() as i64);
    let mut flate = Stream::new(Dictionary::new(), gray.as_raw().clone());
    flate.compress().unwrap();
    let jpeg = sample("jpeg-01.jpg");
    let jpeg_size = image::load_from_memory(&jpeg).unwrap();
    let grey_dict = |filter: &str| {
        dictionary! { "Width" => w, "Height" => h, "ColorSpace" => "DeviceGray",
        "BitsPerComponent" => 8, "Filter" => filter }
    };
    let pdf = scanned_pdf(vec![
        (
            dictionary! { "Width" => jpeg_size.width() as i64, "Height" => jpeg_size.height() as i64,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode" },
            jpeg.clone(),
        ),
        (grey_dict("FlateDecode"), flate.content),
        (
            dictionary! { "Width" => w, "Height" => h, "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 1, "Filter" => "CCITTFaxDecode",
            "DecodeParms" => dictionary! { "K" => -1, "Columns" => w, "Rows" => h } },
            g4(&bw),
        ),
        (
            dictionary! { "Width" => w, "Height" => h, "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 1, "Filter" => "JBIG2Decode" },
            jbig2_embedded(&bw),
        ),
    ]);
    let probe = kho_workers::decode::probe(&pdf, &Default::default()).unwrap();
    assert_eq!((probe.format.mime(), probe.pages), ("application/pdf", 4));

    let out = pipeline().process(&[&pdf], None).unwrap();
    assert_eq!(out.pages.len(), 4);
    let truth = String::from_utf8(sample("straight-01.gt.txt")).unwrap();
    let jpeg_truth = String::from_utf8(sample("jpeg-01.gt.txt")).unwrap();
    for (i, text) in page_texts(&out.pdf, 4).iter().enumerate() {
        let t = if i == 0 { &jpeg_truth } else { &truth };
        let rate = cer(t, text);
        assert!(rate <= 0.01, "page {} CER {rate:.4}:\n{text}", i + 1);
        assert_eq!(out.pages[i].dpi.round(), 300.0, "page {}", i + 1);
        assert!(!out.pages[i].dpi_assumed);
    }
    // The scanned JPEG went into Kho's PDF byte for byte.
    let doc = Document::load_mem(&out.pdf).unwrap();
    assert!(
        doc.objects
            .values()
            .any(|o| o.as_stream().is_ok_and(|s| s.content == jpeg))
    );
}

#[test]
fn unreadable_pdfs_are_refused_with_the_reason() {
    let born_digital = scanned_pdf(vec![]);
    let err = kho_workers::decode::probe(&born_digital, &Default::default()).unwrap_err();
    assert!(
        matches!(&err, PipelineError::Corrupt(m) if m.contains("no pages")),
        "{err}"
    );
    let bomb = scanned_pdf(vec![(
        dictionary! { "Width" => 100_000, "Height" => 100_000, "ColorSpace" => "DeviceGray",
        "BitsPerComponent" => 8 },
        vec![0; 16],
    )]);
    let err = kho_workers::decode::probe(&bomb, &Default::default()).unwrap_err();
    assert!(matches!(err, PipelineError::TooLarge(_)), "{err}");
    assert!(err.is_permanent());
}

#[test]
fn the_output_is_pdf_a_4_that_qpdf_accepts_with_the_fields_in_its_xmp() {
    let out = pipeline()
        .process(&[&sample("straight-01.png")], Some("Giấy chứng nhận"))
        .unwrap();
    let doc = Document::load_mem(&out.pdf).unwrap();
    assert_eq!(doc.version, "2.0");
    assert!(out.pdf.starts_with(b"%PDF-2.0"));
    let catalog = doc.catalog().unwrap();
    let xmp_id = catalog.get(b"Metadata").unwrap().as_reference().unwrap();
    let xmp = doc.get_object(xmp_id).unwrap().as_stream().unwrap();
    let xmp = String::from_utf8(xmp.content.clone()).unwrap();
    assert!(xmp.contains("<pdfaid:part>4</pdfaid:part>"), "{xmp}");
    assert!(
        xmp.contains("<kho:Number>3246/GCN-UBND</kho:Number>"),
        "{xmp}"
    );
    assert!(
        xmp.contains("<kho:IssuedOn>2025-02-02</kho:IssuedOn>"),
        "{xmp}"
    );
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    assert_eq!(intents.len(), 1);
    assert!(doc.trailer.get(b"ID").is_ok());

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("out.pdf");
    std::fs::write(&path, &out.pdf).unwrap();
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf is installed (scripts/setup.sh --test)");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && report.contains("No syntax or stream encoding errors"),
        "qpdf --check:\n{report}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // A PNG page that needed no change keeps its compressed data: output ≈ input.
    let input = sample("straight-01.png").len() as f64;
    let ratio = out.pdf.len() as f64 / input;
    assert!(ratio < 1.1, "output/input bytes {ratio:.2}");
}
