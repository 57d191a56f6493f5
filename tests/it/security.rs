//! The findings of a hostile review (issue 18), each with the test that would have
//! caught it, on SQLite and PostgreSQL where SQL is involved: agencies kept apart for
//! web sessions as for tokens, public routes bounded, sign-in limits that hold under
//! parallel guesses, redirects only home, an issuer bound to its own seal and the owner
//! the PDF names, headers, OAuth conformance, credentials that can be ended.

use std::time::Duration;

use crate::common::*;
use kho::auth::Role;
use kho::db::Backend;
use tokio::io::AsyncWriteExt;

const TWO_AGENCIES: &str = "KHO=Trung tâm Lưu trữ số Kho;HN=Sở Tư pháp Hà Nội";

/// `kho` on the test app's deployment, configured as it is.
fn kho_of(t: &TestApp, agencies: &str) -> std::process::Command {
    let mut c = kho(&t.db);
    c.env("KHO_AGENCIES", agencies)
        .env("KHO_PUBLIC_URL", &t.addr);
    c
}

fn run(mut c: std::process::Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Item 1. A staff member of HN, signed in on the web, uploads a page: it is filed and
/// sealed by HN, signed for custody with her own certificate, readable by HN's staff and
/// by no one at KHO (the first agency, which the web path used to fall back to).
async fn a_web_upload_is_filed_under_the_uploaders_agency(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &["--agencies", TWO_AGENCIES]).await;
    let mut create = kho_of(&t, TWO_AGENCIES);
    create.env("KHO_PASSWORD", PASSWORD).args([
        "users",
        "create",
        "--role",
        "staff",
        "--username",
        "tran.binh",
        "--agency",
        "HN",
        "--name",
        "Trần Thị Bình",
    ]);
    run(create);
    let (cookie, csrf) = sign_in_to(&t, "tran.binh", "/staff/batches").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap())
            .file_name("page.png"),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/subjects/{CITIZEN}/scans")))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let job = job_id_of(r).await;
    let hn = kho::db::tokens::create(&t.app.db, Role::Staff, None, Some("HN"))
        .await
        .unwrap();
    let doc = loop {
        let j = get_json_with(&t.client, t.url(&format!("/api/v1/jobs/{job}")), &hn).await;
        match j["state"].as_str() {
            Some("queued" | "running") => tokio::time::sleep(Duration::from_millis(100)).await,
            Some("done") => break j["document_id"].as_str().unwrap().to_owned(),
            _ => panic!("the upload was not filed: {j}"),
        }
    };
    let stored = kho::db::documents::get(&t.app.db, &doc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.agency.as_deref(), Some("HN"));
    // HN reads its own; KHO sees neither the job nor the document.
    for path in [
        format!("/api/v1/documents/{doc}"),
        format!("/api/v1/jobs/{job}"),
    ] {
        assert_eq!(
            get_with(&t.client, t.url(&path), &hn).await.status(),
            200,
            "{path}"
        );
        assert_eq!(
            get_with(&t.client, t.url(&path), &t.staff_token)
                .await
                .status(),
            404,
            "{path} as KHO"
        );
    }
    // Custody: her personal certificate; seal: HN's.
    let pdf = get_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{doc}/pdf")),
        &hn,
    )
    .await
    .bytes()
    .await
    .unwrap();
    let report = t.verify(pdf.to_vec()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    let signers: Vec<&str> = report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signer"].as_str().unwrap())
        .collect();
    assert!(signers[0].contains("Trần Thị Bình"), "{signers:?}");
    assert!(signers[1].contains("Sở Tư pháp Hà Nội"), "{signers:?}");
    t.finish().await;
}

both_backends!(a_web_upload_is_filed_under_the_uploaders_agency);

/// Item 1, the command line: with several agencies, `kho ingest` files for the one it
/// is told, and refuses to guess.
async fn ingest_names_its_agency_when_there_are_several(backend: Backend) {
    let db = TestDb::new(backend).await;
    let page = repo_path(STRAIGHT_PAGE);
    let out = kho(&db)
        .env("KHO_AGENCIES", TWO_AGENCIES)
        .arg("ingest")
        .arg(&page)
        .args(["--owner", CITIZEN])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--agency"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c = kho(&db);
    c.env("KHO_AGENCIES", TWO_AGENCIES)
        .arg("ingest")
        .arg(&page)
        .args(["--owner", CITIZEN, "--agency", "HN"]);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = kho::db::Db::connect(&db.url).await.unwrap();
    let agencies: Vec<Option<String>> = sqlx::query_scalar("SELECT agency FROM scans")
        .fetch_all(&d.pool)
        .await
        .unwrap();
    assert_eq!(agencies, vec![Some("HN".to_owned())]);
    d.pool.close().await;
    db.drop_database().await;
}

both_backends!(ingest_names_its_agency_when_there_are_several);

/// Item 2. A 364 KB PNG claiming 10,950 × 10,950 pixels sent to the public QR reader is
/// refused from its header (it took 900 MB to decode).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_qr_photo_is_refused_by_its_header() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &[]).await;
    let bomb = png_bomb(10_950, 10_950);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let r = t
        .client
        .post(t.url("/api/v1/verify/qr"))
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("megapixels"),
        "{body}"
    );
    t.finish().await;
}

/// Item 2. Heavy public requests past `--max-heavy-requests` are turned away with 503
/// and Retry-After while the slots are taken, and served again once one frees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_requests_past_the_allowance_wait_their_turn() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &["--max-heavy-requests", "1"]).await;
    // An upload whose body never finishes holds the only slot.
    let host = t.addr.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /api/v1/subjects/{CITIZEN}/scans HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary=XX\r\n\
         Content-Length: 100000\r\n\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"p.png\"\r\n\r\nPNG-not-finished",
        t.staff_token
    );
    let start_slow = || async {
        let mut slow = tokio::net::TcpStream::connect(&host).await.unwrap();
        slow.write_all(head.as_bytes()).await.unwrap();
        slow
    };
    let mut slow = start_slow().await;
    let qr = || async {
        t.client
            .post(t.url("/api/v1/verify/qr"))
            .body(tiny_png())
            .send()
            .await
            .unwrap()
    };
    let mut busy = None;
    for _ in 0..100 {
        let r = qr().await;
        if r.status() == 503 {
            busy = Some(r);
            break;
        }
        // A QR request that took the slot first turns the upload away (503), and the
        // slot is free again: start another upload that never finishes.
        let mut answer = [0u8; 64];
        if slow.try_read(&mut answer).is_ok() {
            slow = start_slow().await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let busy = busy.expect("the slot held by the slow upload turns the QR request away");
    assert_eq!(busy.headers()["retry-after"], "5");
    drop(slow);
    let mut freed = false;
    for _ in 0..100 {
        if qr().await.status() != 503 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(freed, "the slot is given back when the upload ends");
    t.finish().await;
}

/// Item 3. The public verifier takes at most `--max-verify-bytes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_verifier_has_its_own_smaller_body_limit() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &["--max-verify-bytes", "100000"]).await;
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(200_000, b' ');
    let r = t
        .client
        .post(t.url("/api/v1/verify"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (_, pdf) = signed_twice(&make_pki());
    assert!(pdf.len() < 100_000);
    let r = t
        .client
        .post(t.url("/api/v1/verify"))
        .body(pdf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.finish().await;
}

/// Item 4. Forty guesses at once for one account: only five are checked at all (before,
/// every one was, and the right password sent among them got in), and the right
/// password after them does not get in.
async fn parallel_guesses_cannot_pass_the_sign_in_limit(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    account(&t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let attempt = |password: String| {
        let client = client.clone();
        let url = t.url("/login");
        async move {
            client
                .post(url)
                .form(&[
                    ("username", "citizen-a"),
                    ("password", &password),
                    ("next", "/me"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..40 {
        guesses.spawn(attempt(format!("đoán-sai-mật-khẩu-{i}")));
    }
    let mut statuses = Vec::new();
    while let Some(s) = guesses.join_next().await {
        statuses.push(s.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
    // The right password, once the limit is reached, waits out the window too.
    assert_eq!(attempt(PASSWORD.to_owned()).await, 429);
    t.finish().await;
}

both_backends!(parallel_guesses_cannot_pass_the_sign_in_limit);

/// Item 5. `next` that a browser would resolve to another host, or that holds a line
/// break, sends the account home — never elsewhere, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_redirects_off_site() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &[]).await;
    account(&t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
    ] {
        let r = client
            .post(t.url("/login"))
            .form(&[
                ("username", "citizen-a"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/me", "{next:?}");
    }
    t.finish().await;
}

/// A review held for `agency`'s staff, written as the pipeline would.
async fn held_for(t: &TestApp, agency: &str) -> String {
    let (job_id, scan_id) = upload_as(t, CITIZEN, agency).await;
    let draft = new_document(CITIZEN, agency, &scan_id, &job_id, &"0".repeat(64), 5);
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = t.app.db.pool.begin().await.unwrap();
    kho::db::reviews::insert(&mut tx, &id, &draft, &[], &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Item 6. 510 reviews waiting at KHO do not hide HN's one; the queue pages with a
/// cursor and tells the true count.
async fn one_agencys_review_backlog_does_not_hide_anothers(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--agencies", TWO_AGENCIES]).await;
    for _ in 0..510 {
        held_for(&t, "KHO").await;
    }
    let theirs = held_for(&t, "HN").await;
    let hn = kho::db::tokens::create(&t.app.db, Role::Staff, None, Some("HN"))
        .await
        .unwrap();
    let list = get_json_with(&t.client, t.url("/api/v1/reviews"), &hn).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["reviews"][0]["id"], theirs.as_str());
    let mut seen = std::collections::HashSet::new();
    let mut url = t.url("/api/v1/reviews?limit=200");
    loop {
        let page = get_json_with(&t.client, url.clone(), &t.staff_token).await;
        assert_eq!(page["total"], 510);
        for r in page["reviews"].as_array().unwrap() {
            assert!(seen.insert(r["id"].as_str().unwrap().to_owned()));
        }
        match page["next"].as_str() {
            Some(next) => url = t.url(&format!("/api/v1/reviews?limit=200&after={next}")),
            None => break,
        }
    }
    assert_eq!(seen.len(), 510);
    assert!(!seen.contains(&theirs));
    t.finish().await;
}

both_backends!(one_agencys_review_backlog_does_not_hide_anothers);

/// Item 7. An issuer pushes only its own agency's seal, only for the owner the PDF
/// names, only once, and only with metadata that agrees with the signed PDF; where the
/// same file was filed twice before, its revocation shows wherever it is verified.
async fn an_issuer_pushes_only_its_own_results_for_their_owner(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--agencies", TWO_AGENCIES]).await;
    let issuer = |agency: &'static str| {
        let db = t.app.db.clone();
        async move {
            kho::db::tokens::create(&db, Role::Issuer, None, Some(agency))
                .await
                .unwrap()
        }
    };
    let (kho_issuer, hn_issuer) = (issuer("KHO").await, issuer("HN").await);
    let push = |token: String, owner: &'static str, pdf: Vec<u8>, meta: serde_json::Value| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(pdf).file_name("kq.pdf"),
            )
            .text("metadata", meta.to_string());
        let req = t
            .client
            .post(t.url(&format!("/api/v1/subjects/{owner}/documents")))
            .bearer_auth(token)
            .multipart(form);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let meta = serde_json::json!({"title": "Giấy phép", "number": "12/GP-UBND"});
    // KHO's sealed result, pushed by HN's system: refused.
    let kho_sealed = sealed_by(&t, "KHO", &distinct_unsigned_pdf()).await;
    assert_eq!(
        push(hn_issuer.clone(), CITIZEN, kho_sealed.clone(), meta.clone()).await,
        422
    );
    // By KHO's own system: filed; again: 409; into another owner's repository: 422.
    assert_eq!(
        push(
            kho_issuer.clone(),
            CITIZEN,
            kho_sealed.clone(),
            meta.clone()
        )
        .await,
        201
    );
    assert_eq!(
        push(
            kho_issuer.clone(),
            CITIZEN,
            kho_sealed.clone(),
            meta.clone()
        )
        .await,
        409
    );
    assert_eq!(
        push(
            kho_issuer.clone(),
            OTHER_CITIZEN,
            kho_sealed.clone(),
            meta.clone()
        )
        .await,
        422
    );
    // A PDF whose signed XMP names its holder and number.
    let page = kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(
            &image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(
                300,
                400,
                image::Luma([240]),
            )),
            None,
        )
        .unwrap(),
        dpi: 100.0,
        text: Default::default(),
    };
    let field = |v: &str| kho_workers::extract::Field {
        value: v.into(),
        confidence: 90.0,
        words: vec![],
    };
    let fields = kho_workers::extract::Fields {
        number: Some(field("34/GP-UBND")),
        personal_ids: vec![field(CITIZEN)],
        ..Default::default()
    };
    let named = kho_workers::pdf::build(
        &[page],
        &kho_workers::pdf::PdfMeta {
            title: None,
            fields,
        },
    )
    .unwrap();
    let named = sealed_by(&t, "KHO", &named).await;
    let contradicting = serde_json::json!({"title": "Giấy phép", "number": "35/GP-UBND"});
    assert_eq!(
        push(kho_issuer.clone(), CITIZEN, named.clone(), contradicting).await,
        422
    );
    assert_eq!(
        push(
            kho_issuer.clone(),
            OTHER_CITIZEN,
            named.clone(),
            meta.clone()
        )
        .await,
        422
    );
    let agreeing = serde_json::json!({"title": "Giấy phép", "number": "34/GP-UBND"});
    assert_eq!(
        push(kho_issuer.clone(), CITIZEN, named, agreeing).await,
        201
    );

    // Two filings of one file from before the rule: revoking either shows everywhere.
    let pdf = sealed_by(&t, "KHO", &distinct_unsigned_pdf()).await;
    let (first, _) = file_document(
        &t,
        CITIZEN,
        "KHO",
        "Giấy phép",
        "2024-01-01",
        "x",
        "UBND",
        &pdf,
    )
    .await;
    let (_copy, _) = file_document(
        &t,
        OTHER_CITIZEN,
        "KHO",
        "Giấy phép",
        "2024-01-01",
        "x",
        "UBND",
        &pdf,
    )
    .await;
    let mut tx = t.app.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE documents SET created_at = created_at + 1000 WHERE id = $1")
        .bind(&first)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        kho::db::documents::revoke(
            &mut t.app.db.pool.acquire().await.unwrap(),
            &first,
            "cấp nhầm"
        )
        .await
        .unwrap()
    );
    let report = t.verify(pdf).await;
    assert_eq!(report["verdict"], "REVOKED", "{report}");
    assert_eq!(report["vault"]["document_id"], first.as_str(), "{report}");
    t.finish().await;
}

both_backends!(an_issuer_pushes_only_its_own_results_for_their_owner);

/// Item 8. The same file in two agencies' batches is two scans; in one agency's twice,
/// one.
async fn batch_deduplication_is_scoped_by_agency(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--agencies", TWO_AGENCIES]).await;
    let owner = kho::domain::SubjectId::parse(CITIZEN).unwrap();
    let files = || {
        vec![kho::intake::Incoming {
            filename: Some("p.png".into()),
            bytes: tiny_png().into(),
        }]
    };
    let submit = |agency: &'static str| {
        let app = t.app.clone();
        let owner = owner.clone();
        let files = files();
        async move {
            let up = kho::domain::Uploader::operator(agency);
            kho::intake::submit_once(&app, &owner, files, &up, None)
                .await
                .unwrap()
                .scan_id
        }
    };
    let a = submit("KHO").await;
    assert_eq!(submit("KHO").await, a);
    let b = submit("HN").await;
    assert_ne!(a, b);
    t.finish().await;
}

both_backends!(batch_deduplication_is_scoped_by_agency);

/// Item 9. Every answer carries the security headers; HSTS only on https.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &[]).await;
    for path in [
        "/login",
        "/api/v1/health",
        "/oauth/authorize",
        "/no/such/route",
    ] {
        let r = t.client.get(t.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        // Scripts only from this origin: no inline script runs.
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
    // And no page ships one: every <script> either loads a file from /assets/ or is a
    // JSON data block.
    for path in [
        "/",
        "/verify",
        "/verify/qr",
        "/login",
        "/verify?lang=en",
        "/help",
    ] {
        let html = t
            .client
            .get(t.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for (at, _) in html.match_indices("<script") {
            let tag = &html[at..at + html[at..].find('>').unwrap()];
            assert!(
                tag.contains(r#"src="/assets/"#) || tag.contains(r#"type="application/json""#),
                "{path}: inline script {tag}"
            );
        }
    }
    let js = t
        .client
        .get(t.url("/assets/verify-pdf.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(
        t.client
            .get(t.url("/assets/nope.js"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    t.finish().await;
}

/// Item 10. OAuth: an over-long state is refused, not dropped; a verifier outside
/// RFC 7636's characters is refused; a code sent again ends the tokens issued from it.
async fn oauth_refuses_what_rfc_6749_and_7636_refuse(backend: Backend) {
    use base64::Engine;
    use sha2::Digest;
    let t = TestApp::spawn(backend, 0, &[]).await;
    let (client_id, secret) =
        kho::consent::register(&t.app.db, "Cổng thử", &["http://127.0.0.1:9/cb".into()])
            .await
            .unwrap();
    account(&t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let (cookie, _) = sign_in(&t, "citizen-a").await;
    let authorize = |state: &str| {
        format!(
            "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=documents%3Aread&state={state}&code_challenge={}&code_challenge_method=S256&purpose=x",
            "a".repeat(43)
        )
    };
    let page = t
        .client
        .get(t.url(&authorize(&"s".repeat(501))))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(page.status().is_client_error(), "{}", page.status());
    // Codes for grants, each with the challenge of its verifier.
    let user = kho::db::accounts::by_username(&t.app.db, "citizen-a")
        .await
        .unwrap()
        .unwrap();
    let code_for = |code: String, verifier: String| {
        let db = t.app.db.clone();
        let client_id = client_id.clone();
        let user = user.id.clone();
        async move {
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()));
            grant_with_code(
                &db,
                &kho::db::grants::NewGrant {
                    client_id: &client_id,
                    owner_id: CITIZEN,
                    granted_by: &user,
                    purpose: "x",
                    document_ids: &[],
                    expires_at: kho::db::now_ms() + 3_600_000,
                },
                &kho::db::tokens::hash(&code),
                &challenge,
            )
            .await;
        }
    };
    let exchange = |code: &str, verifier: &str| {
        t.client
            .post(t.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", "http://127.0.0.1:9/cb"),
                ("code_verifier", verifier),
                ("client_id", client_id.as_str()),
                ("client_secret", secret.as_str()),
            ])
            .send()
    };
    // A verifier with characters RFC 7636 does not allow, whose challenge matches.
    let bad_verifier = format!("{}+/ ", "v".repeat(48));
    let bad_code = "b".repeat(64);
    code_for(bad_code.clone(), bad_verifier.clone()).await;
    let r = exchange(&bad_code, &bad_verifier).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_request"
    );
    // A code exchanged once, then again: the second time ends the first token.
    let verifier = "v".repeat(50);
    let code = "c".repeat(64);
    code_for(code.clone(), verifier.clone()).await;
    let r = exchange(&code, &verifier).await.unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let current = || get_with(&t.client, t.url("/api/v1/grants/current"), &token);
    assert_eq!(current().await.status(), 200);
    let r = exchange(&code, &verifier).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        current().await.status(),
        401,
        "the replayed code ended its token"
    );
    t.finish().await;
}

both_backends!(oauth_refuses_what_rfc_6749_and_7636_refuse);

/// A live grant of CITIZEN's `docs` to the requester `client_id`, and an access token
/// for it, as the consent flow would leave them.
async fn grant_token(t: &TestApp, client_id: &str, granted_by: &str, docs: &[String]) -> String {
    let grant = grant_with_code(
        &t.app.db,
        &kho::db::grants::NewGrant {
            client_id,
            owner_id: CITIZEN,
            granted_by,
            purpose: "Kiểm tra",
            document_ids: docs,
            expires_at: kho::db::now_ms() + 3_600_000,
        },
        &kho::db::tokens::hash(&uuid::Uuid::new_v4().to_string()),
        &"x".repeat(43),
    )
    .await;
    t.access_token(&grant).await
}

/// Item 12. A requester that reads the owner's repository list leaves a line in the
/// owner's access log for each document it saw there.
async fn a_requester_listing_the_repository_is_in_the_access_log(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let (doc, _) = file_document(
        &t,
        CITIZEN,
        "KHO",
        "Giấy phép",
        "2024-01-01",
        "x",
        "UBND",
        b"%PDF-",
    )
    .await;
    let (client_id, _) =
        kho::consent::register(&t.app.db, "Cổng thử", &["http://127.0.0.1:9/cb".into()])
            .await
            .unwrap();
    account(&t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let user = kho::db::accounts::by_username(&t.app.db, "citizen-a")
        .await
        .unwrap()
        .unwrap();
    let access = grant_token(&t, &client_id, &user.id, std::slice::from_ref(&doc)).await;
    let list = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/subjects/{CITIZEN}/documents")),
        &access,
    )
    .await;
    assert_eq!(list["documents"][0]["id"], doc.as_str());
    let log = kho::db::grants::access_log(&t.app.db, CITIZEN, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].document_id.as_str(), log[0].action.as_str()),
        (doc.as_str(), "list")
    );
    t.finish().await;
}

both_backends!(a_requester_listing_the_repository_is_in_the_access_log);

/// Item 13. A fresh embedded deployment keeps its data folder and database to its owner.
#[test]
fn a_fresh_data_folder_and_its_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kho"))
        .env_remove("KHO_DATABASE_URL")
        .env_remove("KHO_OBJECT_STORE_URL")
        .arg("--data-dir")
        .arg(&data)
        .args(["tokens", "create", "--role", "officer"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for name in ["kho.db", "kho.db-wal"] {
        let p = data.join(name);
        if p.exists() {
            assert_eq!(mode(&p) & 0o077, 0, "{name}");
        }
    }
    assert!(data.join("kho.db").exists());
}

/// Item 14. Tokens expire and are revoked, accounts and requesters disabled, from the
/// command line; each stops working at once.
async fn credentials_can_be_listed_expired_revoked_and_disabled(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let cli = || kho_of(&t, "KHO=Trung tâm Lưu trữ số Kho");
    let mut c = cli();
    c.args([
        "tokens",
        "create",
        "--role",
        "citizen",
        "--subject",
        CITIZEN,
        "--expires",
        "30",
    ]);
    let token = run(c).trim().to_owned();
    let mine = || {
        get_with(
            &t.client,
            t.url(&format!("/api/v1/subjects/{CITIZEN}/documents")),
            &token,
        )
    };
    assert_eq!(mine().await.status(), 200);
    let mut c = cli();
    c.args(["tokens", "list"]);
    let listed = run(c);
    let line = listed
        .lines()
        .find(|l| l.contains(CITIZEN))
        .expect("the token is listed");
    assert!(!listed.contains(&token), "the token itself is never shown");
    let id = line.split('\t').next().unwrap().to_owned();
    let expires = line.split('\t').nth(5).unwrap();
    assert_ne!(expires, "-");
    let mut c = cli();
    c.args(["tokens", "revoke", &id]);
    run(c);
    assert_eq!(mine().await.status(), 401);
    // An expired token no longer works.
    let old = t.token(Role::Citizen, Some(CITIZEN)).await;
    kho::db::tokens::set_expiry(&t.app.db, &old, kho::db::now_ms() - 1)
        .await
        .unwrap();
    let r = get_with(
        &t.client,
        t.url(&format!("/api/v1/subjects/{CITIZEN}/documents")),
        &old,
    )
    .await;
    assert_eq!(r.status(), 401);
    // A disabled requester's access tokens end.
    account(&t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let user = kho::db::accounts::by_username(&t.app.db, "citizen-a")
        .await
        .unwrap()
        .unwrap();
    let (client_id, _) =
        kho::consent::register(&t.app.db, "Cổng thử", &["http://127.0.0.1:9/cb".into()])
            .await
            .unwrap();
    let access = grant_token(&t, &client_id, &user.id, &[]).await;
    let current = || get_with(&t.client, t.url("/api/v1/grants/current"), &access);
    assert_eq!(current().await.status(), 200);
    let mut c = cli();
    c.args(["requesters", "disable", &client_id]);
    run(c);
    assert_eq!(current().await.status(), 401);
    // A disabled account's session ends.
    let (cookie, _) = sign_in(&t, "citizen-a").await;
    let me = || {
        t.client
            .get(t.url(&format!("/api/v1/subjects/{CITIZEN}/documents")))
            .header("cookie", &cookie)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), 200);
    let mut c = cli();
    c.args(["users", "disable", "citizen-a"]);
    run(c);
    assert_eq!(me().await.unwrap().status(), 401);
    t.finish().await;
}

both_backends!(credentials_can_be_listed_expired_revoked_and_disabled);

/// Item 17. `/metrics` answers loopback by default; from outside the allowed range only
/// with the metrics token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_the_allowed_range_or_the_token() {
    let open = TestApp::spawn(Backend::Sqlite, 0, &[]).await;
    assert_eq!(open.get("/metrics").await.status(), 200);
    open.finish().await;
    let t = TestApp::spawn(
        Backend::Sqlite,
        0,
        &[
            "--metrics-allow",
            "10.0.0.0/8",
            "--metrics-token",
            "scrape-secret-2026",
        ],
    )
    .await;
    assert_eq!(t.get("/metrics").await.status(), 401);
    let r = get_with(&t.client, t.url("/metrics"), "scrape-secret-2026").await;
    assert_eq!(r.status(), 200);
    let r = get_with(&t.client, t.url("/metrics"), "wrong").await;
    assert_eq!(r.status(), 401);
    t.finish().await;
}

/// Item 15. A stack whose second separator sheet was printed under another key: the
/// document before it is filed, and the rest is refused with the reason.
async fn a_forged_separator_stops_the_cut(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let genuine = t.app.keys.sheet_key();
    let forged = {
        let other = tempfile::tempdir().unwrap();
        let (kek, _) = kho::signing::kek::Kek::load(None, &other.path().join("k"), true).unwrap();
        kho::separator::SheetKey::from_kek(&kek)
    };
    let page = image::open(repo_path(STRAIGHT_PAGE)).unwrap().to_luma8();
    let sheet = |owner: &str, key: &kho::separator::SheetKey| {
        let sep = kho::separator::Separator {
            owner: kho::domain::SubjectId::parse(owner).unwrap(),
            doc_type: None,
        };
        kho::separator::sheet(&sep, key).unwrap()
    };
    let pages: Vec<kho_workers::pdf::PdfPage> = [
        (sheet(CITIZEN, &genuine), 150.0),
        (page.clone(), 200.0),
        (sheet(OTHER_CITIZEN, &forged), 150.0),
        (page, 200.0),
    ]
    .into_iter()
    .map(|(img, dpi)| kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&image::DynamicImage::ImageLuma8(img), None)
            .unwrap(),
        dpi,
        text: Default::default(),
    })
    .collect();
    let stack = kho_workers::pdf::build(&pages, &Default::default()).unwrap();
    let r = t
        .client
        .post(t.url("/api/v1/batches"))
        .bearer_auth(&t.staff_token)
        .json(&serde_json::json!({"name": "Hộp 9", "split": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(stack).file_name("box.pdf"),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/batches/{id}/files")))
        .bearer_auth(&t.staff_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let added: serde_json::Value = r.json().await.unwrap();
    let text = added.to_string();
    assert!(text.contains("fails its check"), "{text}");
    // Only the genuine sheet's document was recorded, for the owner it names.
    let owners: Vec<String> = sqlx::query_scalar("SELECT owner_id FROM scans")
        .fetch_all(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(owners, vec![CITIZEN.to_owned()]);
    t.finish().await;
}

both_backends!(a_forged_separator_stops_the_cut);

/// A document for `owner` filed by `agency` whose text holds `text`, written straight
/// to the database as the pipeline's filing would be (no HTTP, no objects).
async fn filed_quietly(t: &TestApp, owner: &str, agency: &str, text: &str) -> String {
    let subject = kho::domain::SubjectId::parse(owner).unwrap();
    let file = kho::db::scans::NewScanFile {
        sha256: "0".repeat(64),
        content_type: "image/png".into(),
        bytes: 1,
        pages: 1,
        filename: None,
    };
    let created = kho::db::scans::create_with_job(
        &t.app.db,
        &kho::db::scans::NewScan {
            owner: &subject,
            files: std::slice::from_ref(&file),
            uploader: &kho::domain::Uploader::operator(agency),
            max_attempts: 1,
            content_key: None,
            metadata: None,
        },
    )
    .await
    .unwrap();
    let doc = kho::db::documents::NewDocument {
        ocr_text: text.into(),
        title: Some("GIẤY CHỨNG NHẬN".into()),
        ..new_document(
            owner,
            agency,
            &created.scan_id,
            &created.job_id,
            &"1".repeat(64),
            1,
        )
    };
    let mut tx = t.app.db.pool.begin().await.unwrap();
    kho::db::documents::insert(&mut tx, &doc).await.unwrap();
    kho::search::index(&mut tx, &doc).await.unwrap();
    tx.commit().await.unwrap();
    doc.id
}

/// Item 6, search: 2,001 matching documents filed by KHO do not hide the one HN filed
/// (search took the first 2,000 matches of everyone's before applying rights).
async fn search_applies_rights_before_it_caps_the_matches(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--agencies", TWO_AGENCIES]).await;
    for _ in 0..2001 {
        filed_quietly(&t, CITIZEN, "KHO", "giấy chứng nhận đăng ký hộ kinh doanh").await;
    }
    let theirs = filed_quietly(&t, OTHER_CITIZEN, "HN", "giấy chứng nhận quyền sử dụng đất").await;
    let hn = kho::db::tokens::create(&t.app.db, Role::Staff, None, Some("HN"))
        .await
        .unwrap();
    let found = get_json_with(
        &t.client,
        t.url("/api/v1/search?q=giay%20chung%20nhan"),
        &hn,
    )
    .await;
    let ids: Vec<&str> = found["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![theirs.as_str()], "{found}");
    t.finish().await;
}

both_backends!(search_applies_rights_before_it_caps_the_matches);
