//! Batches over the API: records staff create a batch with a manifest, add a scanned
//! stack, poll its progress to the end and fetch its report; the same file added again
//! files nothing twice; other agencies and other roles see nothing.

use crate::common::*;
use kho::auth::Role;
use kho::db::Backend;

/// Create a batch as `staff`; its id.
async fn new_batch(t: &TestApp, staff: &str, body: serde_json::Value) -> String {
    let r = t
        .client
        .post(t.url("/api/v1/batches"))
        .bearer_auth(staff)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A stack: CITIZEN's separator sheet, two pages, OTHER_CITIZEN's sheet, a blank, a page.
fn stack(key: &kho::separator::SheetKey) -> Vec<u8> {
    let page = image::open(repo_path(STRAIGHT_PAGE)).unwrap().to_luma8();
    let sheet = |owner: &str| {
        kho::separator::sheet(
            &kho::separator::Separator {
                owner: kho::domain::SubjectId::parse(owner).unwrap(),
                doc_type: None,
            },
            key,
        )
        .unwrap()
    };
    let blank = image::GrayImage::from_pixel(1240, 1754, image::Luma([246]));
    let pages: Vec<kho_workers::pdf::PdfPage> = [
        (sheet(CITIZEN), 150.0),
        (page.clone(), 200.0),
        (page.clone(), 200.0),
        (sheet(OTHER_CITIZEN), 150.0),
        (blank, 150.0),
        (page, 200.0),
    ]
    .into_iter()
    .map(|(g, dpi)| kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&image::DynamicImage::ImageLuma8(g), None)
            .unwrap(),
        dpi,
        text: Default::default(),
    })
    .collect();
    kho_workers::pdf::build(&pages, &Default::default()).unwrap()
}

async fn a_batch_is_uploaded_followed_and_reported(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let staff = t.staff_token.clone();
    let manifest = "file,pages,number,issued_on\nbox.pdf,5-6,77/GCN-LOT,2022-02-22\n";
    let id = new_batch(
        &t,
        &staff,
        serde_json::json!({"name": "Hộp 17", "split": true, "manifest": manifest}),
    )
    .await;
    let add = || async {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(stack(&t.app.keys.sheet_key())).file_name("box.pdf"),
        );
        t.client
            .post(t.url(&format!("/api/v1/batches/{id}/files")))
            .bearer_auth(&staff)
            .multipart(form)
            .send()
            .await
            .unwrap()
    };
    let r = add().await;
    assert_eq!(r.status(), 202);
    let added: serde_json::Value = r.json().await.unwrap();
    assert_eq!(added["documents"].as_array().unwrap().len(), 2, "{added}");
    // Follow the server-sent events: a `progress` event each time a document moves
    // on; the stream ends after the one that says `finished`.
    let body = t
        .client
        .get(t.url(&format!("/api/v1/batches/{id}/events")))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(
        body.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let text = body.text().await.unwrap();
    let events: Vec<serde_json::Value> = text
        .split("\n\n")
        .filter(|e| e.lines().any(|l| l == "event: progress"))
        .map(|e| {
            let data = e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            serde_json::from_str(data).unwrap()
        })
        .collect();
    assert!(!events.is_empty(), "{text}");
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| e["finished"] == false),
        "{text}"
    );
    let progress = events.last().unwrap().clone();
    assert_eq!(progress["finished"], true, "{text}");
    // Polling says the same.
    let polled = get_json_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &staff).await;
    assert_eq!(polled["report"]["totals"], progress["report"]["totals"]);
    // Once nothing waits, the run's time and rate stay what they were, however long
    // after one looks.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let later = get_json_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &staff).await;
    assert_eq!(later["report"]["seconds"], polled["report"]["seconds"]);
    assert_eq!(
        later["report"]["pages_per_second"],
        polled["report"]["pages_per_second"]
    );
    assert!(polled["report"]["pages_per_second"].as_f64().unwrap() > 0.0);
    let totals = &progress["report"]["totals"];
    assert_eq!(totals["documents"], 2, "{progress}");
    // The page names CITIZEN as its holder: filed for CITIZEN, held when the manifest
    // gives it to OTHER_CITIZEN.
    assert_eq!(totals["filed"], 1, "{progress}");
    assert_eq!(totals["review"], 1, "{progress}");
    assert_eq!(totals["pages"], 3, "{progress}");
    let docs = progress["report"]["documents"].as_array().unwrap();
    assert_eq!(docs[0]["owner"], CITIZEN);
    assert_eq!(docs[0]["pages"], 2);
    assert_eq!(docs[0]["state"], "filed");
    assert_eq!(docs[1]["owner"], OTHER_CITIZEN);
    assert_eq!(docs[1]["state"], "review", "{progress}");
    assert!(
        docs[1]["reasons"][0]
            .as_str()
            .unwrap()
            .contains(&format!("names {CITIZEN} as its holder")),
        "{progress}"
    );
    assert_eq!(
        docs[1]["number"], "77/GCN-LOT",
        "the manifest's page range: {progress}"
    );
    // Where the page names its holder is marked for the reviewer: a box on a page of
    // the document, inside the page, about the size of a line of text.
    let review_id = docs[1]["review_id"].as_str().unwrap();
    let review = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/reviews/{review_id}")),
        &staff,
    )
    .await;
    let regions = review["fields"]["regions"].as_array().unwrap();
    let holder = regions
        .iter()
        .find(|r| r["field"] == "owner_id")
        .unwrap_or_else(|| panic!("the holder's ID is marked: {review}"));
    let v = |k: &str| holder[k].as_f64().unwrap();
    assert!(
        (1..=2).contains(&holder["page"].as_u64().unwrap()),
        "{holder}"
    );
    assert!(v("x") >= 0.0 && v("y") >= 0.0, "{holder}");
    assert!(v("x") + v("w") <= 1.0 && v("y") + v("h") <= 1.0, "{holder}");
    assert!((0.05..0.9).contains(&v("w")), "an ID's width: {holder}");
    assert!((0.005..0.1).contains(&v("h")), "a line's height: {holder}");
    // And it is where the ID is: plain tesseract reads the ID in that box of the page
    // image the reviewer sees.
    let image = get_with(
        &t.client,
        t.url(&format!(
            "/api/v1/reviews/{review_id}/pages/{}",
            holder["page"]
        )),
        &staff,
    )
    .await
    .bytes()
    .await
    .unwrap();
    let page = image::load_from_memory(&image).unwrap();
    let (pw, ph) = (page.width() as f64, page.height() as f64);
    let margin = 0.01;
    let (x, y) = ((v("x") - margin).max(0.0), (v("y") - margin).max(0.0));
    let crop = page.crop_imm(
        (x * pw) as u32,
        (y * ph) as u32,
        ((v("w") + 2.0 * margin) * pw) as u32,
        ((v("h") + 2.0 * margin) * ph) as u32,
    );
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("holder.png");
    crop.resize(
        crop.width() * 3,
        crop.height() * 3,
        image::imageops::FilterType::CatmullRom,
    )
    .save(&cut)
    .unwrap();
    let read = std::process::Command::new("tesseract")
        .arg(&cut)
        .args(["-", "--psm", "7"])
        .env("OMP_THREAD_LIMIT", "1")
        .output()
        .unwrap();
    let digits: String = String::from_utf8_lossy(&read.stdout)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert!(
        digits.contains(CITIZEN),
        "tesseract read {digits:?} in {holder}"
    );
    // The same stack again: nothing filed twice, nothing listed twice.
    assert_eq!(add().await.status(), 202);
    let p = get_json_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &staff).await;
    assert_eq!(p["report"]["totals"]["documents"], 2, "{p}");
    let (_, scans, _, _, _) = t.counts().await;
    assert_eq!(scans, 2, "one scan per document");
    // The CSV report.
    let csv = get_with(
        &t.client,
        t.url(&format!("/api/v1/batches/{id}/report?format=csv")),
        &staff,
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.starts_with("\u{feff}label,state,owner"),
        "a BOM, then the names programs read: {csv}"
    );
    // For people (the staff page's link): headers and states in Vietnamese.
    let vi = get_with(
        &t.client,
        t.url(&format!("/api/v1/batches/{id}/report?format=csv&lang=vi")),
        &staff,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        vi.starts_with("\u{feff}\"Tệp, trang\",Trạng thái,Chủ sở hữu"),
        "{vi}"
    );
    assert!(
        vi.contains(",Đã lưu,") && vi.contains(",Chờ duyệt,"),
        "{vi}"
    );
    assert!(csv.lines().nth(2).unwrap().contains("77/GCN-LOT"), "{csv}");
    // Rights: another agency's staff 404, a citizen 403; bad requests 400.
    let hn = kho::db::tokens::create(&t.app.db, Role::Staff, None, Some("HN"))
        .await
        .unwrap();
    let r = get_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &hn).await;
    assert_eq!(r.status(), 404);
    let citizen = t.token(Role::Citizen, Some(CITIZEN)).await;
    let r = get_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &citizen).await;
    assert_eq!(r.status(), 403);
    let r = t
        .client
        .post(t.url("/api/v1/batches"))
        .bearer_auth(&staff)
        .json(&serde_json::json!({"name": "x", "manifest": "file,owner\na.png,123\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    t.finish().await;
}

both_backends!(a_batch_is_uploaded_followed_and_reported);

/// A client that retries after a lost answer sends the same `Idempotency-Key`: the
/// batch creation and the upload are recorded once and the first answer comes back
/// (`Idempotent-Replayed: true`), through any server process; the key sent with a
/// different request is refused (422), a malformed key is 400.
async fn retried_creations_and_uploads_are_recorded_once(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let staff = t.staff_token.clone();
    let create = |key: &'static str, name: &'static str| {
        t.client
            .post(t.url("/api/v1/batches"))
            .bearer_auth(&staff)
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({"name": name}))
            .send()
    };
    let first = create("lo-17-tao", "Hộp 17").await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["idempotent-replayed"], "false");
    let first: serde_json::Value = first.json().await.unwrap();
    let again = create("lo-17-tao", "Hộp 17").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["id"],
        first["id"]
    );
    assert_eq!(create("lo-17-tao", "Hộp 18").await.unwrap().status(), 422);
    let list = get_json_with(&t.client, t.url("/api/v1/batches"), &staff).await;
    assert_eq!(list["batches"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(create("two words", "Hộp 19").await.unwrap().status(), 400);

    let page = std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap();
    let upload = |key: &'static str, files: Vec<Vec<u8>>| {
        let mut form = reqwest::multipart::Form::new();
        for (i, f) in files.into_iter().enumerate() {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(f).file_name(format!("p{i}.png")),
            );
        }
        t.client
            .post(t.url(&format!("/api/v1/subjects/{CITIZEN}/scans")))
            .bearer_auth(&staff)
            .header("Idempotency-Key", key)
            .multipart(form)
            .send()
    };
    let first = upload("scan-0001", vec![page.clone()]).await.unwrap();
    assert_eq!(first.status(), 202);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = upload("scan-0001", vec![page.clone()]).await.unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["job_id"],
        first["job_id"]
    );
    let (_, scans, files, jobs, _) = t.counts().await;
    assert_eq!((scans, files, jobs), (1, 1, 1));
    // The same key with other files: refused, nothing recorded.
    let other = upload("scan-0001", vec![page.clone(), page.clone()])
        .await
        .unwrap();
    assert_eq!(other.status(), 422);
    // Without a key, or with another, the same page is a new scan.
    assert_eq!(
        upload("scan-0002", vec![page.clone()])
            .await
            .unwrap()
            .status(),
        202
    );
    let (_, scans, _, _, _) = t.counts().await;
    assert_eq!(scans, 2);
    t.finish().await;
}

both_backends!(retried_creations_and_uploads_are_recorded_once);

/// A file refused for want of an owner is kept: staff give the owner on the batch and
/// retry it, and it is filed; a bad ID is refused and changes nothing, a document that
/// was not refused cannot be retried, and another agency's staff cannot see the batch.
async fn a_refused_file_is_kept_and_retried_with_its_owner(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let staff = t.staff_token.clone();
    let id = new_batch(
        &t,
        &staff,
        serde_json::json!({"name": "Hộp 18 — chưa rõ chủ"}),
    )
    .await;
    let page = std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap();
    let holder = CITIZEN; // whom the page names (straight-01.fields.txt)
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(page).file_name("giay-chung-nhan.png"),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/batches/{id}/files")))
        .bearer_auth(&staff)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let progress = get_json_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &staff).await;
    let doc = &progress["report"]["documents"][0];
    assert_eq!(doc["state"], "refused", "{progress}");
    assert_eq!(
        doc["reason_codes"],
        serde_json::json!(["no_owner"]),
        "{progress}"
    );
    assert_eq!(doc["retryable"], true, "{progress}");
    assert_eq!(doc["position"], 1, "{progress}");
    let retry = |body: serde_json::Value, token: String| {
        let t = &t;
        let url = t.url(&format!("/api/v1/batches/{id}/items/1/retry"));
        async move {
            let r = t
                .client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    // A wrong ID: 422, the document stays refused and retryable.
    let (status, body) = retry(serde_json::json!({"owner_id": "12"}), staff.clone()).await;
    assert_eq!(status, 422, "{body}");
    // Another agency's staff: no such batch.
    let other = kho::db::tokens::create(&t.app.db, kho::auth::Role::Staff, None, Some("HN"))
        .await
        .unwrap();
    let (status, _) = retry(serde_json::json!({"owner_id": holder}), other).await;
    assert_eq!(status, 404);
    let (status, after) = retry(serde_json::json!({"owner_id": holder}), staff.clone()).await;
    assert_eq!(status, 200, "{after}");
    let doc = &after["report"]["documents"][0];
    assert_eq!(
        after["report"]["totals"]["documents"], 1,
        "one document, not two: {after}"
    );
    assert_eq!(doc["retryable"], false, "{after}");
    let job_id = doc["job_id"].as_str().expect("a job now").to_owned();
    let job = t.wait_for_job(&job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    let filed = kho::db::documents::get(&t.app.db, job["document_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filed.owner_id, holder);
    let progress = get_json_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &staff).await;
    assert_eq!(
        progress["report"]["documents"][0]["state"], "filed",
        "{progress}"
    );
    // Filed now: nothing to retry.
    let (status, _) = retry(serde_json::json!({"owner_id": holder}), staff.clone()).await;
    assert_eq!(status, 409);
    t.finish().await;
}

both_backends!(a_refused_file_is_kept_and_retried_with_its_owner);

/// A database failure while a batch's document is submitted is logged, never stored or
/// sent: the item says an internal error stopped it and where the cause is, and holds
/// no word of the database's own message.
async fn a_database_failure_in_a_batch_reaches_neither_the_item_nor_the_answer(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let staff = t.staff_token.clone();
    let id = new_batch(
        &t,
        &staff,
        serde_json::json!({"name": "Hộp 19", "owner": CITIZEN}),
    )
    .await;
    // The job table is away while the document is submitted: its insert fails.
    sqlx::query("ALTER TABLE jobs RENAME TO jobs_away")
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap())
            .file_name("trang-1.png"),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/batches/{id}/files")))
        .bearer_auth(&staff)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let answer = r.text().await.unwrap();
    sqlx::query("ALTER TABLE jobs_away RENAME TO jobs")
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, 202, "{answer}");
    let progress = get_json_with(&t.client, t.url(&format!("/api/v1/batches/{id}")), &staff).await;
    let doc = &progress["report"]["documents"][0];
    assert_eq!(doc["state"], "refused", "{progress}");
    let reason = doc["reasons"].to_string();
    assert!(reason.contains("server's log"), "{progress}");
    for said in [answer.as_str(), reason.as_str(), &progress.to_string()] {
        let lower = said.to_lowercase();
        for leak in [
            "jobs", "table", "relation", "sqlite", "postgres", "database", "sqlx",
        ] {
            assert!(!lower.contains(leak), "{leak:?} in {said}");
        }
    }
    t.finish().await;
}

both_backends!(a_database_failure_in_a_batch_reaches_neither_the_item_nor_the_answer);
