//! The API end to end, on SQLite and on PostgreSQL: upload → job → filed document, job
//! retries and lease takeover, refusal of bad input without leftovers, and tokens.

use std::time::Duration;

use crate::common::*;
use kho::auth::Role;
use kho::db::Backend;

fn sample(path: &str) -> Vec<u8> {
    std::fs::read(repo_path(path)).unwrap()
}

async fn an_uploaded_scan_is_digitized_and_filed_as_a_searchable_pdf(backend: Backend) {
    let t = TestApp::spawn(backend, 2, &[]).await;
    let r = t
        .upload(CITIZEN, &[("straight-01.png", sample(STRAIGHT_PAGE))])
        .await;
    assert_eq!(r.status(), 202);
    let accepted: serde_json::Value = r.json().await.unwrap();
    let job = t.wait_for_job(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    let doc_id = job["document_id"].as_str().unwrap().to_owned();

    let (status, list) = t
        .get_json(&format!("/api/v1/subjects/{CITIZEN}/documents"))
        .await;
    assert_eq!(status, 200);
    let docs = list["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], doc_id.as_str());
    assert_eq!(docs[0]["status"], "valid");

    let (status, doc) = t.get_json(&format!("/api/v1/documents/{doc_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["owner_id"], CITIZEN);
    assert_eq!(doc["page_count"], 1);
    assert_eq!(
        doc["pages"][0]["dpi_assumed"], false,
        "the sample carries 300 dpi: {doc}"
    );

    let pdf = t.get(&format!("/api/v1/documents/{doc_id}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    assert_eq!(doc["sha256"].as_str().unwrap(), sha256_hex(&pdf));
    let text = pdftotext(&pdf);
    let truth = std::fs::read_to_string(repo_path(STRAIGHT_TRUTH)).unwrap();
    let rate = cer(&truth, &text);
    assert!(
        rate <= 0.01,
        "character error rate {rate:.4} over 1%:\n{text}"
    );

    let original = t.get(&format!("/api/v1/documents/{doc_id}/original")).await;
    assert_eq!(original.status(), 200);
    assert_eq!(original.headers()["content-type"], "image/png");
    assert_eq!(
        original.bytes().await.unwrap().as_ref(),
        sample(STRAIGHT_PAGE).as_slice()
    );

    // Page 1 as a thumbnail, for lists: a PNG 240 pixels wide of the page's shape,
    // for whoever may read the document and nobody else.
    let thumb = t
        .get(&format!("/api/v1/documents/{doc_id}/thumbnail"))
        .await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/png");
    assert_eq!(
        thumb.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", doc["sha256"].as_str().unwrap())
    );
    let png = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    let page = image::load_from_memory(&sample(STRAIGHT_PAGE)).unwrap();
    assert_eq!(png.width(), 240);
    let expected = page.height() as f64 * 240.0 / page.width() as f64;
    assert!(
        (png.height() as f64 - expected).abs() <= 2.0,
        "{}",
        png.height()
    );
    let other = t.token(kho::auth::Role::Citizen, Some(OTHER_CITIZEN)).await;
    let r = get_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{doc_id}/thumbnail")),
        &other,
    )
    .await;
    assert_eq!(r.status(), 404);
    t.finish().await;
}
both_backends!(an_uploaded_scan_is_digitized_and_filed_as_a_searchable_pdf);

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn a_job_whose_scan_cannot_be_read_is_retried_then_failed_with_its_reason(backend: Backend) {
    let mut t = TestApp::spawn(backend, 0, &["--job-max-attempts", "3"]).await;
    let r = t.upload(CITIZEN, &[("page.png", tiny_png())]).await;
    assert_eq!(r.status(), 202);
    let job_id = job_id_of(r).await;
    // The stored page disappears (a broken object store): every attempt fails.
    let (job, _) = kho::db::jobs::get(&t.app.db, &job_id)
        .await
        .unwrap()
        .unwrap();
    let files = kho::db::scans::files(&t.app.db, &job.scan_id)
        .await
        .unwrap();
    t.app.store.remove(&files[0].sha256).await.unwrap();
    t.start_workers(1);
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempts"], 3, "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("not found"),
        "the reason names the missing object: {error}"
    );
    assert!(job["document_id"].is_null());
    t.finish().await;
}
both_backends!(a_job_whose_scan_cannot_be_read_is_retried_then_failed_with_its_reason);

async fn a_job_whose_worker_died_is_taken_over_and_filed_exactly_once(backend: Backend) {
    let mut t = TestApp::spawn(backend, 0, &[]).await;
    let r = t
        .upload(CITIZEN, &[("page.png", sample(STRAIGHT_PAGE))])
        .await;
    let job_id = job_id_of(r).await;
    // A worker claims the job with a short lease and dies without a heartbeat.
    let dead = kho::db::jobs::claim(&t.app.db, "dead-worker", 1500)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.id, job_id);
    assert!(
        kho::db::jobs::claim(&t.app.db, "other", 1500)
            .await
            .unwrap()
            .is_none(),
        "leased job is not claimable"
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    t.start_workers(2);
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["attempts"], 2);
    // The dead worker wakes up and tries to finish: its lease is gone, nothing is written.
    let mut tx = t.app.db.pool.begin().await.unwrap();
    let finished = kho::db::jobs::finish(&mut tx, &dead, "done", Some("not-a-document"), None)
        .await
        .unwrap();
    assert!(!finished, "a lost lease cannot complete the job");
    tx.rollback().await.unwrap();
    assert!(
        !kho::db::jobs::heartbeat(&t.app.db, &dead, 1000)
            .await
            .unwrap()
    );
    assert_eq!(
        kho::db::documents::count_for_scan(&t.app.db, &dead.scan_id)
            .await
            .unwrap(),
        1
    );
    let (_, list) = t
        .get_json(&format!("/api/v1/subjects/{CITIZEN}/documents"))
        .await;
    assert_eq!(list["documents"].as_array().unwrap().len(), 1);
    t.finish().await;
}
both_backends!(a_job_whose_worker_died_is_taken_over_and_filed_exactly_once);

async fn a_document_the_gate_holds_back_waits_in_review_with_its_reasons_and_is_not_filed(
    backend: Backend,
) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    // A blank page: nothing to read, no fields.
    let r = t.upload(CITIZEN, &[("blank.png", tiny_png())]).await;
    let job_id = job_id_of(r).await;
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "review", "{job}");
    assert!(job["document_id"].is_null(), "{job}");
    let codes: Vec<&str> = job["review"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["no_text", "missing_field", "missing_field", "missing_field"],
        "{job}"
    );
    assert_eq!(job["review"]["state"], "open");
    // Held, not filed: the owner's repository stays empty, the draft is kept.
    let (_, list) = t
        .get_json(&format!("/api/v1/subjects/{CITIZEN}/documents"))
        .await;
    assert_eq!(list["documents"].as_array().unwrap().len(), 0, "{list}");
    let review = kho::db::reviews::for_job(&t.app.db, &job_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(review.owner_id, CITIZEN);
    assert!(review.draft.pdf_bytes > 0);
    assert!(t.app.store.get(&review.draft.pdf_sha256).await.is_ok());

    // The draft's page 1, for the review queue's thumbnails: at most `width` pixels
    // wide (64 to 1000), the full page image by default; other widths are refused.
    let staff = t.token(Role::Staff, None).await;
    let page_width = |q: &'static str| {
        let (t, staff, id) = (&t, &staff, &review.id);
        async move {
            let r = t
                .client
                .get(t.url(&format!("/api/v1/reviews/{id}/pages/1{q}")))
                .bearer_auth(staff)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let bytes = r.bytes().await.unwrap();
            (
                status,
                image::load_from_memory(&bytes).map(|i| i.width()).ok(),
            )
        }
    };
    // (This page is small; the browser test sees real pages reduced to 240.)
    let (status, full) = page_width("").await;
    assert_eq!(status, 200);
    let full = full.unwrap();
    assert!(full <= 1000, "{full}");
    assert_eq!(page_width("?width=240").await, (200, Some(full.min(240))));
    for wrong in ["?width=5", "?width=5000"] {
        assert_eq!(page_width(wrong).await.0, 400, "{wrong}");
    }

    // Approval: only staff or admins; then the draft is signed, filed, the job done.
    let approve = format!("/api/v1/reviews/{}/approve", review.id);
    let citizen = t.token(Role::Citizen, Some(CITIZEN)).await;
    let r = t
        .client
        .post(t.url(&approve))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = t
        .client
        .post(t.url(&approve))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc_id = r.json::<serde_json::Value>().await.unwrap()["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .client
        .post(t.url(&approve))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "decided once");
    let (_, job) = t.get_json(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["document_id"], doc_id.as_str());
    let pdf = t
        .get(&format!("/api/v1/documents/{doc_id}/pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    let signatures = pdf
        .windows(20)
        .filter(|w| w == b"/ETSI.CAdES.detached")
        .count();
    assert_eq!(signatures, 2, "custody signature and seal");
    t.finish().await;
}
both_backends!(a_document_the_gate_holds_back_waits_in_review_with_its_reasons_and_is_not_filed);

/// The reason `code` of a job held for review (the test fails when there is none).
fn held_reason(job: &serde_json::Value, code: &str) -> serde_json::Value {
    job["review"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no {code} reason: {job}"))
        .clone()
}

async fn a_realistic_page_whose_number_fails_decree_30_is_held_with_the_correction_offered(
    backend: Backend,
) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    // A THÔNG BÁO whose number carries GP (a licence's abbreviation) instead of TB.
    let holder = "027388001443";
    let page = std::fs::read(repo_path("samples/realistic/notice-wrong-number.jpg")).unwrap();
    let job_id = job_id_of(t.upload(holder, &[("notice.jpg", page)]).await).await;
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "review", "{job}");
    let reason = held_reason(&job, "number_grammar");
    assert_eq!(reason["field"], "number");
    assert_eq!(reason["suggestion"], "1813/2022/TB-UBND", "{reason}");
    // Nothing was sealed or filed.
    let (_, list) = t
        .get_json(&format!("/api/v1/subjects/{holder}/documents"))
        .await;
    assert_eq!(list["documents"].as_array().unwrap().len(), 0, "{list}");
    // The reviewer's page says why in Vietnamese and offers the correction.
    let review = kho::db::reviews::for_job(&t.app.db, &job_id)
        .await
        .unwrap()
        .unwrap();
    account(&t, "ban-so-hoa", Role::Staff, None, None).await;
    let (cookie, _) = sign_in(&t, "ban-so-hoa").await;
    let html = t
        .page_as(&format!("/staff/reviews/{}", review.id), &cookie)
        .await;
    assert!(
        html.contains("không đúng thể thức của Nghị định 30"),
        "{html}"
    );
    assert!(
        html.contains(r#"class="suggestion" data-field="number" data-value="1813/2022/TB-UBND""#),
        "{html}"
    );
    t.finish().await;
}
both_backends!(a_realistic_page_whose_number_fails_decree_30_is_held_with_the_correction_offered);

/// Send a bad upload; assert the status, the error code, and that nothing was kept.
async fn refused(t: &TestApp, response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(
        t.counts().await,
        (0, 0, 0, 0, 0),
        "a refused upload leaves nothing behind"
    );
    body["error"]["message"].as_str().unwrap().to_owned()
}

async fn bad_uploads_get_a_clear_4xx_and_leave_no_record_or_object(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--max-upload-bytes", "20000"]).await;

    for bad_id in ["12345", "001203004567X", "003203004567", "0100109107"] {
        let r = t.upload(bad_id, &[("page.png", tiny_png())]).await;
        let message = refused(&t, r, 422, "invalid_id").await;
        assert!(
            message.contains(bad_id.trim_end_matches('X')) || message.contains("digits"),
            "{message}"
        );
    }

    let r = t.upload(CITIZEN, &[]).await;
    let message = refused(&t, r, 400, "empty_upload").await;
    assert!(message.contains("file"), "{message}");

    let r = t
        .upload(
            CITIZEN,
            &[("page.png", tiny_png()), ("blank.png", Vec::new())],
        )
        .await;
    let message = refused(&t, r, 400, "empty_upload").await;
    assert!(message.contains("file 2 (blank.png) is empty"), "{message}");

    let r = t.upload(CITIZEN, &[("big.png", vec![0x89; 50_000])]).await;
    refused(&t, r, 413, "payload_too_large").await;

    let r = t
        .upload(
            CITIZEN,
            &[
                ("page.png", tiny_png()),
                ("notes.docx", b"PK\x03\x04 a word processor file".to_vec()),
            ],
        )
        .await;
    let message = refused(&t, r, 415, "unsupported_media_type").await;
    assert!(
        message.contains("notes.docx") && message.contains("not a PNG, JPEG or TIFF"),
        "{message}"
    );

    let r = t
        .upload(CITIZEN, &[("broken.pdf", b"%PDF-1.7\n%%EOF".to_vec())])
        .await;
    let message = refused(&t, r, 422, "unprocessable").await;
    assert!(
        message.contains("broken.pdf") && message.contains("PDF"),
        "{message}"
    );

    let mut truncated = tiny_png();
    truncated.truncate(20);
    let r = t.upload(CITIZEN, &[("cut.png", truncated)]).await;
    refused(&t, r, 422, "unprocessable").await;
    t.finish().await;
}
both_backends!(bad_uploads_get_a_clear_4xx_and_leave_no_record_or_object);

/// `tests/fixtures/odd_pdfs.py`'s files from the sample page, in a fresh folder.
fn odd_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(venv_tool("python"))
        .arg(repo_path("tests/fixtures/odd_pdfs.py"))
        .arg(repo_path(STRAIGHT_PAGE))
        .arg(repo_path(STRAIGHT_TRUTH))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

async fn a_born_digital_pdf_is_filed_and_cut_or_signed_files_are_refused(backend: Backend) {
    let t = TestApp::spawn(backend, 2, &[]).await;
    let odd = odd_files();
    // A result exported from a word processor: no scanned image in it at all.
    let born = std::fs::read(odd.path().join("born-digital.pdf")).unwrap();
    let r = t.upload(CITIZEN, &[("ket-qua.pdf", born.clone())]).await;
    assert_eq!(r.status(), 202, "a born-digital PDF is taken");
    let job = t.wait_for_job(&job_id_of(r).await).await;
    assert_eq!(job["state"], "done", "{job}");
    let doc_id = job["document_id"].as_str().unwrap().to_owned();
    let filed = t.get(&format!("/api/v1/documents/{doc_id}/pdf")).await;
    let filed = filed.bytes().await.unwrap().to_vec();
    let truth = std::fs::read_to_string(repo_path(STRAIGHT_TRUTH)).unwrap();
    let rate = kho_workers::measure::cer_any_order(&truth, &pdftotext(&filed));
    assert!(rate <= 0.03, "CER {:.2}%", rate * 100.0);
    let original = t.get(&format!("/api/v1/documents/{doc_id}/original")).await;
    assert_eq!(
        original.bytes().await.unwrap().as_ref(),
        born.as_slice(),
        "the uploaded file is kept byte for byte as the original"
    );
    let before = t.counts().await;

    // The filed result uploaded again as if it were a scan: it carries Kho's signatures.
    let r = t.upload(CITIZEN, &[("da-ky.pdf", filed)]).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("da-ky.pdf")
            && message.contains("already signed")
            && message.contains("issuer push"),
        "{message}"
    );

    // A colour scan whose copy stopped at 40 KB.
    let jpeg = sample("samples/realistic/decision-table.jpg");
    let r = t
        .upload(CITIZEN, &[("cat.jpg", jpeg[..40_000].to_vec())])
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("cat.jpg")
            && message.contains("ends at row ")
            && message.contains("of 2,338"),
        "{message}"
    );
    assert_eq!(
        t.counts().await,
        before,
        "refused files leave nothing behind"
    );

    // A page without /Contents (a blank page a program wrote): read, and held for a
    // person as blank, never filed.
    let r = t.upload(CITIZEN, &[("trang-trang.pdf", blank_pdf())]).await;
    assert_eq!(r.status(), 202);
    let job = t.wait_for_job(&job_id_of(r).await).await;
    assert_eq!(job["state"], "review", "{job}");
    held_reason(&job, "no_text");
    t.finish().await;
}
both_backends!(a_born_digital_pdf_is_filed_and_cut_or_signed_files_are_refused);

/// One A4 page with no /Contents at all.
fn blank_pdf() -> Vec<u8> {
    use lopdf::{Document, Object, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

async fn requests_without_a_valid_token_get_401_and_only_the_owner_reads_a_repository(
    backend: Backend,
) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let r = t.upload(CITIZEN, &[("page.png", tiny_png())]).await;
    let job_id = job_id_of(r).await;
    let some_id = uuid::Uuid::new_v4();
    let protected = [
        ("POST", format!("/api/v1/subjects/{CITIZEN}/scans")),
        ("GET", format!("/api/v1/jobs/{job_id}")),
        ("GET", format!("/api/v1/subjects/{CITIZEN}/documents")),
        ("GET", format!("/api/v1/documents/{some_id}")),
        ("GET", format!("/api/v1/documents/{some_id}/pdf")),
        ("GET", format!("/api/v1/documents/{some_id}/original")),
    ];
    for (method, path) in &protected {
        for auth in [None, Some("kho_not-a-real-token"), Some("")] {
            let mut req = t.client.request(method.parse().unwrap(), t.url(path));
            if let Some(token) = auth {
                req = req.header("authorization", format!("Bearer {token}"));
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} with {auth:?}");
            assert_eq!(r.headers()["www-authenticate"], "Bearer");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthorized");
        }
    }
    // A citizen reads their own repository and job, not another's.
    let mine = t.token(Role::Citizen, Some(CITIZEN)).await;
    let theirs = t.token(Role::Citizen, Some(OTHER_CITIZEN)).await;
    let get = |token: String, path: String| {
        let c = t.client.clone();
        let url = t.url(&path);
        async move {
            c.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        get(
            mine.clone(),
            format!("/api/v1/subjects/{CITIZEN}/documents")
        )
        .await,
        200
    );
    assert_eq!(
        get(mine.clone(), format!("/api/v1/jobs/{job_id}")).await,
        200
    );
    assert_eq!(
        get(
            theirs.clone(),
            format!("/api/v1/subjects/{CITIZEN}/documents")
        )
        .await,
        404
    );
    assert_eq!(
        get(theirs.clone(), format!("/api/v1/jobs/{job_id}")).await,
        404
    );
    // Citizens do not upload for others (or at all: staff digitize).
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(tiny_png()));
    let r = t
        .client
        .post(t.url(&format!("/api/v1/subjects/{CITIZEN}/scans")))
        .bearer_auth(&mine)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    t.finish().await;
}
both_backends!(requests_without_a_valid_token_get_401_and_only_the_owner_reads_a_repository);

#[tokio::test]
async fn health_and_the_openapi_document_need_no_token_and_list_every_route() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &[]).await;
    let r = t.client.get(t.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Every answer carries a request id (a new UUID) that names its log lines.
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["database"],
        "sqlite"
    );
    // A client's own id comes back.
    let r = t
        .client
        .get(t.url("/api/v1/health"))
        .header("x-request-id", "dvc-2026-000123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "dvc-2026-000123");
    let r = t
        .client
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/health",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/subjects/{owner_id}/scans",
        "/api/v1/jobs/{job_id}",
        "/api/v1/subjects/{owner_id}/documents",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/pdf",
        "/api/v1/documents/{id}/original",
        "/api/v1/documents/{id}/revoke",
        "/api/v1/reviews/{id}/approve",
        "/api/v1/reviews",
        "/api/v1/batches",
        "/api/v1/batches/{id}",
        "/api/v1/batches/{id}/files",
        "/api/v1/batches/{id}/report",
        "/api/v1/batches/{id}/events",
        "/api/v1/reviews/{id}/pages/{n}",
        "/api/v1/reviews/{id}",
        "/api/v1/reviews/{id}/pdf",
        "/api/v1/reviews/{id}/reject",
        "/api/v1/search",
        "/api/v1/verify",
        "/api/v1/verify/qr",
        "/api/v1/trust/roots.pem",
        "/api/v1/trust/crl",
        "/api/v1/grants",
        "/api/v1/grants/{id}/revoke",
        "/api/v1/grants/current",
        "/api/v1/access-log",
        "/api/v1/requesters",
        "/oauth/authorize",
        "/oauth/token",
        "/.well-known/oauth-authorization-server",
        "/login",
        "/logout",
        "/me",
        "/me/documents/{id}",
        "/me/grants",
        "/me/grants/{id}/revoke",
        "/me/access-log",
        "/staff/batches",
        "/staff/batches/{id}",
        "/staff/reviews",
        "/staff/reviews/{id}",
        "/verify",
        "/verify/qr",
        "/v/{id}",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    // Reading and pushing documents share a path.
    let docs = &paths["/api/v1/subjects/{owner_id}/documents"];
    assert!(docs.get("get").is_some() && docs.get("post").is_some());
    let r = t.client.get(t.url("/api/v1/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    t.finish().await;
}

async fn a_worker_stopped_mid_job_hands_the_job_back_untouched(backend: Backend) {
    let mut t = TestApp::spawn(backend, 0, &[]).await;
    let r = t
        .upload(CITIZEN, &[("straight-01.png", sample(STRAIGHT_PAGE))])
        .await;
    let job_id = job_id_of(r).await;
    t.start_workers(1);
    // Wait until the worker holds the job (OCR of a full page takes a while).
    loop {
        let (_, job) = t.get_json(&format!("/api/v1/jobs/{job_id}")).await;
        if job["state"] == "running" {
            break;
        }
        assert_eq!(job["state"], "queued", "{job}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    t.stop_workers().await;
    let (_, job) = t.get_json(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(job["state"], "queued", "released at shutdown: {job}");
    assert_eq!(
        job["attempts"], 0,
        "a released attempt does not count: {job}"
    );
    // Another worker takes it at once, without waiting for a lease to expire.
    t.start_workers(1);
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    t.finish().await;
}
both_backends!(a_worker_stopped_mid_job_hands_the_job_back_untouched);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fields_of_a_filed_document_come_from_its_text() {
    let t = TestApp::spawn(Backend::Sqlite, 2, &[]).await;
    let r = t
        .upload(CITIZEN, &[("straight-01.png", sample(STRAIGHT_PAGE))])
        .await;
    let job_id = job_id_of(r).await;
    let job = t.wait_for_job(&job_id).await;
    let (_, doc) = t
        .get_json(&format!(
            "/api/v1/documents/{}",
            job["document_id"].as_str().unwrap()
        ))
        .await;
    // samples/pages/straight-01.fields.txt holds what the generator drew.
    assert_eq!(doc["number"], "3246/GCN-UBND", "{doc}");
    assert_eq!(doc["doc_type"], "Giấy chứng nhận");
    assert_eq!(doc["issued_on"], "2025-02-02");
    assert_eq!(doc["fields"]["place"]["value"], "Cần Thơ");
    assert_eq!(
        doc["fields"]["issuer"]["value"],
        "ỦY BAN NHÂN DÂN PHƯỜNG ĐỒNG XUÂN"
    );
    let ids: Vec<&str> = doc["fields"]["personal_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["027064225127"]);
    assert!(doc["fields"]["number"]["confidence"].as_f64().unwrap() > 50.0);
    t.finish().await;
}

/// `GET /metrics` in Prometheus' text format: what the deployment holds (jobs, queue,
/// documents, pages) and what this process did (stage latencies, verifications).
async fn metrics_count_jobs_documents_stages_and_verdicts(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (_, pdf) = t.digitize_sample().await;
    let mut forged = pdf.clone();
    let at = forged.len() / 3;
    forged[at] ^= 1;
    for body in [pdf, forged] {
        t.verify(body).await;
    }
    let r = t.client.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{series} missing:\n{text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("kho_jobs{state=\"done\"}"), 1.0);
    assert_eq!(value("kho_queue_depth"), 0.0);
    assert_eq!(value("kho_documents{status=\"valid\"}"), 1.0);
    assert_eq!(value("kho_pages_filed_total"), 1.0);
    assert_eq!(value("kho_verifications_total{verdict=\"VALID\"}"), 1.0);
    assert!(
        text.lines()
            .any(|l| l.starts_with("kho_verifications_total{")
                && !l.contains("\"VALID\"")
                && l.ends_with(" 1")),
        "{text}"
    );
    assert_eq!(value("kho_stage_seconds_count{stage=\"pipeline\"}"), 1.0);
    assert_eq!(value("kho_stage_seconds_count{stage=\"sign\"}"), 1.0);
    // The pipeline's own stages: the page was read, so OCR took time.
    assert_eq!(value("kho_stage_seconds_count{stage=\"ocr\"}"), 1.0);
    assert!(value("kho_stage_seconds_sum{stage=\"ocr\"}") > 0.0);
    assert!(value("kho_stage_seconds_sum{stage=\"decode\"}") > 0.0);
    assert_eq!(value("kho_stage_seconds_count{stage=\"database\"}"), 1.0);
    assert!(value("kho_stage_seconds_sum{stage=\"pipeline\"}") > 0.0);
    assert_eq!(
        value("kho_stage_seconds_bucket{stage=\"pipeline\",le=\"+Inf\"}"),
        1.0
    );
    t.finish().await;
}

both_backends!(metrics_count_jobs_documents_stages_and_verdicts);

async fn a_page_naming_another_holder_than_the_batch_owner_is_held_and_filed_to_the_right_one(
    backend: Backend,
) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    // A certificate for 001169413200, uploaded as the default owner's (CITIZEN's).
    let printed = "001169413200";
    let page = std::fs::read(repo_path("samples/realistic/certificate-skewed.jpg")).unwrap();
    let job_id = job_id_of(t.upload(CITIZEN, &[("certificate.jpg", page)]).await).await;
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "review", "never filed silently: {job}");
    let reason = held_reason(&job, "owner_mismatch");
    assert_eq!(reason["field"], "owner_id");
    assert_eq!(reason["suggestion"], printed, "{reason}");
    assert_eq!(reason["given"], CITIZEN, "{reason}");
    for owner in [CITIZEN, printed] {
        let (_, list) = t
            .get_json(&format!("/api/v1/subjects/{owner}/documents"))
            .await;
        assert_eq!(list["documents"].as_array().unwrap().len(), 0, "{list}");
    }
    // The reviewer sees both IDs, in Vietnamese, and the printed one offered as owner.
    let review = kho::db::reviews::for_job(&t.app.db, &job_id)
        .await
        .unwrap()
        .unwrap();
    account(&t, "ban-so-hoa", Role::Staff, None, None).await;
    let (cookie, _) = sign_in(&t, "ban-so-hoa").await;
    let html = t
        .page_as(&format!("/staff/reviews/{}", review.id), &cookie)
        .await;
    assert!(
        html.contains(&format!(
            "Trang ghi người được cấp là {printed}, khác chủ sở hữu đã giao ({CITIZEN})"
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"class="suggestion" data-field="owner_id" data-value="{printed}""#
        )),
        "{html}"
    );
    // Reassigned on approval: filed in the printed holder's repository only.
    let staff = t.token(Role::Staff, None).await;
    let r = t
        .client
        .post(t.url(&format!("/api/v1/reviews/{}/approve", review.id)))
        .bearer_auth(&staff)
        .json(&serde_json::json!({ "owner_id": printed }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, list) = t
        .get_json(&format!("/api/v1/subjects/{printed}/documents"))
        .await;
    assert_eq!(list["documents"].as_array().unwrap().len(), 1, "{list}");
    // The download is named for people: type, number (its `/` made `-`) and date.
    let doc_id = list["documents"][0]["id"].as_str().unwrap();
    let r = t.get(&format!("/api/v1/documents/{doc_id}/pdf")).await;
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        "inline; filename=\"Giay chung nhan 3892-GCN-UBND 2021-04-17.pdf\"; \
         filename*=UTF-8''Gi%E1%BA%A5y%20ch%E1%BB%A9ng%20nh%E1%BA%ADn%203892-GCN-UBND%202021-04-17.pdf"
    );
    let (_, list) = t
        .get_json(&format!("/api/v1/subjects/{CITIZEN}/documents"))
        .await;
    assert_eq!(list["documents"].as_array().unwrap().len(), 0, "{list}");
    t.finish().await;
}
both_backends!(
    a_page_naming_another_holder_than_the_batch_owner_is_held_and_filed_to_the_right_one
);

/// `/` is the home page; an unknown page path gets the 404 page; only `/api/` answers JSON.
async fn the_home_page_and_unknown_paths_answer_as_a_person_or_a_program_expects(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let r = t.get("/").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    for (link, text) in [
        ("/login", "Đăng nhập"),
        ("/verify", "Kiểm tra tệp PDF có ký số"),
        ("/verify/qr", "Kiểm tra mã QR trên bản in"),
    ] {
        assert!(
            html.contains(&format!(r#"<a href="{link}">{text}</a>"#)),
            "{link}: {html}"
        );
    }
    assert!(html.contains(r#"<html lang="vi">"#), "{html}");
    let en = t.get("/?lang=en").await.text().await.unwrap();
    assert!(
        en.contains(r#"<a href="/verify?lang=en">Check a signed PDF</a>"#),
        "{en}"
    );

    let r = t.get("/khong-co-trang-nay").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Không có trang này"), "{html}");
    assert!(
        !html.contains("khong-co-trang-nay"),
        "the path is not echoed: {html}"
    );

    let r = t.get("/api/v1/khong-co").await;
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    t.finish().await;
}
both_backends!(the_home_page_and_unknown_paths_answer_as_a_person_or_a_program_expects);

/// A fresh deployment: the one-time setup link creates the first admin (once, from this
/// machine), who then creates, lists and disables accounts on `/admin`, each audited
/// under the admin's account; errors come back in Vietnamese with what was typed.
async fn first_run_setup_then_the_admin_pages_manage_accounts(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--client-ip-header", "x-real-ip"]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = kho::setup::open(&t.app.db, &t.app.setup)
        .await
        .unwrap()
        .expect("no admin yet: a setup token");
    // Without the token, or with a wrong one: no form.
    for q in ["", "?token=00", "?token="] {
        let r = client
            .get(t.url(&format!("/setup{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{q}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Liên kết thiết lập này không dùng được")
        );
    }
    // From another machine (behind the proxy): refused, even with the token.
    let r = client
        .get(t.url(&format!("/setup?token={token}")))
        .header("x-real-ip", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client
        .get(t.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Tạo tài khoản quản trị"), "{html}");
    let setup = |user: &'static str, pass: &'static str, confirm: &'static str| {
        client
            .post(t.url("/setup"))
            .form(&[
                ("token", token.as_str()),
                ("username", user),
                ("name", "Nguyễn Quản Trị"),
                ("password", pass),
                ("confirm", confirm),
            ])
            .send()
    };
    let r = setup("quantri", PASSWORD, "khác-hẳn-mật-khẩu")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Hai lần nhập mật khẩu không giống nhau"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="quantri""#),
        "what was typed is kept: {html}"
    );
    assert!(html.contains(r#"value="Nguyễn Quản Trị""#), "{html}");
    let r = setup("quantri", "ngắn", "ngắn").await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Mật khẩu cần từ 10 đến 256 ký tự")
    );
    let r = setup("quantri", PASSWORD, PASSWORD).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fadmin");
    // The link is spent, and no new one is given while an admin exists.
    assert_eq!(
        setup("quantri2", PASSWORD, PASSWORD)
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(
        kho::setup::open(&t.app.db, &t.app.setup)
            .await
            .unwrap()
            .is_none()
    );

    let sign_in = |user: &'static str| {
        client
            .post(t.url("/login"))
            .form(&[("username", user), ("password", PASSWORD)])
            .send()
    };
    let r = sign_in("quantri").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin", "an admin's home");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = t.page_as("/admin", &cookie).await;
    assert!(
        html.contains("quantri") && html.contains("Quản trị viên"),
        "{html}"
    );
    let csrf = html
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let create = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ];
        form.extend(fields);
        client
            .post(t.url("/admin/accounts"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    // A citizen with a personal ID that has no province code: the reason, and the form as typed.
    let r = create(vec![
        ("username", "congdan-a"),
        ("role", "citizen"),
        ("subject", "999064225127"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Công dân cần số định danh cá nhân hợp lệ"),
        "{html}"
    );
    assert!(html.contains(r#"value="congdan-a""#) && html.contains(r#"value="999064225127""#));
    assert!(!html.contains(PASSWORD), "a password is never sent back");
    let r = create(vec![
        ("username", "congdan-a"),
        ("role", "citizen"),
        ("subject", CITIZEN),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    // Staff need an agency, and get their personal certificate.
    let r = create(vec![
        ("username", "canbo-a"),
        ("role", "staff"),
        ("name", "Trần Văn Cán"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cán bộ số hóa cần thuộc một cơ quan")
    );
    let r = create(vec![
        ("username", "canbo-a"),
        ("role", "staff"),
        ("name", "Trần Văn Cán"),
        ("agency", "KHO"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let staff = kho::db::accounts::by_username(&t.app.db, "canbo-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staff.agency.as_deref(), Some("KHO"));
    let key: Option<String> =
        sqlx::query_scalar("SELECT signing_key_id FROM users WHERE username = 'canbo-a'")
            .fetch_one(&t.app.db.pool)
            .await
            .unwrap();
    assert!(key.is_some(), "staff get a personal certificate");
    // A taken name.
    let r = create(vec![("username", "congdan-a"), ("role", "officer")])
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("đã có người dùng"));
    // Without the CSRF token: refused.
    let r = client
        .post(t.url("/admin/accounts"))
        .header("cookie", &cookie)
        .form(&[
            ("username", "x-y-z"),
            ("role", "officer"),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The citizen signs in, and cannot open the admin pages.
    let r = sign_in("congdan-a").await.unwrap();
    assert_eq!(r.headers()["location"], "/me");
    let citizen = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = client
        .get(t.url("/admin"))
        .header("cookie", &citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Disabled by the admin: the session ends and signing in fails.
    let r = client
        .post(t.url("/admin/accounts/disable"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("target", "congdan-a")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = client
        .get(t.url("/me"))
        .header("cookie", &citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the session has ended");
    assert_eq!(sign_in("congdan-a").await.unwrap().status(), 401);
    // An admin cannot lock themselves out.
    let r = client
        .post(t.url("/admin/accounts/disable"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("target", "quantri")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Each change is in the trail under the admin's account (the first under setup).
    let admin = kho::db::accounts::by_username(&t.app.db, "quantri")
        .await
        .unwrap()
        .unwrap();
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM audit_log WHERE action IN ('user_create', 'user_disable') ORDER BY seq",
    )
    .fetch_all(&t.app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            ("setup".to_owned(), "user_create".to_owned()),
            (admin.id.clone(), "user_create".to_owned()),
            (admin.id.clone(), "user_create".to_owned()),
            (admin.id.clone(), "user_disable".to_owned()),
        ]
    );

    // Requester systems: registered on the page (the secret shown once), refused with
    // the reason in Vietnamese and what was typed kept, listed, disabled.
    let register = |name: &'static str, uris: &'static str| {
        client
            .post(t.url("/admin/requesters"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", name),
                ("redirect_uris", uris),
            ])
            .send()
    };
    let r = register("Cổng thử", "http://example.vn/cb").await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("Chưa đăng ký được"), "{html}");
    assert!(html.contains("http://example.vn/cb") && html.contains(r#"value="Cổng thử""#));
    let r = register(
        "Cổng Dịch vụ công thử",
        "https://dvc.example.vn/cb\nhttp://127.0.0.1:9/cb",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let issued = html
        .split(r#"id="issued""#)
        .nth(1)
        .expect("the credentials");
    let client_id = issued
        .split("client_id: <code>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let secret = issued
        .split("client_secret: <code>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(
        client_id.starts_with("req_") && secret.starts_with("kho_cs_"),
        "{issued}"
    );
    // The secret is not shown again.
    let html = t.page_as("/admin", &cookie).await;
    assert!(html.contains(&client_id) && html.contains("Cổng Dịch vụ công thử"));
    assert!(!html.contains(&secret));
    let r = client
        .post(t.url("/admin/requesters/disable"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("target", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        kho::db::grants::requester(&t.app.db, &client_id)
            .await
            .unwrap()
            .is_none()
    );
    let r = client
        .post(t.url("/admin/requesters/disable"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("target", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, action, subject FROM audit_log WHERE action LIKE 'requester_%' ORDER BY seq",
    )
    .fetch_all(&t.app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            (
                admin.id.clone(),
                "requester_create".to_owned(),
                client_id.clone()
            ),
            (
                admin.id.clone(),
                "requester_disable".to_owned(),
                client_id.clone()
            ),
        ]
    );
    t.finish().await;
}
both_backends!(first_run_setup_then_the_admin_pages_manage_accounts);

/// Empty lists say what the person can do: an owner with no documents (and a search
/// that finds none), a staff member with no batches and nothing to review.
async fn empty_pages_say_what_to_do_next(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    account(&t, "congdan-rong", Role::Citizen, Some(CITIZEN), None).await;
    account(&t, "canbo-rong", Role::Staff, None, None).await;
    let (citizen, _) = sign_in(&t, "congdan-rong").await;
    let html = t.page_as("/me", &citizen).await;
    assert!(html.contains("Kho của bạn chưa có văn bản nào"), "{html}");
    assert!(!html.contains(r#"<table id="documents""#), "{html}");
    let html = t.page_as("/me?q=khai+sinh&lang=en", &citizen).await;
    assert!(
        html.contains("No document matches. Try fewer words"),
        "{html}"
    );
    let (staff, _) = sign_in_to(&t, "canbo-rong", "/staff/batches").await;
    let html = t.page_as("/staff/batches", &staff).await;
    assert!(html.contains("Chưa có lô nào."), "{html}");
    let html = t.page_as("/staff/reviews", &staff).await;
    assert!(html.contains("Không có văn bản nào chờ duyệt."), "{html}");
    // Help, linked from every page's header, in the page's language; the reader's own
    // role first.
    assert!(html.contains(r#"<a href="/help">Trợ giúp</a>"#), "{html}");
    let anonymous = reqwest::get(t.url("/help")).await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let html = anonymous.text().await.unwrap();
    let order = |html: &str| -> Vec<usize> {
        ["citizen", "staff", "officer", "admin"]
            .iter()
            .map(|id| html.find(&format!(r#"<section id="{id}">"#)).unwrap())
            .collect()
    };
    let at = order(&html);
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{html}");
    assert!(
        html.contains("Cán bộ số hóa") && html.contains("Hàng chờ duyệt"),
        "{html}"
    );
    let html = t.page_as("/help?lang=en", &staff).await;
    assert!(html.contains("Records staff") && html.contains(r#"<html lang="en">"#));
    let at = order(&html);
    assert!(at[1] < at[0] && at[1] < at[2], "staff first: {html}");
    let html = t.page_as("/help", &citizen).await;
    assert!(order(&html)[0] < order(&html)[1], "{html}");
    t.finish().await;
}
both_backends!(empty_pages_say_what_to_do_next);
