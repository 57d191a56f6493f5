//! The officer's pages in a real browser (DESIGN.md §7): headless Chromium (Debian's
//! `chromium`) driven by playwright-core (tests/browser, installed by the test command)
//! uploads an untouched signed PDF and a forged one on `/verify`, and a photo of the
//! printout on `/verify/qr`, and must show the right verdicts. Screenshots are kept in
//! `target/browser-screenshots`.

use std::process::Command;

use crate::common::*;
use kho::db::Backend;

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Run a playwright script of tests/browser with `args`; what it printed, as JSON.
async fn run_script(script: &'static str, args: Vec<String>) -> serde_json::Value {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .current_dir(repo_path("tests/browser"))
            .arg(script)
            .args(&args)
            .output()
            .expect("node and tests/browser/node_modules (scripts/setup.sh --test)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser run of {script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

/// Every page a script visited passes axe-core's WCAG 2.1 A/AA rules with no serious or
/// critical violation, and none is wider than its viewport (390 px on phones).
fn assert_audited(seen: &serde_json::Value, at_least: usize) {
    let pages = seen["audit"]
        .as_array()
        .expect("the script audits its pages");
    assert!(
        pages.len() >= at_least,
        "{} pages audited: {seen}",
        pages.len()
    );
    let mut wrong = Vec::new();
    for p in pages {
        if p["violations"] != serde_json::json!([]) {
            wrong.push(format!(
                "axe-core on {} ({}): {}",
                p["page"], p["path"], p["violations"]
            ));
        }
        if p["width"].as_u64().unwrap() > p["viewport"].as_u64().unwrap() {
            wrong.push(format!(
                "{} is {} px wide in a {} px viewport: {}",
                p["page"], p["width"], p["viewport"], p["wide"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The printout photographed: page 1 at 200 dpi, turned 8°, JPEG.
fn photo_of_page_one(pdf: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.pdf"), pdf).unwrap();
    let ok = Command::new("pdftoppm")
        .args(["-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile"])
        .arg(dir.path().join("d.pdf"))
        .arg(dir.path().join("p"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let page = image::open(dir.path().join("p.png")).unwrap().to_luma8();
    let turned = imageproc::geometric_transformations::rotate_about_center_no_crop(
        &page,
        8f32.to_radians(),
        imageproc::geometric_transformations::Interpolation::Bilinear,
        imageproc::geometric_transformations::Border::Constant(image::Luma([210])),
    );
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&turned)
        .unwrap();
    jpeg
}

async fn officer_pages_show_the_right_verdicts_in_chromium(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (doc_id, pdf) = t.digitize_sample().await;
    let mut forged = pdf.clone();
    let at = forged.len() / 3;
    forged[at] ^= 0x01;
    let dir = tempfile::tempdir().unwrap();
    let (good, bad, photo) = (
        dir.path().join("good.pdf"),
        dir.path().join("forged.pdf"),
        dir.path().join("photo.jpg"),
    );
    std::fs::write(&good, &pdf).unwrap();
    std::fs::write(&bad, &forged).unwrap();
    std::fs::write(&photo, photo_of_page_one(&pdf)).unwrap();
    let shots = repo_path("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let args: Vec<String> = [
        t.url(""),
        path(&good),
        path(&bad),
        path(&photo),
        path(&shots),
    ]
    .into();
    let seen = run_script("verify_pages.mjs", args).await;
    assert_audited(&seen, 4);
    assert_eq!(seen["fromHome"], "/verify", "{seen}");
    // Verdicts in words (the code kept for programs in data-verdict); each signature
    // by the signer's name, the time in Vietnam's time day first, what it covers.
    assert_eq!(seen["good"]["code"], "VALID", "{seen}");
    let good = seen["good"]["verdict"].as_str().unwrap();
    assert!(good.starts_with("Hợp lệ"), "{seen}");
    assert!(
        seen["good"]["vault"]
            .as_str()
            .unwrap()
            .contains("văn bản còn hiệu lực — tệp trùng khớp bản lưu"),
        "{seen}"
    );
    let rows = seen["good"]["signatures"].as_array().unwrap();
    assert!(!rows.is_empty(), "{seen}");
    for row in rows {
        let cells: Vec<&str> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(
            !cells[0].contains("CN=") && !cells[0].is_empty(),
            "a name, not a DN: {seen}"
        );
        // dd/mm/yyyy HH:MM
        let shape = |cell: &str| -> String {
            cell.chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect()
        };
        let document_stamp = cells[0].ends_with("(dấu thời gian của tệp)");
        if document_stamp {
            // A document timestamp states no time of its own: it has the trusted one.
            assert_eq!(cells[1], "—", "{seen}");
        } else {
            assert_eq!(shape(cells[1]), "99/99/9999 99:99", "{seen}");
        }
        assert!(!cells[1].starts_with("D:"), "{seen}");
        // A trusted time (RFC 3161), where there is one, in the same form.
        if cells[2] != "—" {
            assert_eq!(shape(cells[2]), "99/99/9999 99:99", "{seen}");
        }
        // The file carries its revocation data (PAdES B-LT), with the CRL's time.
        assert!(
            cells[4].starts_with("có trong tệp, lập lúc") && cells[4].contains('/'),
            "{seen}"
        );
        assert_eq!(cells[5], "hợp lệ", "{seen}");
    }
    // The seal and the file have one; custody has none.
    let stamped: Vec<bool> = rows.iter().map(|r| r[2].as_str() != Some("—")).collect();
    assert_eq!(stamped, [false, true, true], "{seen}");
    let last = rows.last().unwrap()[0].as_str().unwrap();
    assert!(last.ends_with("(dấu thời gian của tệp)"), "{seen}");
    let forged = seen["forged"]["verdict"].as_str().unwrap();
    assert_ne!(seen["forged"]["code"], "VALID", "{seen}");
    assert!(!forged.starts_with("Hợp lệ"), "{seen}");
    assert!(
        !seen["forged"]["vault"]
            .as_str()
            .unwrap()
            .contains("trùng khớp"),
        "a changed copy is not the vault's copy: {seen}"
    );
    let reasons = seen["forged"]["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty(), "{seen}");
    // Said in Vietnamese, each under its signature; the verifier's English words only
    // under the technical details.
    for r in reasons {
        let r = r.as_str().unwrap();
        assert!(r.starts_with("Chữ ký "), "{seen}");
        assert!(!r.contains(" the ") && !r.contains("signature"), "{seen}");
    }
    assert!(
        seen["forged"]["technical"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().contains("Sig")),
        "{seen}"
    );
    assert_eq!(seen["qrLang"], "en");
    assert!(
        seen["qr"]["status"].as_str().unwrap().starts_with("VALID"),
        "{seen}"
    );
    // The record in words: the document's number and its date of issue day first,
    // under labels in the page's language; no raw id.
    let (_, doc) = t.get_json(&format!("/api/v1/documents/{doc_id}")).await;
    let record = seen["qr"]["record"].as_array().unwrap();
    assert!(record.iter().any(|v| v == &doc["number"]), "{seen} {doc}");
    let issued = doc["issued_on"].as_str().unwrap();
    let day_first = format!("{}/{}/{}", &issued[8..10], &issued[5..7], &issued[..4]);
    assert!(record.iter().any(|v| v == day_first.as_str()), "{seen}");
    assert!(!record.iter().any(|v| v == doc_id.as_str()), "{seen}");
    assert!(
        seen["qr"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "Number"),
        "{seen}"
    );
    assert_eq!(
        seen["tabbed"],
        serde_json::json!(["A", "A", "file", "submit"]),
        "the keyboard reaches the language switch, help, the file and the button: {seen}"
    );
    t.finish().await;
}
both_backends!(officer_pages_show_the_right_verdicts_in_chromium);

/// A citizen in Chromium: sign in, find a document by searching without diacritics,
/// release it to a requester on the consent page, and see the requester's pull in the
/// access log.
async fn citizen_consents_in_chromium(backend: Backend) {
    use base64::Engine;
    use sha2::Digest;
    let t = TestApp::spawn(backend, 0, &[]).await;
    let pdf = unsigned_pdf();
    let (cert, _) = file_document(
        &t,
        CITIZEN,
        "KHO",
        "Giấy chứng nhận",
        "2024-03-01",
        "Giấy chứng nhận đăng ký hộ kinh doanh",
        "UBND",
        &pdf,
    )
    .await;
    let (_other, _) = file_document(
        &t,
        CITIZEN,
        "KHO",
        "Quyết định",
        "2024-04-01",
        "Quyết định khen thưởng",
        "UBND",
        &pdf,
    )
    .await;
    account(
        &t,
        "nguyen.binh",
        kho::auth::Role::Citizen,
        Some(CITIZEN),
        None,
    )
    .await;
    let redirect = "http://127.0.0.1:9/callback";
    let (client_id, secret) = kho::consent::register(
        &t.app.db,
        "Cổng Dịch vụ công thử nghiệm",
        &[redirect.into()],
    )
    .await
    .unwrap();
    let verifier = "browser-test-verifier-0123456789-abcdefghijklmnop";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let mut authorize = url::Url::parse(&t.url("/oauth/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "documents:read")
        .append_pair("state", "st-42")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("purpose", "Đăng ký hộ kinh doanh trực tuyến")
        .append_pair("documents", "Giấy chứng nhận");
    let shots = repo_path("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let args: Vec<String> = vec![
        t.url(""),
        "nguyen.binh".into(),
        PASSWORD.into(),
        authorize.to_string(),
        client_id,
        secret,
        verifier.into(),
        shots.display().to_string(),
    ];
    let seen = run_script("owner_pages.mjs", args).await;
    assert_audited(&seen, 7);
    assert_eq!(seen["redirectedToLogin"], true, "{seen}");
    assert_eq!(seen["listed"], 2, "{seen}");
    assert_eq!(seen["found"], serde_json::json!([cert]), "{seen}");
    assert!(
        seen["consentRequester"]
            .as_str()
            .unwrap()
            .contains("Cổng Dịch vụ công thử nghiệm")
    );
    assert_eq!(seen["consentPurpose"], "Đăng ký hộ kinh doanh trực tuyến");
    assert_eq!(seen["state"], "st-42");
    assert_eq!(seen["tokenStatus"], 200, "{seen}");
    assert_eq!(seen["pullStatus"], 200, "{seen}");
    let log = seen["accessLog"].as_array().unwrap();
    assert_eq!(log.len(), 1, "{seen}");
    assert_eq!(log[0]["doc"], cert.as_str());
    assert!(
        log[0]["text"]
            .as_str()
            .unwrap()
            .contains("Cổng Dịch vụ công thử nghiệm"),
        "{seen}"
    );
    assert_eq!(seen["grants"], 1, "{seen}");
    assert_eq!(seen["firstTab"], "English", "{seen}");
    t.finish().await;
}

both_backends!(citizen_consents_in_chromium);

/// A fresh deployment in Chromium, from its first page to a filed document: the home
/// page, the one-time setup link, the first admin, who creates a records staff account
/// and a citizen account on `/admin`; the staff member lands on the agency's dashboard,
/// uploads a batch of two scans, watches its progress (server-sent events, thumbnails)
/// reach the end, corrects and approves the one held for review beside its page image
/// and text, and sees the day counted; the citizen, at phone width, finds it in their
/// repository, opens its page (the PDF and its signature check side by side) and
/// downloads it, and it verifies as signed. Every page passes axe-core.
async fn staff_upload_review_and_file_in_chromium(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let shots = repo_path("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let token = kho::setup::open(&t.app.db, &t.app.setup)
        .await
        .unwrap()
        .expect("a fresh deployment has no admin: a setup link");
    let first: Vec<String> = vec![
        t.url(""),
        t.url(&format!("/setup?token={token}")),
        "quan.tri".into(),
        PASSWORD.into(),
        "can.bo.luu.tru".into(),
        "nguyen.binh".into(),
        CITIZEN.into(),
        "KHO".into(),
        path(&shots),
    ];
    let seen = run_script("first_run.mjs", first).await;
    assert_eq!(seen["homeStatus"], 200, "{seen}");
    let links = seen["homeLinks"].as_array().unwrap();
    for way in ["/login", "/verify", "/verify/qr"] {
        assert!(
            links.iter().any(|l| l == way),
            "home links to {way}: {seen}"
        );
    }
    assert_eq!(seen["adminHome"], "/admin", "{seen}");
    assert_eq!(seen["overview"], 6, "the admin's overview tiles: {seen}");
    assert!(
        seen["keyExpiry"].as_u64().unwrap() >= 3,
        "root, TSA, the agency's seal: {seen}"
    );
    assert_eq!(seen["staffCreated"], true, "{seen}");
    assert_eq!(seen["citizenCreated"], true, "{seen}");
    assert_audited(&seen, 5);
    let made = kho::db::accounts::list(&t.app.db).await.unwrap();
    let role_of = |u: &str| {
        made.iter().find(|a| a.user.username == u).map(|a| {
            (
                a.user.role,
                a.user.agency.clone(),
                a.user.subject_id.clone(),
            )
        })
    };
    assert_eq!(
        role_of("can.bo.luu.tru"),
        Some((kho::auth::Role::Staff, Some("KHO".into()), None))
    );
    assert_eq!(
        role_of("nguyen.binh"),
        Some((kho::auth::Role::Citizen, None, Some(CITIZEN.into())))
    );
    let dir = tempfile::tempdir().unwrap();
    let certificate = dir.path().join("giay-chung-nhan.png");
    std::fs::copy(repo_path(STRAIGHT_PAGE), &certificate).unwrap();
    let minutes = dir.path().join("bien-ban.png");
    std::fs::write(&minutes, page_without_fields()).unwrap();
    let args: Vec<String> = vec![
        t.url(""),
        "can.bo.luu.tru".into(),
        "nguyen.binh".into(),
        PASSWORD.into(),
        CITIZEN.into(),
        path(&certificate),
        path(&minutes),
        "--".into(),
        path(&shots),
        repo_path("samples/pages/jpeg-01.jpg").display().to_string(),
        JPEG_PAGE_HOLDER.into(),
    ];
    let seen = run_script("staff_pages.mjs", args).await;
    assert_audited(&seen, 11);
    assert_eq!(seen["staffHome"], "/staff", "{seen}");
    assert_eq!(seen["dashboardBefore"], "0", "{seen}");
    // Thumbnails of page 1: both documents of the batch, the draft in the queue.
    let thumbs = |k: &str| -> Vec<u64> {
        seen[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_u64().unwrap())
            .collect()
    };
    assert_eq!(thumbs("batchThumbs").len(), 2, "{seen}");
    assert_eq!(thumbs("queueThumbs").len(), 1, "{seen}");
    for w in thumbs("batchThumbs")
        .into_iter()
        .chain(thumbs("queueThumbs"))
    {
        assert!(
            (100..=240).contains(&w),
            "a thumbnail, not the page: {seen}"
        );
    }
    // The day, counted: two one-page documents filed, none held, all in the chart.
    let day = &seen["dashboard"];
    assert_eq!(day["documents"], "2", "{seen}");
    assert_eq!(day["pages"], "2", "{seen}");
    assert_eq!(day["held"], "0", "{seen}");
    assert_eq!(day["bars"], 24, "{seen}");
    assert_eq!(day["chartTotal"], 2, "{seen}");
    // The batch's progress: both documents ended, both filed by now, none failed.
    assert_eq!(seen["dashboardEmpty"], 1, "no batches yet, said so: {seen}");
    let rows = day["batches"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{seen}");
    let cells: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cells[0], "Hộp 17 — thử nghiệm", "{seen}");
    assert_eq!(&cells[2..], ["2/2", "2", "0", "0"], "{seen}");
    // Refused for want of an owner, said in Vietnamese with what to do; a wrong ID is
    // said so; with the owner the page names, it is filed.
    assert!(
        seen["refusedReason"]
            .as_str()
            .unwrap()
            .starts_with("Chưa biết chủ sở hữu"),
        "{seen}"
    );
    assert!(
        seen["retryWrongId"]
            .as_str()
            .unwrap()
            .starts_with("Mã định danh hoặc mã số thuế không đúng"),
        "{seen}"
    );
    assert_eq!(seen["retriedRows"], serde_json::json!(["filed"]), "{seen}");
    // The document's page: its PDF framed (this origin only), checked on opening, and
    // downloaded under a name for people.
    let preview = &seen["preview"];
    assert_eq!(preview["verdict"], "VALID", "{seen}");
    assert!(
        preview["words"].as_str().unwrap().starts_with("Hợp lệ"),
        "{seen}"
    );
    assert!(
        preview["vault"].as_str().unwrap().contains("trùng khớp"),
        "{seen}"
    );
    assert_eq!(preview["type"], "application/pdf", "{seen}");
    assert_eq!(preview["frameOptions"], "SAMEORIGIN", "{seen}");
    let name = seen["downloadName"].as_str().unwrap();
    assert_eq!(name, "Biên bản 12-BB-TDP 2024-06-09.pdf", "{seen}");
    assert_eq!(seen["finished"], "true", "{seen}");
    assert!(
        seen["finishedSays"]
            .as_str()
            .unwrap()
            .starts_with("Đã số hóa xong; còn 1 văn bản chờ duyệt"),
        "not 'finished' while a document waits for a person: {seen}"
    );
    assert_eq!(
        seen["rows"],
        serde_json::json!(["filed", "review"]),
        "{seen}"
    );
    let progress = seen["progressSeen"].as_array().unwrap();
    assert_eq!(progress.last().unwrap(), "2/2", "{seen}");
    assert_eq!(seen["batchesListed"], 1, "{seen}");
    assert_eq!(seen["queued"], 1, "{seen}");
    assert!(seen["pageImages"][0].as_u64().unwrap() > 500, "{seen}");
    assert!(
        seen["pageText"].as_str().unwrap().contains("dân phố"),
        "{seen}"
    );
    assert!(!seen["reasons"].as_array().unwrap().is_empty(), "{seen}");
    assert_eq!(seen["queuedAfter"], 0, "{seen}");
    assert_eq!(seen["firstTab"], "English", "{seen}");
    assert_eq!(seen["ownerHome"], "/me", "{seen}");
    let approved = seen["approved"].as_str().unwrap();
    let mine = seen["ownerDocuments"].as_array().unwrap();
    assert_eq!(
        mine.len(),
        2,
        "both documents are in the repository: {seen}"
    );
    let doc = mine.iter().find(|d| d["id"] == approved).unwrap();
    assert_eq!(
        seen["ownerFound"],
        serde_json::json!([approved]),
        "found without diacritics: {seen}"
    );
    assert_eq!(doc["status"], "Còn hiệu lực", "{seen}");
    assert!(
        doc["text"].as_str().unwrap().contains("12/BB-TDP"),
        "{seen}"
    );
    // Filed with the corrections, and signed: the PDF verifies.
    let stored = kho::db::documents::get(&t.app.db, approved)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.doc_type.as_deref(), Some("Biên bản"));
    assert_eq!(stored.issued_on.as_deref(), Some("2024-06-09"));
    assert_eq!(stored.owner_id, CITIZEN);
    let pdf = t.app.store.get(&stored.pdf_sha256).await.unwrap();
    let report = t.verify(pdf.to_vec()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    t.finish().await;
}

both_backends!(staff_upload_review_and_file_in_chromium);
