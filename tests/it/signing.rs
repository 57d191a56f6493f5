//! PAdES signatures judged by pyHanko (`pyhanko sign validate --trust ROOT
//! --trust-replace`, from the test venv): a custody signature and an agency seal in two
//! incremental updates are both VALID and cover the whole file; one flipped byte in the
//! signed range makes the signature invalid. End to end: an uploaded scan is filed
//! stamped and signed, pyHanko validates it against the roots Kho serves (fetching the
//! CRL its certificates name), the QR code on page 1 decodes from a 150-dpi rendering,
//! and no private key is stored in clear. With `--seal-algorithm p256`, Poppler's
//! `pdfsig` validates the seals as well.

use std::process::Command;

use crate::common::*;
use base64::Engine as _;
use kho::db::Backend;

#[test]
fn custody_signature_and_agency_seal_are_both_valid_for_pyhanko_and_a_flipped_byte_is_not() {
    let pki = make_pki();
    let pdf = unsigned_pdf();
    let (custody, sealed) = sign_twice(&pki, &pdf);
    assert!(
        custody.starts_with(&pdf),
        "an incremental update keeps the file before it"
    );
    assert!(sealed.starts_with(&custody));

    let (ok, report) = pyhanko_validate(&sealed, &pki.root);
    assert!(ok, "pyHanko:\n{report}");
    // The seal covers the whole file; after the custody signature come only signing
    // and form-filling changes (the seal itself).
    let (ok, pretty) = pyhanko_validate_with(&sealed, &pki.root, "--pretty-print");
    assert!(ok, "{pretty}");
    let (sig1, sig2) = pretty.split_once("Field 2: Sig2").expect("two fields");
    assert!(
        sig2.contains("The signature covers the entire file."),
        "{pretty}"
    );
    assert!(
        sig1.contains("All modifications relate to signing and form filling operations"),
        "{pretty}"
    );
    assert_eq!(
        pretty.matches("The signature is judged VALID.").count(),
        2,
        "{pretty}"
    );
    let lines: Vec<&str> = report.lines().filter(|l| l.starts_with("Sig")).collect();
    assert_eq!(lines.len(), 2, "{report}");
    assert!(lines.iter().all(|l| l.ends_with(":VALID")), "{report}");

    // One byte flipped in the signed ranges: in the page data of the first revision, in
    // the custody update, in the seal's own update.
    for at in [pdf.len() / 2, pdf.len() + 40, sealed.len() - 40] {
        let mut tampered = sealed.clone();
        tampered[at] ^= 0x01;
        let (ok, report) = pyhanko_validate(&tampered, &pki.root);
        assert!(!ok, "a byte flipped at {at} must not validate:\n{report}");
    }

    // A signature checked against another root is not trusted.
    let other = make_pki();
    let (ok, report) = pyhanko_validate(&sealed, &other.root);
    assert!(!ok, "an unknown root must not validate:\n{report}");
}

fn render_page_one(pdf: &[u8], dpi: u32) -> image::GrayImage {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
        ])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
    image::open(dir.path().join("page.png")).unwrap().to_luma8()
}

async fn an_uploaded_scan_is_filed_stamped_and_signed_and_pyhanko_calls_both_signatures_valid(
    backend: Backend,
) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    // A staff member with a personal certificate uploads: their key signs for custody.
    let staff = kho::db::tokens::create(&t.app.db, kho::auth::Role::Staff, None, Some("KHO"))
        .await
        .unwrap();
    let agency = t.app.config.agencies.0[0].clone();
    let key = t
        .app
        .keys
        .issue_staff("Nguyễn Văn An", &agency)
        .await
        .unwrap();
    kho::db::tokens::bind_signing_key(&t.app.db, &staff, &key.id)
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap())
            .file_name("page.png"),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/subjects/{CITIZEN}/scans")))
        .bearer_auth(&staff)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let job_id = job_id_of(r).await;
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    let doc_id = job["document_id"].as_str().unwrap().to_owned();
    let pdf = t
        .get(&format!("/api/v1/documents/{doc_id}/pdf"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let (_, detail) = t.get_json(&format!("/api/v1/documents/{doc_id}")).await;
    use sha2::Digest;
    assert_eq!(
        detail["sha256"],
        hex::encode(sha2::Sha256::digest(&pdf)),
        "the recorded hash is the signed PDF's"
    );
    // Public trust material, no token.
    let roots = reqwest::get(t.url("/api/v1/trust/roots.pem"))
        .await
        .unwrap();
    assert_eq!(roots.status(), 200);
    let roots = roots.text().await.unwrap();
    let crl = reqwest::get(t.url("/api/v1/trust/crl")).await.unwrap();
    assert_eq!(crl.status(), 200);
    let root = kho::signing::certs::from_pem(&roots).unwrap();
    // Kho's own verifier agrees: in the library, over the API (no token) and offline.
    let own = kho::verify::verify(&pdf, std::slice::from_ref(&root));
    assert_eq!(own.verdict, kho::verify::Verdict::Valid, "{own:#?}");
    let post = |body: Vec<u8>| t.client.post(t.url("/api/v1/verify")).body(body).send();
    let r = post(pdf.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["verdict"], "VALID", "{report}");
    // Custody, seal, and the document timestamp.
    assert_eq!(report["signatures"].as_array().unwrap().len(), 3);
    assert_eq!(report["signatures"][2]["document_timestamp"], true);
    let mut tampered = pdf.clone();
    let mid = tampered.len() / 3;
    tampered[mid] ^= 0x01;
    let r: serde_json::Value = post(tampered.clone()).await.unwrap().json().await.unwrap();
    assert_ne!(r["verdict"], "VALID", "{r}");
    assert_eq!(post(vec![]).await.unwrap().status(), 400);
    assert_eq!(post(b"GIF89a".to_vec()).await.unwrap().status(), 415);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roots.pem"), &roots).unwrap();
    std::fs::write(dir.path().join("good.pdf"), &pdf).unwrap();
    std::fs::write(dir.path().join("bad.pdf"), &tampered).unwrap();
    for (file, valid) in [("good.pdf", true), ("bad.pdf", false)] {
        let out = Command::new(env!("CARGO_BIN_EXE_kho"))
            .arg("verify")
            .arg(dir.path().join(file))
            .arg("--trust")
            .arg(dir.path().join("roots.pem"))
            .arg("--json")
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.success(), valid, "{report}");
        assert_eq!(report["verdict"] == "VALID", valid, "{report}");
    }
    // pyHanko fetches the CRL from this server while it runs.
    let pdf2 = pdf.clone();
    let (ok, report) = tokio::task::spawn_blocking(move || pyhanko_validate(&pdf2, &root))
        .await
        .unwrap();
    assert!(ok, "pyHanko:\n{report}");
    let sigs: Vec<&str> = report.lines().filter(|l| l.starts_with("Sig")).collect();
    assert_eq!(sigs.len(), 2, "{report}");
    assert!(sigs.iter().all(|l| l.ends_with(":VALID")), "{report}");
    // The custody signature names the staff member, the seal the agency.
    let utf16 = |s: &str| {
        let mut h = String::from("FEFF");
        for u in s.encode_utf16() {
            h.push_str(&format!("{u:04X}"));
        }
        h
    };
    let text = String::from_utf8_lossy(&pdf);
    let custody_at = text
        .find(&utf16("Nguyễn Văn An"))
        .expect("custody signer named");
    let seal_at = text.find(&utf16(&agency.name)).expect("seal signer named");
    assert!(custody_at < seal_at, "custody first, then the seal");

    // The QR code on page 1, from a 150-dpi rendering.
    let page = render_page_one(&pdf, 150);
    let mut grid = rqrr::PreparedImage::prepare(page);
    let grids = grid.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on page 1");
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    assert!(
        content.starts_with(&t.url(&format!("/v/{doc_id}"))),
        "{content}"
    );
    assert!(content.contains(&format!("MaKQ:{doc_id}")), "{content}");
    assert!(
        content.contains(&format!("ChuSoHuu:{CITIZEN}")),
        "{content}"
    );
    assert!(content.contains("HeThong:Kho KHO"), "{content}");

    // A photo of the printout (a phone's 12 MP are about 300 dpi over A4; 200 here):
    // turned 17°, blurred, JPEG at quality 60, upside down.
    let photo = {
        let turned = imageproc::geometric_transformations::rotate_about_center_no_crop(
            &render_page_one(&pdf, 200),
            17f32.to_radians(),
            imageproc::geometric_transformations::Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(image::Luma([200])),
        );
        let blurred = imageproc::filter::gaussian_blur_f32(&turned, 1.0);
        let upside_down = image::imageops::rotate180(&blurred);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 60)
            .encode_image(&upside_down)
            .unwrap();
        jpeg
    };
    let r = t
        .client
        .post(t.url("/api/v1/verify/qr"))
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let record: serde_json::Value = r.json().await.unwrap();
    assert_eq!(record["document_id"], doc_id.as_str(), "{record}");
    assert_eq!(record["status"], "valid");
    assert_eq!(
        record["owner_masked"],
        format!("•••••••••{}", &CITIZEN[9..]),
        "{record}"
    );
    let qr = |body: Vec<u8>| t.client.post(t.url("/api/v1/verify/qr")).body(body).send();
    assert_eq!(qr(b"%PDF-1.7".to_vec()).await.unwrap().status(), 415);
    assert_eq!(
        qr(std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap())
            .await
            .unwrap()
            .status(),
        404
    );
    // The page the QR code leads to.
    let page = reqwest::get(t.url(&format!("/v/{doc_id}"))).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("CÒN HIỆU LỰC") && html.contains(&doc_id),
        "{html}"
    );
    assert!(!html.contains(CITIZEN), "the owner's ID is masked");
    let missing = reqwest::get(t.url(&format!("/v/{}", uuid::Uuid::new_v4())))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    t.finish().await;
}
both_backends!(
    an_uploaded_scan_is_filed_stamped_and_signed_and_pyhanko_calls_both_signatures_valid
);

#[tokio::test]
async fn no_private_key_is_stored_or_logged_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let kho = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kho"))
            .env("KHO_DATA_DIR", &data)
            .env("KHO_LOG", "debug")
            .env_remove("KHO_DATABASE_URL")
            .env_remove("KHO_OBJECT_STORE_URL")
            .env_remove("KHO_KEK")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    // Everything a user would do: first start, digitize and sign a page, list the keys
    // with their certificates, and a start with the wrong key-encryption key.
    let mut said = String::new();
    let (ok, out) = kho(&[
        "ingest",
        repo_path(STRAIGHT_PAGE).to_str().unwrap(),
        "--owner",
        CITIZEN,
        "--wait",
    ]);
    assert!(ok && out.contains("filed"), "{out}");
    said.push_str(&out);
    let (ok, out) = kho(&["keys", "list", "--pem"]);
    assert!(ok, "{out}");
    said.push_str(&out);
    let wrong = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let out = Command::new(env!("CARGO_BIN_EXE_kho"))
        .env("KHO_DATA_DIR", &data)
        .env("KHO_KEK", &wrong)
        .args(["keys", "issue-staff", "--name", "X", "--agency", "KHO"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success() && err.contains("does not open with this key-encryption key"),
        "{err}"
    );
    said.push_str(&err);

    // The keys themselves, opened the proper way.
    let data_s = data.display().to_string();
    let app = kho::App::open(config(&["--data-dir", &data_s]))
        .await
        .unwrap();
    let keys = app.keys.list().await.unwrap();
    assert!(keys.iter().any(|k| k.kind == "root") && keys.iter().any(|k| k.kind == "agency"));
    let mut secrets = Vec::new();
    for k in &keys {
        let raw = app
            .keys
            .signer(&k.id)
            .await
            .unwrap()
            .key
            .to_bytes()
            .to_vec();
        secrets.push(raw.clone());
        secrets.push(hex::encode(&raw).into_bytes());
        secrets.push(hex::encode_upper(&raw).into_bytes());
        secrets.push(
            base64::engine::general_purpose::STANDARD
                .encode(&raw)
                .into_bytes(),
        );
    }
    // Every file Kho wrote: database, object store (the signed PDF), the KEK file.
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    assert!(files.iter().any(|f| f.ends_with("kho.db")));
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("objects"))
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for s in &secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_slice()),
                "a private key in clear in {}",
                f.display()
            );
        }
    }
    // Nor in anything the commands printed or logged.
    let said = said.into_bytes();
    for s in &secrets {
        assert!(
            !said.windows(s.len()).any(|w| w == s.as_slice()),
            "a private key in the output"
        );
    }
}

async fn processes_starting_together_share_one_root_seal_and_office_key(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = db.dir().join("data").display().to_string();
    let kek_file = db.dir().join("kek.key").display().to_string();
    let open = || {
        kho::App::open(config(&[
            "--data-dir",
            &data,
            "--database-url",
            &db.url,
            "--object-store-url",
            "memory://",
            "--kek-file",
            &kek_file,
        ]))
    };
    // The first start makes the KEK file; then four processes start at once.
    drop(open().await.unwrap());
    sqlx::query("DELETE FROM signing_keys")
        .execute(&open().await.unwrap().db.pool)
        .await
        .unwrap();
    let apps = futures::future::join_all((0..4).map(|_| open())).await;
    let app = apps.into_iter().next().unwrap().unwrap();
    let keys = app.keys.list().await.unwrap();
    let active = |kind: &str| {
        keys.iter()
            .filter(|k| k.kind == kind && k.retired_at.is_none())
            .count()
    };
    assert_eq!(
        (active("root"), active("agency"), active("office")),
        (1, 1, 1),
        "{keys:#?}"
    );
}
both_backends!(processes_starting_together_share_one_root_seal_and_office_key);

async fn revoking_a_document_or_a_certificate_makes_the_verdict_revoked(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (doc_id, pdf) = t.digitize_sample().await;
    let verify = |body: Vec<u8>| t.verify(body);
    let report = verify(pdf.clone()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    assert_eq!(report["vault"]["document_id"], doc_id.as_str());
    assert_eq!(report["vault"]["status"], "valid");
    assert_eq!(report["vault"]["identical"], true);
    // A copy changed after signing: still found (by the id its signatures name), not identical.
    let mut changed = pdf.clone();
    let at = changed.len() / 4;
    changed[at] ^= 0x01;
    let report = verify(changed).await;
    assert_ne!(report["verdict"], "VALID");
    assert_eq!(report["vault"]["identical"], false, "{report}");

    // Revoking the document: staff only, with a reason, once.
    let revoke = format!("/api/v1/documents/{doc_id}/revoke");
    let citizen = t.token(kho::auth::Role::Citizen, Some(CITIZEN)).await;
    let staff = t.token(kho::auth::Role::Staff, None).await;
    let post = |token: &str, body: serde_json::Value| {
        t.client
            .post(t.url(&revoke))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let reason = serde_json::json!({"reason": "Cấp nhầm đối tượng"});
    assert_eq!(post(&citizen, reason.clone()).await.unwrap().status(), 403);
    assert_eq!(
        post(&staff, serde_json::json!({"reason": " "}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(post(&staff, reason.clone()).await.unwrap().status(), 200);
    assert_eq!(post(&staff, reason).await.unwrap().status(), 409);
    let report = verify(pdf.clone()).await;
    assert_eq!(report["verdict"], "REVOKED", "{report}");
    assert_eq!(report["vault"]["status"], "revoked");
    assert_eq!(report["vault"]["revocation_reason"], "Cấp nhầm đối tượng");
    let (_, list) = t
        .get_json(&format!("/api/v1/subjects/{CITIZEN}/documents"))
        .await;
    assert_eq!(list["documents"][0]["status"], "revoked", "{list}");

    // Revoking the seal's certificate: the CRL lists it.
    let keys = t.app.keys.list().await.unwrap();
    let seal = keys.iter().find(|k| k.kind == "agency").unwrap();
    assert!(t.app.keys.revoke(&seal.id, "key compromise").await.unwrap());
    let crl = reqwest::get(t.url("/api/v1/trust/crl"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use der::Decode;
    let crl =
        x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&crl).unwrap();
    let serials: Vec<String> = crl
        .tbs_cert_list
        .revoked_certificates
        .unwrap_or_default()
        .iter()
        .map(|c| hex::encode(c.serial_number.as_bytes()))
        .collect();
    assert_eq!(serials, vec![seal.serial.clone()]);
    // The seal carries a timestamp older than the revocation: it stands, and says so.
    let report = verify(pdf.clone()).await;
    assert_eq!(report["signatures"][1]["verdict"], "VALID", "{report}");
    assert!(
        report["signatures"][1]["reasons"]
            .to_string()
            .contains("revoked after the timestamp proves"),
        "{report}"
    );
    assert_eq!(report["signatures"][0]["verdict"], "VALID", "{report}");
    // The office key's custody signature has no timestamp: revoking it makes it REVOKED.
    let office = keys.iter().find(|k| k.kind == "office").unwrap();
    assert!(
        t.app
            .keys
            .revoke(&office.id, "key compromise")
            .await
            .unwrap()
    );
    let report = verify(pdf).await;
    assert_eq!(report["signatures"][0]["verdict"], "REVOKED", "{report}");
    assert_eq!(report["signatures"][1]["verdict"], "VALID", "{report}");
    t.finish().await;
}
both_backends!(revoking_a_document_or_a_certificate_makes_the_verdict_revoked);

/// Poppler's `pdfsig` on `pdf`: its report, and how many signatures it calls valid.
fn pdfsig(pdf: &[u8]) -> (usize, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signed.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdfsig")
        .arg(&file)
        .output()
        .expect("pdfsig (poppler-utils, from scripts/setup.sh --test)");
    let report = output_text(&out);
    (report.matches("Signature is Valid").count(), report)
}

#[test]
fn p256_signatures_are_valid_in_pdfsig_pyhanko_and_kho_and_ed25519_ones_are_not_read_by_pdfsig() {
    use kho::signing::key::SealAlgorithm;
    let pki = make_pki_of(SealAlgorithm::P256);
    let unsigned = distinct_unsigned_pdf();
    let (_, sealed) = sign_twice(&pki, &unsigned);
    let (valid, report) = pdfsig(&sealed);
    assert_eq!(valid, 2, "{report}");
    assert!(
        report.contains("Signing Hash Algorithm: SHA-256"),
        "{report}"
    );
    assert!(report.contains("Total document signed"), "{report}");
    let (ok, report) = pyhanko_validate(&sealed, &pki.root);
    assert!(ok, "pyHanko:\n{report}");
    let own = kho::verify::verify(&sealed, std::slice::from_ref(&pki.root));
    assert_eq!(own.verdict, kho::verify::Verdict::Valid, "{own:#?}");
    // One byte of the page changed: pdfsig calls neither signature valid.
    let mut tampered = sealed.clone();
    tampered[unsigned.len() / 2] ^= 0x01;
    let (valid, report) = pdfsig(&tampered);
    assert_eq!(valid, 0, "{report}");
    // What this test is about: pdfsig does not validate today's Ed25519 seals.
    let (_, ed) = signed_twice(&make_pki());
    assert_eq!(pdfsig(&ed).0, 0);
}

async fn a_p256_deployment_files_seals_that_pdfsig_pyhanko_and_kho_call_valid(backend: Backend) {
    use kho::signing::key::SealAlgorithm;
    let t = TestApp::spawn(backend, 1, &["--seal-algorithm", "p256"]).await;
    let keys = t.app.keys.list().await.unwrap();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| k.algorithm == "p256"), "{keys:#?}");
    let (doc_id, pdf) = t.digitize_sample().await;
    let root = t.trust_root().await;
    let (valid, report) = pdfsig(&pdf);
    assert_eq!(valid, 2, "custody and seal:\n{report}");
    // Kho's verifier, over the API; pyHanko with the CRL this server serves.
    let report = t.verify(pdf.clone()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    let pdf2 = pdf.clone();
    let root2 = root.clone();
    let (ok, report) = tokio::task::spawn_blocking(move || pyhanko_validate(&pdf2, &root2))
        .await
        .unwrap();
    assert!(ok, "pyHanko:\n{report}");
    // The audit checkpoint is signed with the P-256 seal and verifies.
    let cp = kho::audit::checkpoint(&t.app)
        .await
        .unwrap()
        .expect("a checkpoint");
    assert!(cp.certificate_pem.contains("BEGIN CERTIFICATE"));
    let audit = kho::audit::verify(&t.app.db).await.unwrap();
    assert!(audit.is_ok(), "{audit:?}");

    // Back to Ed25519 for this agency: a new seal and office key, the old ones retired
    // and still verifying what they signed.
    let agency = t.app.config.agencies.0[0].clone();
    let new = t
        .app
        .keys
        .rotate_seal(&agency, Some(SealAlgorithm::Ed25519))
        .await
        .unwrap();
    let kinds: Vec<(&str, &str)> = new
        .iter()
        .map(|k| (k.kind.as_str(), k.algorithm.as_str()))
        .collect();
    assert_eq!(kinds, [("agency", "ed25519"), ("office", "ed25519")]);
    let report = t.verify(pdf.clone()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    let (again_id, again) = t.digitize_sample().await;
    assert_ne!(doc_id, again_id);
    let report = t.verify(again.clone()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    assert_eq!(pdfsig(&again).0, 0, "Ed25519 seals are not read by pdfsig");
    t.finish().await;
}
both_backends!(a_p256_deployment_files_seals_that_pdfsig_pyhanko_and_kho_call_valid);

/// pyHanko's AdES validation (ETSI EN 319 102-1: `pyhanko sign adesverify`, which reads
/// the document's DSS and requires revocation information) of `pdf` against `root`.
fn pyhanko_ades(pdf: &[u8], root: &x509_cert::Certificate) -> (bool, String) {
    pyhanko_judge("adesverify", pdf, root, "--pretty-print")
}

/// Where each signature's signed bytes end (`/ByteRange [0 a b c]`: b + c), in file order.
fn signed_ends(pdf: &[u8]) -> Vec<usize> {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/ByteRange [")
        .map(|(at, m)| {
            let nums: Vec<usize> = text[at + m.len()..]
                .split(']')
                .next()
                .unwrap()
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect();
            nums[2] + nums[3]
        })
        .collect()
}

/// `pdf` with its last signature's `/Contents` replaced by `other`'s last (both hold
/// the same reserved length).
fn splice_last_contents(pdf: &[u8], other: &[u8]) -> Vec<u8> {
    let last = |b: &[u8]| {
        let at = b.windows(11).rposition(|w| w == b"/Contents <").unwrap() + 11;
        let len = b[at..].iter().position(|&c| c == b'>').unwrap();
        (at, len)
    };
    let ((at, len), (oat, olen)) = (last(pdf), last(other));
    assert_eq!(len, olen);
    let mut out = pdf.to_vec();
    out[at..at + len].copy_from_slice(&other[oat..oat + olen]);
    out
}

async fn a_filed_document_validates_offline_from_the_revocation_data_it_carries(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (_, pdf) = t.digitize_sample().await;
    let root = t.trust_root().await;
    // The DSS: every certificate of both chains and the TSA's, and the root's CRL.
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let catalog = doc.catalog().unwrap();
    let dss = doc
        .get_dictionary(catalog.get(b"DSS").unwrap().as_reference().unwrap())
        .unwrap();
    assert_eq!(dss.get(b"Certs").unwrap().as_array().unwrap().len(), 4);
    assert_eq!(dss.get(b"CRLs").unwrap().as_array().unwrap().len(), 1);
    // Custody, seal, then (after the DSS) the document timestamp over everything.
    let ends = signed_ends(&pdf);
    assert_eq!(ends.len(), 3, "custody, seal, document timestamp");
    assert_eq!(
        ends[2],
        pdf.len(),
        "the document timestamp covers the whole file"
    );
    let sealed_only = pdf[..ends[1]].to_vec();
    assert!(
        sealed_only.len() < pdf.len(),
        "the DSS comes after the seal"
    );

    t.stop_server().await;
    // No network: the CRL URL in the certificates answers nothing.
    let (pdf2, root2, sealed2) = (pdf.clone(), root.clone(), sealed_only.clone());
    let ((ok, report), (ok_before, report_before)) = tokio::task::spawn_blocking(move || {
        (pyhanko_ades(&pdf2, &root2), pyhanko_ades(&sealed2, &root2))
    })
    .await
    .unwrap();
    assert!(ok, "pyHanko AdES, offline:\n{report}");
    assert_eq!(
        report.matches("The signature is judged VALID.").count(),
        2,
        "{report}"
    );
    // The same file without its DSS cannot be validated offline: the DSS is what works.
    assert!(!ok_before, "without the DSS:\n{report_before}");
    // Kho's own verifier needs no network either, and says where revocation came from.
    use kho::verify::{Ltv, Verdict, verify};
    let roots = std::slice::from_ref(&root);
    let own = verify(&pdf, roots);
    assert_eq!(own.verdict, Verdict::Valid, "{own:#?}");
    assert!(
        own.signatures.iter().all(|s| s.ltv == Ltv::CrlInDocument),
        "{own:#?}"
    );
    assert!(own.signatures[0].revocation_data_issued.is_some());
    assert!(own.to_text().contains("checked against CRLs in the file"));
    // The seal carries a signature timestamp, the file a document timestamp.
    assert_eq!(own.signatures.len(), 3, "{own:#?}");
    assert!(own.signatures[0].timestamp.is_none(), "{own:#?}");
    assert!(own.signatures[1].timestamp.is_some(), "{own:#?}");
    assert!(own.signatures[2].document_timestamp, "{own:#?}");
    assert!(own.signatures[2].timestamp.is_some(), "{own:#?}");
    let before = verify(&sealed_only, roots);
    assert_eq!(before.verdict, Verdict::Valid, "{before:#?}");
    assert!(
        before
            .signatures
            .iter()
            .all(|s| s.ltv == Ltv::NotInDocument)
    );

    // The office key (custody) is revoked; a DSS with the new CRL says so: the custody
    // signature is undecided (nothing proves it came before the revocation), the seal stays valid.
    let keys = t.app.keys.list().await.unwrap();
    let office = keys.iter().find(|k| k.kind == "office").unwrap();
    assert!(
        t.app
            .keys
            .revoke(&office.id, "key compromise")
            .await
            .unwrap()
    );
    let crl = t.app.keys.crl_der().await.unwrap();
    let office_cert = kho::signing::certs::from_pem(&office.certificate_pem).unwrap();
    let refreshed = kho::signing::ltv::add_dss(&pdf, &[], &[crl]).unwrap();
    let r = verify(&refreshed, roots);
    assert_eq!(r.verdict, Verdict::Indeterminate, "{r:#?}");
    assert_eq!(
        r.signatures[0].sub_indication.as_deref(),
        Some("REVOKED_NO_POE"),
        "{r:#?}"
    );
    assert_eq!(r.signatures[1].verdict, Verdict::Valid, "{r:#?}");
    // The seal's key is revoked too. Its signature timestamp proves the seal was made
    // before: it stands, in Kho and in pyHanko, still with no network.
    let seal_key = keys.iter().find(|k| k.kind == "agency").unwrap();
    assert!(
        t.app
            .keys
            .revoke(&seal_key.id, "key compromise")
            .await
            .unwrap()
    );
    let crl = t.app.keys.crl_der().await.unwrap();
    let both_revoked = kho::signing::ltv::add_dss(&pdf, &[], &[crl]).unwrap();
    let r = verify(&both_revoked, roots);
    assert_eq!(
        r.signatures[0].sub_indication.as_deref(),
        Some("REVOKED_NO_POE"),
        "{r:#?}"
    );
    assert_eq!(r.signatures[1].verdict, Verdict::Valid, "{r:#?}");
    assert!(
        r.signatures[1]
            .reasons
            .iter()
            .any(|w| w.contains("after the timestamp proves")),
        "{r:#?}"
    );
    let root2 = root.clone();
    let (_, report) = tokio::task::spawn_blocking(move || pyhanko_ades(&both_revoked, &root2))
        .await
        .unwrap();
    // pyHanko: custody (no timestamp) INVALID as revoked, the timestamped seal VALID.
    let seal_part = report.find("Field 2").expect("two fields");
    assert!(
        report[..seal_part].contains("The signature is judged INVALID."),
        "{report}"
    );
    assert!(
        report[seal_part..].contains("The signature is judged VALID."),
        "{report}"
    );
    // A CRL listing it but not signed by the root is ignored.
    let stranger = make_pki();
    let forged = kho::signing::certs::crl(
        &root,
        &stranger.agency_key,
        vec![(
            office_cert.tbs_certificate().serial_number().clone(),
            std::time::SystemTime::now(),
        )],
        7,
    )
    .unwrap();
    let forged_pdf = kho::signing::ltv::add_dss(&sealed_only, &[], &[forged]).unwrap();
    let r = verify(&forged_pdf, roots);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    assert!(
        r.signatures.iter().all(|s| s.ltv == Ltv::NotInDocument),
        "{r:#?}"
    );
    t.finish().await;
}
both_backends!(a_filed_document_validates_offline_from_the_revocation_data_it_carries);

/// The serial (hex) of the deployment's time-stamping key.
async fn tsa_serial(t: &TestApp) -> String {
    t.app
        .keys
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.kind == "tsa")
        .expect("the deployment's TSA key")
        .serial
}

async fn the_seal_and_the_file_carry_timestamps_that_pyhanko_and_kho_check(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (_, pdf) = t.digitize_sample().await;
    let (_, other) = t.digitize_sample().await;
    let root = t.trust_root().await;
    // pyHanko checks the seal's timestamp (the custody signature has none) and, in its
    // AdES validation, the document timestamp.
    let (pdf2, root2) = (pdf.clone(), root.clone());
    let ((ok, report), (ades_ok, ades)) = tokio::task::spawn_blocking(move || {
        (
            pyhanko_judge("validate", &pdf2, &root2, "--pretty-print"),
            pyhanko_ades(&pdf2, &root2),
        )
    })
    .await
    .unwrap();
    assert!(ok, "{report}");
    assert_eq!(
        report
            .matches("The timestamp token is cryptographically sound.")
            .count(),
        1,
        "{report}"
    );
    assert!(
        report.contains("The TSA certificate is trusted."),
        "{report}"
    );
    assert!(ades_ok, "{ades}");
    assert!(!ades.contains("imprint"), "{ades}");
    // Kho: the seal's trusted time and the document timestamp's, by Kho's own TSA.
    use kho::verify::{Verdict, verify};
    let roots = std::slice::from_ref(&root);
    let r = verify(&pdf, roots);
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    let stamp = &r.signatures[2];
    assert!(stamp.document_timestamp, "{r:#?}");
    assert_eq!(stamp.serial, Some(tsa_serial(&t).await), "{r:#?}");
    assert!(
        r.signatures[1]
            .timestamp_authority
            .as_deref()
            .is_some_and(|a| a.contains("Time-Stamping")),
        "{r:#?}"
    );
    assert!(r.to_text().contains("timestamp"), "{}", r.to_text());
    // Another document's timestamp token, put in this one's place: genuine, signed by
    // the same TSA, but for other bytes. INVALID.
    let spliced = splice_last_contents(&pdf, &other);
    let r = verify(&spliced, roots);
    assert_eq!(r.verdict, Verdict::Invalid, "{r:#?}");
    assert!(
        r.signatures[2]
            .reasons
            .iter()
            .any(|w| w.contains("imprint")),
        "{r:#?}"
    );
    // pyHanko finds the same: the document timestamp fails (its signatures, which do not
    // need it while their certificates are good, stand).
    let root2 = root.clone();
    let (_, ades) = tokio::task::spawn_blocking(move || pyhanko_ades(&spliced, &root2))
        .await
        .unwrap();
    assert!(ades.contains("Timestamp token imprint is"), "{ades}");
    assert!(
        ades.contains("Document timestamp chain failed to validate"),
        "{ades}"
    );

    // The TSA over HTTP (RFC 3161 §3.4), public.
    use kho::signing::tsp;
    let imprint = tsp::MessageImprint::sha256(&[b"any bytes"]).unwrap();
    let (req, nonce) = tsp::request(&imprint).unwrap();
    let post = |body: Vec<u8>, ct: &'static str| {
        t.client
            .post(t.url("/api/v1/tsa"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let resp = post(req, "application/timestamp-query").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/timestamp-reply"
    );
    let token = tsp::token_from_response(&resp.bytes().await.unwrap(), &imprint, &nonce).unwrap();
    let info = tsp::tst_info(&token).unwrap();
    assert_eq!(info.policy, tsp::KHO_TSA_POLICY);
    // A request it cannot read is answered by the protocol: rejected, with the reason.
    let resp = post(b"not DER".to_vec(), "application/timestamp-query")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let err = tsp::token_from_response(&resp.bytes().await.unwrap(), &imprint, &nonce)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("status 2") && err.contains("not a DER"),
        "{err}"
    );
    assert_eq!(post(vec![0; 10], "text/plain").await.unwrap().status(), 415);
    assert_eq!(
        post(vec![0; 5000], "application/timestamp-query")
            .await
            .unwrap()
            .status(),
        413
    );
    t.finish().await;
}
both_backends!(the_seal_and_the_file_carry_timestamps_that_pyhanko_and_kho_check);

async fn an_external_tsa_stamps_when_configured(backend: Backend) {
    // Kho B is the external TSA; Kho A stamps with it and trusts its root for timestamps.
    let b = TestApp::spawn(backend, 0, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let b_roots = dir.path().join("b-roots.pem");
    std::fs::write(
        &b_roots,
        kho::signing::certs::to_pem(&b.trust_root().await).unwrap(),
    )
    .unwrap();
    let tsa_url = b.url("/api/v1/tsa");
    let a = TestApp::spawn(
        backend,
        1,
        &[
            "--tsa-url",
            &tsa_url,
            "--tsa-roots",
            b_roots.to_str().unwrap(),
        ],
    )
    .await;
    let (_, pdf) = a.digitize_sample().await;
    let report = a.verify(pdf.clone()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    let stamp = &report["signatures"][2];
    assert_eq!(stamp["document_timestamp"], true, "{report}");
    assert_eq!(stamp["serial"], tsa_serial(&b).await.as_str(), "{report}");
    assert!(report["signatures"][1]["timestamp"].is_string(), "{report}");
    // Without B's root, the timestamps are not trusted: the document timestamp is
    // undecided, and the seal is judged at its claimed time.
    let a_root = a.trust_root().await;
    let r = kho::verify::verify(&pdf, std::slice::from_ref(&a_root));
    assert_eq!(r.verdict, kho::verify::Verdict::Indeterminate, "{r:#?}");
    assert_eq!(
        r.signatures[2].sub_indication.as_deref(),
        Some("NO_CERTIFICATE_CHAIN_FOUND"),
        "{r:#?}"
    );
    assert!(r.signatures[1].timestamp.is_none(), "{r:#?}");
    a.finish().await;
    b.finish().await;
}
both_backends!(an_external_tsa_stamps_when_configured);

async fn archive_refresh_renews_the_proof_and_earlier_copies_still_verify(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (doc_id, pdf) = t.digitize_sample().await;
    // Nothing is due while the TSA's certificate has years left.
    let s = kho::archive::refresh(&t.app, 365).await.unwrap();
    assert_eq!((s.checked, s.refreshed), (1, 0), "{s:?}");
    // What ends within 20 years is renewed: a new DSS and document timestamp appended.
    let s = kho::archive::refresh(&t.app, 20 * 365).await.unwrap();
    assert_eq!((s.checked, s.refreshed, s.failed.len()), (1, 1, 0), "{s:?}");
    let renewed = t.document_pdf(&doc_id).await;
    assert!(renewed.len() > pdf.len() && renewed.starts_with(&pdf));
    let root = t.trust_root().await;
    use kho::verify::{Verdict, verify};
    let r = verify(&renewed, std::slice::from_ref(&root));
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
    let stamps = r.signatures.iter().filter(|s| s.document_timestamp).count();
    assert_eq!((r.signatures.len(), stamps), (4, 2), "{r:#?}");
    // The vault: the renewed file is its copy; the one handed out before is an earlier
    // revision of it, and still VALID.
    let now = t.verify(renewed.clone()).await;
    assert_eq!(now["vault"]["identical"], true, "{now}");
    let before = t.verify(pdf.clone()).await;
    assert_eq!(before["verdict"], "VALID", "{before}");
    assert_eq!(before["vault"]["identical"], false, "{before}");
    assert_eq!(before["vault"]["earlier_revision"], true, "{before}");
    // The renewal is in the audit trail.
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'archive_refresh' AND subject = $1",
    )
    .bind(&doc_id)
    .fetch_one(&t.app.db.pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
    // And pyHanko, with Kho stopped, validates the renewed file.
    t.stop_server().await;
    let (ok, report) = tokio::task::spawn_blocking(move || pyhanko_ades(&renewed, &root))
        .await
        .unwrap();
    assert!(ok, "{report}");
    t.finish().await;
}
both_backends!(archive_refresh_renews_the_proof_and_earlier_copies_still_verify);
