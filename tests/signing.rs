//! PAdES signatures judged by pyHanko (`pyhanko sign validate --trust ROOT
//! --trust-replace`, from the test venv): a custody signature and an agency seal in two
//! incremental updates are both VALID and cover the whole file; one flipped byte in the
//! signed range makes the signature invalid.

mod common;

use std::process::Command;

use common::*;
use ed25519_dalek::SigningKey;
use kho::signing::certs::{self, CertKind};
use kho::signing::pades::{self, SignatureInfo};

struct Pki {
    root: x509_cert::Certificate,
    agency_key: SigningKey,
    agency: x509_cert::Certificate,
    staff_key: SigningKey,
    staff: x509_cert::Certificate,
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&rand::random())
}

fn make_pki() -> Pki {
    let root_key = key();
    let root_name = certs::name("Kho Root CA", "Kho").unwrap();
    let root = certs::issue(
        CertKind::Root,
        root_name.clone(),
        &root_key,
        root_name.clone(),
        &root_key,
        None,
        20,
    )
    .unwrap();
    // No CRL distribution point here: pyHanko would fetch it (the end-to-end test
    // serves it from Kho).
    let crl = None;
    let agency_key = key();
    let agency = certs::issue(
        CertKind::Agency,
        certs::name("Sở Tư pháp tỉnh Bắc Ninh", "Sở Tư pháp tỉnh Bắc Ninh").unwrap(),
        &agency_key,
        root_name.clone(),
        &root_key,
        crl.clone(),
        5,
    )
    .unwrap();
    let staff_key = key();
    let staff = certs::issue(
        CertKind::Staff,
        certs::name("Nguyễn Văn An", "Sở Tư pháp tỉnh Bắc Ninh").unwrap(),
        &staff_key,
        root_name,
        &root_key,
        crl,
        2,
    )
    .unwrap();
    Pki {
        root,
        agency_key,
        agency,
        staff_key,
        staff,
    }
}

fn unsigned_pdf() -> Vec<u8> {
    let img =
        image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(300, 400, image::Luma([240])));
    let page = kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&img, None).unwrap(),
        dpi: 100.0,
        text: Default::default(),
    };
    kho_workers::pdf::build(&[page], &Default::default()).unwrap()
}

/// pyHanko's one-line summaries and whether it exited 0.
fn pyhanko_validate(pdf: &[u8], root: &x509_cert::Certificate) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let (file, root_pem) = (dir.path().join("signed.pdf"), dir.path().join("root.pem"));
    std::fs::write(&file, pdf).unwrap();
    std::fs::write(&root_pem, certs::to_pem(root).unwrap()).unwrap();
    let out = Command::new(venv_tool("pyhanko"))
        .args(["sign", "validate", "--executive-summary", "--trust"])
        .arg(&root_pem)
        .arg("--trust-replace")
        .arg(&file)
        .output()
        .expect("pyhanko from the test venv (scripts/setup.sh --test)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn custody_signature_and_agency_seal_are_both_valid_for_pyhanko_and_a_flipped_byte_is_not() {
    let pki = make_pki();
    let pdf = unsigned_pdf();
    let custody = pades::sign(
        &pdf,
        &pki.staff_key,
        &[pki.staff.clone(), pki.root.clone()],
        &SignatureInfo {
            name: "Nguyễn Văn An".into(),
            reason: "Số hóa từ bản chính".into(),
            time: 1_795_436_061,
        },
    )
    .unwrap();
    assert!(
        custody.starts_with(&pdf),
        "an incremental update keeps the file before it"
    );
    let sealed = pades::sign(
        &custody,
        &pki.agency_key,
        &[pki.agency.clone(), pki.root.clone()],
        &SignatureInfo {
            name: "Sở Tư pháp tỉnh Bắc Ninh".into(),
            reason: "Đóng dấu".into(),
            time: 1_795_436_062,
        },
    )
    .unwrap();
    assert!(sealed.starts_with(&custody));

    let (ok, report) = pyhanko_validate(&sealed, &pki.root);
    assert!(ok, "pyHanko:\n{report}");
    let lines: Vec<&str> = report.lines().filter(|l| l.starts_with("Sig")).collect();
    assert_eq!(lines.len(), 2, "{report}");
    assert!(lines.iter().all(|l| l.ends_with(":VALID")), "{report}");

    // One byte flipped inside the first signed range (the page content of revision 1).
    let mut tampered = sealed.clone();
    let at = pdf.len() / 2;
    tampered[at] ^= 0x01;
    let (ok, report) = pyhanko_validate(&tampered, &pki.root);
    assert!(!ok, "a flipped byte must not validate:\n{report}");

    // A signature checked against another root is not trusted.
    let other = make_pki();
    let (ok, report) = pyhanko_validate(&sealed, &other.root);
    assert!(!ok, "an unknown root must not validate:\n{report}");
}
