//! Every kind of file a records office holds besides plain scanner output (issue 17),
//! built in the test from the sample page (`tests/fixtures/odd_pdfs.py` with Pillow,
//! reportlab, img2pdf, qpdf and Ghostscript; the rest with lopdf here), read with real
//! Tesseract: the page's text comes out of Kho's PDF, or the file is refused with a
//! reason that says what is wrong. Nothing is filed as whole that is not.

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{pipeline, sample};
use kho_workers::PipelineError;
use kho_workers::measure::{cer_any_order, pdftotext};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

fn truth() -> String {
    String::from_utf8(sample("straight-01.gt.txt")).unwrap()
}

/// The files `odd_pdfs.py` makes, once per test binary.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = root.join("target/odd-files");
        let python = std::env::var("KHO_TEST_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root.join(".venv/bin/python"));
        let out = Command::new(&python)
            .arg(root.join("tests/fixtures/odd_pdfs.py"))
            .arg(root.join("samples/pages/straight-01.png"))
            .arg(root.join("samples/pages/straight-01.gt.txt"))
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("{} (scripts/setup.sh --test): {e}", python.display()));
        assert!(
            out.status.success(),
            "odd_pdfs.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(built().join(name)).unwrap()
}

/// The reading-order-free CER of what Kho's PDF holds for `input`.
fn read(input: &[u8]) -> (f64, kho_workers::DocumentOutput) {
    let out = pipeline().process(&[input], None).unwrap();
    let text = pdftotext(&out.pdf, &[]).unwrap();
    (cer_any_order(&truth(), &text), out)
}

fn assert_reads(name: &str, input: &[u8], max_cer: f64) -> kho_workers::DocumentOutput {
    kho_workers::decode::probe(input, &Default::default())
        .unwrap_or_else(|e| panic!("{name}: refused at the door: {e}"));
    let (rate, out) = read(input);
    println!("{name}: CER {:.2}%", rate * 100.0);
    assert!(rate <= max_cer, "{name}: CER {:.2}%", rate * 100.0);
    out
}

#[test]
fn born_digital_and_vector_pages_are_rendered_and_read() {
    for name in ["born-digital.pdf", "vector.pdf", "linearized.pdf"] {
        let out = assert_reads(name, &file(name), 0.03);
        assert_eq!(out.pages.len(), 1);
        assert_eq!(
            out.pages[0].dpi.round(),
            300.0,
            "{name}: vector pages at 300 dpi"
        );
    }
}

#[test]
fn images_in_forms_palettes_jpeg_2000_and_cmyk_are_read() {
    for name in [
        "form-image.pdf",
        "indexed.pdf",
        "jpx.pdf",
        "cmyk.pdf",
        "cmyk.jpg",
    ] {
        assert_reads(name, &file(name), 0.02);
    }
}

#[test]
fn a_page_turned_by_rotate_reads_as_well_as_the_same_page_upright() {
    let (upright, _) = read(&file("upright-skewed.png"));
    for turn in [90, 180, 270] {
        let name = format!("rotate-{turn}.pdf");
        let (rate, _) = read(&file(&name));
        println!(
            "{name}: CER {:.2}% (upright {:.2}%)",
            rate * 100.0,
            upright * 100.0
        );
        assert!(
            rate <= upright + 0.005,
            "{name}: CER {:.2}% against {:.2}% upright",
            rate * 100.0,
            upright * 100.0
        );
    }
}

/// A one-page PDF whose page paints `xobject` (an image or a form) full page.
fn one_page(image: Option<(Dictionary, Vec<u8>)>, contents: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let (pw, ph) = (595.0, 842.0);
    let mut page = dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), Object::Real(pw), Object::Real(ph)],
    };
    if let Some((mut dict, data)) = image {
        dict.set("Type", "XObject");
        dict.set("Subtype", "Image");
        let img = doc.add_object(Stream::new(dict, data).with_compression(false));
        page.set(
            "Resources",
            dictionary! { "XObject" => dictionary! { "I" => img } },
        );
    }
    if contents {
        let content = doc.add_object(Stream::new(
            Dictionary::new(),
            format!("q {pw} 0 0 {ph} 0 0 cm /I Do Q").into_bytes(),
        ));
        page.set("Contents", content);
    }
    let page_id = doc.add_object(page);
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

fn jpeg_dict(jpeg: &[u8]) -> Dictionary {
    let img = image::load_from_memory(jpeg).unwrap();
    dictionary! { "Width" => img.width() as i64, "Height" => img.height() as i64,
    "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode" }
}

#[test]
fn a_flate_then_dct_chain_is_read() {
    let jpeg = sample("jpeg-01.jpg");
    let mut dict = jpeg_dict(&jpeg);
    dict.set(
        "Filter",
        vec![Object::from("FlateDecode"), Object::from("DCTDecode")],
    );
    let mut deflated = Stream::new(Dictionary::new(), jpeg.clone());
    deflated.compress().unwrap();
    let pdf = one_page(Some((dict, deflated.content)), true);
    let out = pipeline().process(&[&pdf], None).unwrap();
    let text = pdftotext(&out.pdf, &[]).unwrap();
    let truth = String::from_utf8(sample("jpeg-01.gt.txt")).unwrap();
    let rate = cer_any_order(&truth, &text);
    assert!(rate <= 0.02, "CER {:.2}%", rate * 100.0);
}

#[test]
fn a_page_without_contents_is_a_blank_page() {
    let pdf = one_page(None, false);
    let probe = kho_workers::decode::probe(&pdf, &Default::default()).unwrap();
    assert_eq!(probe.pages, 1);
    let out = pipeline().process(&[&pdf], None).unwrap();
    assert_eq!(out.pages.len(), 1);
    assert!(out.pages[0].blank, "an empty page is blank, for review");
}

#[test]
fn a_signed_pdf_is_refused_naming_issuer_push() {
    // A signature field with its value, as any signing tool writes it.
    let mut doc = Document::load_mem(&one_page(None, false)).unwrap();
    let sig = doc.add_object(dictionary! {
        "Type" => "Sig", "Filter" => "Adobe.PPKLite", "SubFilter" => "ETSI.CAdES.detached",
        "ByteRange" => vec![0.into(), 10.into(), 20.into(), 30.into()],
        "Contents" => Object::String(vec![0; 64], lopdf::StringFormat::Hexadecimal),
    });
    let field = doc.add_object(
        dictionary! { "FT" => "Sig", "T" => Object::string_literal("Sig1"), "V" => sig },
    );
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    doc.get_dictionary_mut(root)
        .unwrap()
        .set("AcroForm", dictionary! { "Fields" => vec![field.into()] });
    let mut pdf = vec![];
    doc.save_to(&mut pdf).unwrap();
    let err = kho_workers::decode::probe(&pdf, &Default::default()).unwrap_err();
    let said = err.to_string();
    assert!(matches!(err, PipelineError::Signed(_)), "{said}");
    assert!(
        said.contains("issuer push") && said.contains("verifier"),
        "{said}"
    );
    assert!(err.is_permanent());
}

fn assert_cut(name: &str, bytes: &[u8]) -> String {
    // Refused when it arrives, or at the latest when it is decoded: never a page.
    let at_door = kho_workers::decode::probe(bytes, &Default::default());
    let decoded = kho_workers::decode::decode(bytes, &Default::default());
    let err = match (at_door, decoded) {
        (Err(e), _) | (Ok(_), Err(e)) => e,
        (Ok(_), Ok(_)) => panic!("{name}: a cut file was read as whole"),
    };
    assert!(matches!(err, PipelineError::Corrupt(_)), "{name}: {err:?}");
    assert!(err.is_permanent());
    err.to_string()
}

#[test]
fn cut_images_are_never_read_as_whole() {
    let jpeg = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/realistic/decision-table.jpg"),
    )
    .unwrap();
    let said = assert_cut("JPEG", &jpeg[..40_000]);
    assert!(
        said.contains("ends at row ") && said.contains(" of 2,338"),
        "{said}"
    );

    let png = sample("straight-01.png");
    let said = assert_cut("PNG", &png[..png.len() / 2]);
    assert!(said.contains("PNG: the image data ends at row "), "{said}");

    let page = image::load_from_memory(&png).unwrap();
    let mut tiff = Vec::new();
    page.write_to(&mut Cursor::new(&mut tiff), image::ImageFormat::Tiff)
        .unwrap();
    // The TIFF's strips run after its header; cut in the middle of them.
    let said = assert_cut("TIFF", &tiff[..tiff.len() * 2 / 3]);
    assert!(said.contains("TIFF: the image data ends early"), "{said}");

    let grey = sample("jpeg-01.jpg");
    let cut = grey[..grey.len() / 2].to_vec();
    let pdf = one_page(Some((jpeg_dict(&grey), cut)), true);
    let said = assert_cut("a PDF page's JPEG", &pdf);
    assert!(said.contains("ends at row "), "{said}");
}

#[test]
fn a_huge_jbig2_page_is_refused_by_its_header() {
    let dict = dictionary! { "Width" => 35_000, "Height" => 35_000, "ColorSpace" => "DeviceGray",
    "BitsPerComponent" => 1, "Filter" => "JBIG2Decode" };
    let pdf = one_page(Some((dict, vec![0; 32])), true);
    let err = kho_workers::decode::probe(&pdf, &Default::default()).unwrap_err();
    assert!(matches!(err, PipelineError::TooLarge(_)), "{err}");
}

#[test]
fn a_cut_image_stream_the_renderer_would_draw_is_refused() {
    // The palette page's image (Indexed, so rendered) with its compressed data cut.
    let mut doc = Document::load_mem(&file("indexed.pdf")).unwrap();
    let image = doc
        .objects
        .values_mut()
        .filter_map(|o| o.as_stream_mut().ok())
        .find(|s| {
            s.dict
                .get(b"Subtype")
                .is_ok_and(|n| n.as_name().is_ok_and(|n| n == b"Image"))
        })
        .unwrap();
    let half = image.content.len() / 2;
    image.content.truncate(half);
    image.dict.set("Length", half as i64);
    let mut pdf = vec![];
    doc.save_to(&mut pdf).unwrap();
    let said = assert_cut("a cut palette image in a PDF", &pdf);
    println!("{said}");
    assert!(said.contains("image object "), "{said}");
}

#[test]
fn a_searchable_scan_keeps_its_image_and_a_page_with_visible_text_is_drawn() {
    // Kho's own output, like a scanner's searchable PDF: the scanned JPEG under
    // invisible text (render mode 3). The page is still its image, taken out as it is.
    let jpeg = sample("jpeg-01.jpg");
    let searchable = pipeline().process(&[&jpeg], None).unwrap().pdf;
    let pages = kho_workers::decode::decode(&searchable, &Default::default()).unwrap();
    assert!(
        matches!(&pages[0].original, Some(kho_workers::decode::Original::Jpeg(j)) if *j == jpeg),
        "the JPEG is kept as it came"
    );
    // Born-digital text is drawn: nothing to keep.
    let pages =
        kho_workers::decode::decode(&file("born-digital.pdf"), &Default::default()).unwrap();
    assert!(pages[0].original.is_none());
}
