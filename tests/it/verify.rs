//! The verifier against attacks built here, by construction (no third-party samples):
//! none of them may come out VALID, and untouched signed documents must.

use crate::common::*;
use kho::verify::{Verdict, verify};
use lopdf::{Document, Object};

fn verdict(pdf: &[u8], pki: &Pki) -> (Verdict, Vec<String>) {
    let r = verify(pdf, std::slice::from_ref(&pki.root));
    (r.verdict, r.reasons)
}

/// Offset of the n-th (0-based) signature's /ByteRange array and its four numbers.
fn byte_range(pdf: &[u8], n: usize) -> (usize, [usize; 4]) {
    let at = pdf
        .windows(11)
        .enumerate()
        .filter(|(_, w)| w == b"/ByteRange ")
        .nth(n)
        .unwrap()
        .0
        + 11;
    let end = at + pdf[at..].iter().position(|&b| b == b']').unwrap();
    let nums: Vec<usize> = std::str::from_utf8(&pdf[at + 1..end])
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    (at, [nums[0], nums[1], nums[2], nums[3]])
}

/// Replace the n-th /ByteRange array with `text`, padded to the same width.
fn set_byte_range(pdf: &mut [u8], n: usize, text: &str) {
    let (at, _) = byte_range(pdf, n);
    let end = at + pdf[at..].iter().position(|&b| b == b']').unwrap() + 1;
    let padded = format!("{text:<w$}", w = end - at);
    assert_eq!(padded.len(), end - at, "replacement too long");
    pdf[at..end].copy_from_slice(padded.as_bytes());
}

/// Append an incremental update that replaces or adds `objects` (id, body) and whose
/// trailer gets `extra` entries.
fn append_update(pdf: &[u8], objects: &[(u32, String)], extra: &str) -> Vec<u8> {
    let doc = Document::load_mem(pdf).unwrap();
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap() as u32;
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let prev = doc.xref_start;
    let mut out = pdf.to_vec();
    let mut xref = String::from("xref\n");
    let mut max = size;
    for (id, body) in objects {
        let off = out.len();
        out.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
        xref.push_str(&format!("{id} 1\n{off:010} 00000 n \n"));
        max = max.max(id + 1);
    }
    let xref_at = out.len();
    out.extend_from_slice(xref.as_bytes());
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {max} /Root {} 0 R /Prev {prev} {extra} >>\nstartxref\n{xref_at}\n%%EOF\n",
            root.0
        )
        .as_bytes(),
    );
    out
}

#[test]
fn untouched_signed_documents_are_valid() {
    let pki = make_pki();
    let (custody, sealed) = signed_twice(&pki);
    for pdf in [&custody, &sealed] {
        let r = verify(pdf, std::slice::from_ref(&pki.root));
        assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    }
    let r = verify(&sealed, std::slice::from_ref(&pki.root));
    assert_eq!(r.signatures.len(), 2);
    assert_eq!(r.signatures[1].covers, "the whole file");
    assert!(
        r.signatures[0]
            .signer
            .as_deref()
            .unwrap()
            .contains("Nguyễn Văn An")
    );
    assert_eq!(r.signatures[0].chain.len(), 2);
}

#[test]
fn a_flipped_byte_anywhere_signed_is_never_valid() {
    let pki = make_pki();
    let (_, sealed) = signed_twice(&pki);
    let step = sealed.len() / 40;
    for at in (0..sealed.len()).step_by(step) {
        let (_, [_, a, b, _]) = byte_range(&sealed, 1);
        if (a..b).contains(&at) {
            continue; // inside the seal's own /Contents (checked below)
        }
        let mut bad = sealed.clone();
        bad[at] ^= 0x01;
        let (v, why) = verdict(&bad, &pki);
        assert_ne!(v, Verdict::Valid, "byte {at} flipped: {why:?}");
    }
}

#[test]
fn contents_missing_empty_or_zeroed_are_invalid() {
    let pki = make_pki();
    let (custody, _) = signed_twice(&pki);
    let (_, [_, a, b, _]) = byte_range(&custody, 0);
    let mut zeroed = custody.clone();
    zeroed[a + 1..b - 1].fill(b'0');
    assert_eq!(verdict(&zeroed, &pki).0, Verdict::Invalid);
    // The CMS with one byte changed (inside the signature value).
    let mut broken = custody.clone();
    broken[a + 1 + 2 * 200] = if broken[a + 1 + 400] == b'A' {
        b'B'
    } else {
        b'A'
    };
    assert_ne!(verdict(&broken, &pki).0, Verdict::Valid);
    // /Contents renamed away: the dictionary has none.
    let text_at = custody
        .windows(10)
        .position(|w| w == b"/Contents ")
        .unwrap();
    let mut missing = custody.clone();
    missing[text_at..text_at + 9].copy_from_slice(b"/Kontents");
    assert_eq!(verdict(&missing, &pki).0, Verdict::Invalid);
}

#[test]
fn malformed_or_shifted_byte_ranges_are_invalid() {
    let pki = make_pki();
    let (custody, _) = signed_twice(&pki);
    let (_, [_, a, b, c]) = byte_range(&custody, 0);
    let cases = [
        format!("[0 {a} {b}]"),                 // three numbers
        format!("[1 {a} {b} {c}]"),             // not from 0
        format!("[0 {} {b} {c}]", a + 2),       // overlapping the hex string
        format!("[0 {a} {} {}]", b - 2, c + 2), // gap smaller than /Contents
        format!("[0 {a} {b} {}]", c - 10),      // not reaching the end
        format!("[0 {a} {b} {}]", c + 10),      // past the end
    ];
    for case in cases {
        let mut bad = custody.clone();
        set_byte_range(&mut bad, 0, &case);
        let (v, why) = verdict(&bad, &pki);
        assert!(
            matches!(v, Verdict::Invalid | Verdict::ModifiedAfterSigning),
            "{case}: {v:?} {why:?}"
        );
    }
}

#[test]
fn content_smuggled_into_a_widened_gap_is_invalid() {
    let pki = make_pki();
    let (custody, _) = signed_twice(&pki);
    let (_, [_, a, b, c]) = byte_range(&custody, 0);
    // Widen the gap to swallow the bytes after /Contents, then change them.
    let mut bad = custody.clone();
    set_byte_range(&mut bad, 0, &format!("[0 {a} {} {}]", b + 20, c - 20));
    bad[b + 5] = b'X';
    assert_eq!(verdict(&bad, &pki).0, Verdict::Invalid);
}

#[test]
fn incremental_updates_that_change_what_is_shown_are_modified_after_signing() {
    let pki = make_pki();
    let (_, sealed) = signed_twice(&pki);
    let doc = Document::load_mem(&sealed).unwrap();
    let page_id = *doc.get_pages().get(&1).unwrap();
    let page = doc.get_dictionary(page_id).unwrap();
    let content_id = page.get(b"Contents").unwrap().as_reference().unwrap();
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap() as u32;

    // New page content replacing the old.
    let replaced = append_update(
        &sealed,
        &[(
            content_id.0,
            "<< /Length 17 >>\nstream\n0 0 m 500 500 l S\nendstream".into(),
        )],
        "",
    );
    // An annotation added to page 1.
    let mut page_text = String::new();
    let mut annotated = page.clone();
    let mut annots = annotated
        .get(b"Annots")
        .and_then(Object::as_array)
        .cloned()
        .unwrap_or_default();
    annots.push(Object::Reference((size, 0)));
    annotated.set("Annots", annots);
    let mut buf = Vec::new();
    lopdf::Writer::write_object(&mut buf, &Object::Dictionary(annotated)).unwrap();
    page_text.push_str(&String::from_utf8(buf).unwrap());
    let with_annot = append_update(
        &sealed,
        &[
            (
                size,
                "<< /Type /Annot /Subtype /FreeText /Rect [10 10 300 60] /Contents (Đã hủy) >>"
                    .into(),
            ),
            (page_id.0, page_text),
        ],
        "",
    );
    // /Info changed.
    let info = append_update(
        &sealed,
        &[(size, "<< /Title (Bản giả) >>".into())],
        &format!("/Info {size} 0 R"),
    );
    for (name, pdf) in [
        ("replaced content", replaced),
        ("annotation", with_annot),
        ("info", info),
    ] {
        let (v, why) = verdict(&pdf, &pki);
        assert_eq!(v, Verdict::ModifiedAfterSigning, "{name}: {why:?}");
    }
}

#[test]
fn a_dss_revision_is_allowed_and_one_that_carries_anything_else_is_a_modification() {
    let pki = make_pki();
    let (_, sealed) = signed_twice(&pki);
    let with_dss =
        kho::signing::ltv::add_dss(&sealed, &[pki.agency.clone(), pki.root.clone()], &[]).unwrap();
    assert_eq!(verdict(&with_dss, &pki).0, Verdict::Valid);
    let doc = Document::load_mem(&with_dss).unwrap();
    let dss_id = doc
        .catalog()
        .unwrap()
        .get(b"DSS")
        .unwrap()
        .as_reference()
        .unwrap();
    let page_id = *doc.get_pages().get(&1).unwrap();
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap() as u32;
    let held: String = doc
        .get_dictionary(dss_id)
        .unwrap()
        .get(b"Certs")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} 0 R ", r.as_reference().unwrap().0))
        .collect();
    // The DSS grows with one more certificate stream: still valid.
    let grown = append_update(
        &with_dss,
        &[
            (size, "<< /Length 3 >>\nstream\nabc\nendstream".into()),
            (
                dss_id.0,
                format!("<< /Type /DSS /Certs [{held}{size} 0 R] >>"),
            ),
        ],
        "",
    );
    let (v, why) = verdict(&grown, &pki);
    assert_eq!(v, Verdict::Valid, "{why:?}");
    // What cannot hide in a DSS: a key that is not validation data, an image "certificate"
    // (a stream with a drawing's keys), a page tree named from the VRI.
    let hostile = [
        (
            "extra key",
            vec![(
                dss_id.0,
                format!("<< /Type /DSS /Certs [{held}] /Pages {} 0 R >>", page_id.0),
            )],
        ),
        (
            "image as certificate",
            vec![
                (
                    size,
                    "<< /Length 3 /Type /XObject /Subtype /Image /Width 1 /Height 1 >>\nstream\nabc\nendstream"
                        .into(),
                ),
                (dss_id.0, format!("<< /Type /DSS /Certs [{held}{size} 0 R] >>")),
            ],
        ),
        (
            "page in the VRI",
            vec![
                (
                    size,
                    format!("<< /Type /Page /Parent {} 0 R /MediaBox [0 0 10 10] >>", page_id.0),
                ),
                (
                    dss_id.0,
                    format!("<< /Type /DSS /Certs [{held}] /VRI << /ABCD {size} 0 R >> >>"),
                ),
            ],
        ),
    ];
    for (name, objects) in hostile {
        let pdf = append_update(&with_dss, &objects, "");
        let (v, why) = verdict(&pdf, &pki);
        assert_eq!(v, Verdict::ModifiedAfterSigning, "{name}: {why:?}");
    }
}

#[test]
fn appended_bytes_without_a_revision_and_an_xref_only_remap_are_not_valid() {
    let pki = make_pki();
    let (_, sealed) = signed_twice(&pki);
    let mut junk = sealed.clone();
    junk.extend_from_slice(b"99 0 obj\n<< /Type /Annot >>\nendobj\n");
    assert_ne!(verdict(&junk, &pki).0, Verdict::Valid);

    // Shadow attack: an update with only an xref section that points page 1's content
    // stream at other bytes already in the file (here: the ICC profile stream).
    let doc = Document::load_mem(&sealed).unwrap();
    let page_id = *doc.get_pages().get(&1).unwrap();
    let content_id = doc
        .get_dictionary(page_id)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_reference()
        .unwrap();
    let other = doc
        .objects
        .iter()
        .find(|(id, o)| **id != content_id && o.as_stream().is_ok())
        .map(|(id, _)| *id)
        .unwrap();
    let other_at = match doc.reference_table.get(other.0).unwrap() {
        lopdf::xref::XrefEntry::Normal { offset, .. } => *offset as usize,
        _ => unreachable!(),
    };
    // Rewrite "N 0 obj" of the other object's header as the content id is not possible
    // in place, so point the xref at it and rely on the object-number check: the verifier
    // must not accept the remapped object either way.
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap();
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let mut shadow = sealed.clone();
    let xref_at = shadow.len();
    shadow.extend_from_slice(
        format!(
            "xref\n{} 1\n{other_at:010} 00000 n \ntrailer\n<< /Size {size} /Root {} 0 R /Prev {} >>\nstartxref\n{xref_at}\n%%EOF\n",
            content_id.0, root.0, doc.xref_start
        )
        .as_bytes(),
    );
    assert_ne!(verdict(&shadow, &pki).0, Verdict::Valid);
}

#[test]
fn a_signature_by_a_key_outside_the_trust_roots_is_an_unknown_signer() {
    let pki = make_pki();
    let stranger = make_pki();
    let (custody, _) = signed_twice(&stranger);
    let (v, why) = verdict(&custody, &pki);
    assert_eq!(v, Verdict::UnknownSigner, "{why:?}");
    assert!(why[0].contains("trusted root"), "{why:?}");
}

#[test]
fn a_pdf_without_signatures_or_not_a_pdf_is_invalid() {
    let pki = make_pki();
    assert_eq!(verdict(&unsigned_pdf(), &pki).0, Verdict::Invalid);
    assert_eq!(verdict(b"not a pdf", &pki).0, Verdict::Invalid);
    assert_eq!(verdict(b"", &pki).0, Verdict::Invalid);
}

/// Where pyHanko reaches a verdict, Kho agrees — or is stricter where DESIGN.md §11 says
/// pyHanko is lenient (an appended object without xref, a later /Info-only update).
#[test]
fn kho_agrees_with_pyhanko_on_every_fixture_or_is_stricter_where_it_is_lenient() {
    let pki = make_pki();
    let stranger = make_pki();
    let (custody, sealed) = signed_twice(&pki);
    let flip = |pdf: &[u8], at: usize| {
        let mut v = pdf.to_vec();
        v[at] ^= 0x01;
        v
    };
    let size = Document::load_mem(&sealed)
        .unwrap()
        .trailer
        .get(b"Size")
        .unwrap()
        .as_i64()
        .unwrap() as u32;
    let mut junk = sealed.clone();
    junk.extend_from_slice(b"99 0 obj\n<< /Type /Annot >>\nendobj\n");
    let (_, [_, a, b, _]) = byte_range(&custody, 0);
    let mut zeroed = custody.clone();
    zeroed[a + 1..b - 1].fill(b'0');
    // (name, file, Kho is stricter than pyHanko here)
    let fixtures: Vec<(&str, Vec<u8>, bool)> = vec![
        ("untouched custody", custody.clone(), false),
        ("untouched seal", sealed.clone(), false),
        ("flipped byte", flip(&sealed, sealed.len() / 3), false),
        ("zeroed contents", zeroed, false),
        ("stranger's key", signed_twice(&stranger).1, false),
        (
            "info update",
            append_update(
                &sealed,
                &[(size, "<< /Title (Bản giả) >>".into())],
                &format!("/Info {size} 0 R"),
            ),
            true,
        ),
        ("trailing object", junk, true),
    ];
    for (name, pdf, kho_stricter) in fixtures {
        let kho_valid = verify(&pdf, std::slice::from_ref(&pki.root)).verdict == Verdict::Valid;
        let (pyhanko_valid, report) = pyhanko_validate(&pdf, &pki.root);
        if kho_stricter {
            assert!(!kho_valid, "{name}: Kho must refuse what pyHanko lets pass");
        } else {
            assert_eq!(
                kho_valid, pyhanko_valid,
                "{name}: Kho and pyHanko disagree\n{report}"
            );
        }
    }
}

/// A hostile review sent a PDF whose `/Fields` named the same signature field 1,000
/// times: the verifier hashed the file 1,000 times. Each signature is checked once.
#[test]
fn a_signature_field_listed_a_thousand_times_is_checked_once() {
    let pki = make_pki();
    let (_, sealed) = signed_twice(&pki);
    let doc = Document::load_mem(&sealed).unwrap();
    let form_id = doc
        .catalog()
        .unwrap()
        .get(b"AcroForm")
        .unwrap()
        .as_reference()
        .unwrap();
    let mut form = doc.get_dictionary(form_id).unwrap().clone();
    let fields = form.get(b"Fields").unwrap().as_array().unwrap().clone();
    assert_eq!(fields.len(), 2);
    let repeated: Vec<Object> = (0..1000).flat_map(|_| fields.clone()).collect();
    form.set("Fields", repeated);
    let mut body = Vec::new();
    lopdf::Writer::write_object(&mut body, &Object::Dictionary(form)).unwrap();
    let hostile = append_update(
        &sealed,
        &[(form_id.0, String::from_utf8(body).unwrap())],
        "",
    );
    let r = verify(&hostile, std::slice::from_ref(&pki.root));
    assert_eq!(r.signatures.len(), 2, "{:?}", r.reasons);
}

/// Signatures as other signing systems make them — pyHanko with RSA PKCS#1 v1.5,
/// RSA-PSS, ECDSA P-256 through an intermediate CA, ECDSA P-384, Ed448 and DSA, each as
/// `adbe.pkcs7.detached` and as `ETSI.CAdES.detached`, under test roots (built by
/// `tests/pyhanko_fixtures.py`). Kho says VALID exactly when pyHanko does; where Kho has
/// no verifier (Ed448, DSA) it says INDETERMINATE with its reason, never INVALID; a
/// flipped signed byte is INVALID, and without the roots each is an unknown signer.
#[test]
fn signatures_made_by_other_systems_get_the_verdict_pyhanko_gives() {
    let (_dir, out, roots) = other_systems_fixtures();
    assert_eq!(roots.len(), 2);
    let stranger = make_pki();
    for signer in ["rsa", "rsa-pss", "p256", "p384", "ed448", "dsa"] {
        let undecided = matches!(signer, "ed448" | "dsa");
        for form in ["pkcs7", "cades"] {
            let name = format!("{signer}-{form}");
            let file = out.join(format!("{name}.pdf"));
            let pdf = std::fs::read(&file).unwrap();
            let report = verify(&pdf, &roots);
            let (pyhanko_valid, said) = pyhanko_validate_roots(&file, &out.join("roots.pem"));
            if undecided {
                assert_eq!(
                    report.verdict,
                    Verdict::Indeterminate,
                    "{name}: {report:#?}"
                );
                assert_eq!(
                    report.signatures[0].sub_indication.as_deref(),
                    Some("CRYPTO_CONSTRAINTS_FAILURE"),
                    "{name}"
                );
                // Undecided, but the report still says who signed.
                assert!(
                    report.signatures[0]
                        .signer
                        .as_deref()
                        .is_some_and(|s| s.contains("Ed448") || s.contains("DSA")),
                    "{name}: {report:#?}"
                );
            } else {
                assert_eq!(
                    report.verdict == Verdict::Valid,
                    pyhanko_valid,
                    "{name}: Kho and pyHanko disagree\n{report:#?}\n{said}"
                );
                assert_eq!(report.verdict, Verdict::Valid, "{name}: {report:#?}");
            }
            if signer == "p256" {
                assert_eq!(
                    report.signatures[0].chain.len(),
                    3,
                    "leaf, CA, root: {report:#?}"
                );
            }
            // A signed byte changed: proven wrong where Kho has the algorithm, and never
            // VALID where it has not (Ed448 signs a SHAKE256 digest Kho does not make).
            let mut flipped = pdf.clone();
            flipped[pdf.len() / 5] ^= 0x01;
            let changed = verify(&flipped, &roots).verdict;
            if undecided {
                assert_ne!(changed, Verdict::Valid, "{name} flipped");
            } else {
                assert_eq!(changed, Verdict::Invalid, "{name} flipped");
            }
            // Under roots that do not include theirs.
            let other = verify(&pdf, std::slice::from_ref(&stranger.root)).verdict;
            if !undecided {
                assert_eq!(other, Verdict::UnknownSigner, "{name} without its root");
            }
        }
    }
}

/// The older PKCS#7 form with no signed attributes (the RSA signature is over the signed
/// bytes' digest itself): VALID in Kho exactly as in pyHanko; a changed byte INVALID.
#[test]
fn a_pkcs7_signature_without_signed_attributes_is_checked_over_the_content_digest() {
    let (_dir, out, roots) = other_systems_fixtures();
    let file = out.join("rsa-noattrs-pkcs7.pdf");
    let pdf = std::fs::read(&file).unwrap();
    let report = verify(&pdf, &roots);
    let (pyhanko_valid, said) = pyhanko_validate_roots(&file, &out.join("roots.pem"));
    assert!(pyhanko_valid, "{said}");
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    let mut flipped = pdf.clone();
    flipped[pdf.len() / 5] ^= 0x01;
    let changed = verify(&flipped, &roots);
    assert_eq!(changed.verdict, Verdict::Invalid, "{changed:#?}");
}

/// A CMS stuffed with look-alike CA certificates (same name as the root, other keys)
/// would make the chain builder check each one's signature at every link: past 32
/// certificates the signature is refused, unexamined.
#[test]
fn a_signature_carrying_dozens_of_certificates_is_refused_unexamined() {
    let (_dir, out, roots) = other_systems_fixtures();
    let report = verify(
        &std::fs::read(out.join("crowded-cades.pdf")).unwrap(),
        &roots,
    );
    assert_eq!(report.verdict, Verdict::Invalid, "{report:#?}");
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.contains("certificates in the CMS")),
        "{report:#?}"
    );
}

/// The signed PDFs `tests/pyhanko_fixtures.py` makes, in a temporary folder kept alive by
/// the first value: (folder, where the files are, the test roots).
fn other_systems_fixtures() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Vec<x509_cert::Certificate>,
) {
    let dir = tempfile::tempdir().unwrap();
    let unsigned = dir.path().join("unsigned.pdf");
    std::fs::write(&unsigned, unsigned_pdf()).unwrap();
    let out = dir.path().join("fixtures");
    let made = std::process::Command::new(venv_tool("python"))
        .arg(repo_path("tests/pyhanko_fixtures.py"))
        .arg(&unsigned)
        .arg(&out)
        .output()
        .expect("python from the test venv (scripts/setup.sh --test)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let roots_pem = std::fs::read_to_string(out.join("roots.pem")).unwrap();
    let roots = kho::signing::certs::all_from_pem(&roots_pem).unwrap();
    (dir, out, roots)
}

/// pyHanko's executive summary of `file` trusting every certificate in `roots_pem`.
fn pyhanko_validate_roots(file: &std::path::Path, roots_pem: &std::path::Path) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "sign".to_string(),
        "validate".into(),
        "--executive-summary".into(),
    ];
    let text = std::fs::read_to_string(roots_pem).unwrap();
    for (i, block) in text
        .split_inclusive("-----END CERTIFICATE-----\n")
        .enumerate()
    {
        let path = dir.path().join(format!("root{i}.pem"));
        std::fs::write(&path, block).unwrap();
        args.extend(["--trust".into(), path.display().to_string()]);
    }
    args.extend(["--trust-replace".into(), file.display().to_string()]);
    let out = std::process::Command::new(venv_tool("pyhanko"))
        .args(&args)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && said.contains(":VALID"), said)
}
