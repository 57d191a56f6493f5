//! Realistic colour scans (`samples/realistic`, made by `samples/realistic.py`: Decree 30
//! layout with a two-column header, red seal over a blue signature, a table of people,
//! show-through, punch holes, a scanner border, skew) read with real Tesseract: the
//! fields come out right, a skewed upright page is straightened and never turned, and a
//! number that fails Decree 30's grammar holds the document with the likely correction.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::pipeline;
use kho_workers::gate::{GateConfig, review_reasons};
use kho_workers::measure::cer_any_order;

fn realistic(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/realistic")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn truth(name: &str) -> HashMap<String, String> {
    String::from_utf8(realistic(&format!("{name}.fields.txt")))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

fn value(f: &Option<kho_workers::extract::Field>) -> &str {
    f.as_ref().map_or("", |f| f.value.as_str())
}

#[test]
fn a_realistic_decision_with_a_table_gives_its_fields_and_is_filed() {
    let out = pipeline()
        .process(&[&realistic("decision-table.jpg")], None)
        .unwrap();
    let t = truth("decision-table");
    let f = &out.fields;
    assert_eq!(value(&f.doc_type), "Quyết định");
    assert_eq!(value(&f.number), t["number"]);
    assert_eq!(value(&f.issued_on), t["date"]);
    assert_eq!(value(&f.place), t["place"]);
    assert_eq!(value(&f.issuer), t["issuer"], "the agency, not the motto");
    assert_eq!(value(&f.parent), t["parent"]);
    assert_eq!(value(&f.signer_title), t["signer_title"]);
    let mut ids: Vec<&str> = f.personal_ids.iter().map(|p| p.value.as_str()).collect();
    ids.sort();
    let mut true_ids: Vec<&str> = t["personal_ids"].split(',').collect();
    true_ids.sort();
    assert_eq!(ids, true_ids, "holder line and table cells");
    // Every field keeps the words it came from.
    for field in [&f.number, &f.issued_on, &f.issuer, &f.doc_type] {
        let field = field.as_ref().unwrap();
        assert!(
            !field.words.is_empty() && field.confidence > 0.0,
            "{field:?}"
        );
    }
    assert_eq!(review_reasons(&out, &GateConfig::default()), vec![]);
    // The seal and signature are dropped from what OCR reads, so its text is close to
    // the page's whatever the reading order.
    let gt = String::from_utf8(realistic("decision-table.gt.txt")).unwrap();
    let rate = cer_any_order(&gt, &out.text);
    assert!(
        rate < 0.10,
        "reading-order-free CER {rate:.4}:\n{}",
        out.text
    );
}

#[test]
fn a_skewed_upright_page_is_straightened_and_never_turned() {
    let t = truth("certificate-skewed");
    let p = pipeline();
    let out = p
        .process(&[&realistic("certificate-skewed.jpg")], None)
        .unwrap();
    let page = &out.pages[0];
    assert_eq!(page.rotation_deg, 0, "{page:?}");
    assert!(!page.orientation_doubt, "{page:?}");
    let skew: f32 = t["skew_ccw"].parse().unwrap();
    assert!((page.skew_deg - skew).abs() < 0.2, "{page:?}");
    assert_eq!(value(&out.fields.number), t["number"]);
    // The same page fed upside down is turned back.
    let upside_down = image::load_from_memory(&realistic("certificate-skewed.jpg"))
        .unwrap()
        .rotate180();
    let mut png = std::io::Cursor::new(Vec::new());
    upside_down
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let out = p.process(&[png.get_ref()], None).unwrap();
    assert_eq!(out.pages[0].rotation_deg, 180, "{:?}", out.pages[0]);
    assert_eq!(value(&out.fields.number), t["number"]);
}

#[test]
fn a_number_that_fails_its_grammar_holds_the_document_with_the_likely_correction() {
    // The page is a THÔNG BÁO whose number carries GP, a licence's abbreviation.
    let out = pipeline()
        .process(&[&realistic("notice-wrong-number.jpg")], None)
        .unwrap();
    let t = truth("notice-wrong-number");
    assert_eq!(value(&out.fields.number), t["number"]);
    assert_eq!(value(&out.fields.doc_type), "Thông báo");
    let reasons = review_reasons(&out, &GateConfig::default());
    let grammar = reasons
        .iter()
        .find(|r| r.code == "number_grammar")
        .unwrap_or_else(|| panic!("{reasons:?}"));
    assert_eq!(grammar.field.as_deref(), Some("number"));
    assert_eq!(
        grammar.suggestion.as_deref(),
        Some(t["number"].replace("/GP-", "/TB-").as_str())
    );
}
