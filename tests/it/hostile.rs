//! Hostile input (issue 8): files, archives, manifests, JSON, IDs and PDFs built here to
//! break a parser or exhaust memory are sent to a running `kho serve`. Each gets a
//! clear 4xx, a refused batch item or a failed job with its reason; after each the
//! service still answers its health check, at the end it still files a real page, and
//! its peak resident memory stays bounded.

use std::time::{Duration, Instant};

use crate::common::*;
use kho::db::Backend;
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

/// The server under attack, and how to talk to it.
struct Target {
    base: String,
    token: String,
    client: reqwest::Client,
    pid: u32,
}

/// Its largest upload (the default is 200 MiB; smaller keeps the test light).
const MAX_UPLOAD: usize = 8_000_000;

impl Target {
    async fn healthy(&self, case: &str) {
        let r = self
            .client
            .get(format!("{}/api/v1/health", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("after {case}: the server does not answer: {e}"));
        assert_eq!(r.status(), 200, "after {case}: health check failed");
    }

    async fn upload(&self, files: Vec<(&str, &str, Vec<u8>)>) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, mime, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .unwrap();
            form = form.part("file", part);
        }
        self.client
            .post(format!("{}/api/v1/subjects/{CITIZEN}/scans", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Send `response`'s case; assert its status and error code, and return the message.
    async fn refused(&self, case: &str, r: reqwest::Response, status: u16, code: &str) -> String {
        let got = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{case}: {body}"
        );
        self.healthy(case).await;
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An upload the header checks let through must end in a failed job with a reason.
    async fn failed_job(&self, case: &str, r: reqwest::Response) -> String {
        assert_eq!(r.status(), 202, "{case}");
        let job_id = job_id_of(r).await;
        let deadline = Instant::now() + Duration::from_secs(300);
        let job = loop {
            let job: serde_json::Value = get_json_with(
                &self.client,
                format!("{}/api/v1/jobs/{job_id}", self.base),
                &self.token,
            )
            .await;
            if !matches!(job["state"].as_str(), Some("queued" | "running")) {
                break job;
            }
            assert!(Instant::now() < deadline, "{case}: job never ended: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(job["state"], "failed", "{case}: {job}");
        self.healthy(case).await;
        job["error"].as_str().unwrap_or_default().to_owned()
    }

    async fn post_json(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Peak resident memory of the server so far, in bytes.
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kb * 1024
    }
}

/// A one-page scanned PDF: the image stream `data` described by `image`, and `extra`
/// entries in the catalog.
fn scanned_pdf(mut image: Dictionary, data: Vec<u8>, extra: Dictionary) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    image.set("Type", "XObject");
    image.set("Subtype", "Image");
    let img = doc.add_object(Stream::new(image, data).with_compression(false));
    let content = doc.add_object(Stream::new(
        Dictionary::new(),
        b"q 595 0 0 842 0 0 cm /I Do Q".to_vec(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "I" => img } },
        "Contents" => content,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    for (k, v) in extra.into_iter() {
        catalog.set(k, v);
    }
    let catalog = doc.add_object(catalog);
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

/// A small grey page image as a PDF would carry it (Flate, 8 bits).
fn grey_image() -> (Dictionary, Vec<u8>) {
    let dict = dictionary! {
        "Width" => 200, "Height" => 280, "ColorSpace" => "DeviceGray",
        "BitsPerComponent" => 8, "Filter" => "FlateDecode",
    };
    (dict, zeros_deflated(200 * 280))
}

fn tiff_pages(n: usize) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut enc = tiff::encoder::TiffEncoder::new(&mut out).unwrap();
        for _ in 0..n {
            enc.write_image::<tiff::encoder::colortype::Gray8>(2, 2, &[255; 4])
                .unwrap();
        }
    }
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inputs_are_refused_with_reasons_and_the_service_stays_healthy() {
    let db = TestDb::new(Backend::Sqlite).await;
    let kho = || {
        let mut c = kho(&db);
        c.env("KHO_WORKERS", "1")
            .env("KHO_JOB_POLL_MS", "50")
            .env("KHO_JOB_RETRY_BASE_MS", "20")
            .env("KHO_MAX_UPLOAD_BYTES", MAX_UPLOAD.to_string());
        c
    };
    let out = kho()
        .args(["tokens", "create", "--role", "staff", "--agency", "KHO"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (server, base) = spawn_server(kho());
    let t = Target {
        base,
        token: String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        client: reqwest::Client::new(),
        pid: server.id(),
    };
    t.healthy("start").await;

    // Uploads: what a file's bytes are, not what it is called or declared as.
    let r = t.upload(vec![("page.png", "image/png", Vec::new())]).await;
    t.refused("zero bytes", r, 400, "empty_upload").await;
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let r = t.upload(vec![("page.png", "image/png", html)]).await;
    let m = t
        .refused("HTML named page.png", r, 415, "unsupported_media_type")
        .await;
    assert!(m.contains("not a PNG, JPEG or TIFF"), "{m}");
    let r = t
        .upload(vec![("page.tif", "image/tiff", b"MZ\x90\0".to_vec())])
        .await;
    t.refused(
        "an executable named page.tif",
        r,
        415,
        "unsupported_media_type",
    )
    .await;
    let mut cut = tiny_png();
    cut.truncate(30);
    let r = t.upload(vec![("cut.png", "image/png", cut)]).await;
    t.refused("a truncated PNG", r, 422, "unprocessable").await;
    let mut cut = tiff_pages(3);
    cut.truncate(cut.len() / 2);
    let r = t.upload(vec![("cut.tif", "image/tiff", cut)]).await;
    t.refused("a truncated TIFF", r, 422, "unprocessable").await;
    let r = t
        .upload(vec![("big.png", "image/png", vec![0x89; MAX_UPLOAD + 1])])
        .await;
    t.refused("an upload over the size limit", r, 413, "payload_too_large")
        .await;
    let r = t
        .client
        .post(format!("{}/api/v1/subjects/{CITIZEN}/scans", t.base))
        .bearer_auth(&t.token)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end")
        .send()
        .await
        .unwrap();
    t.refused("a multipart body cut short", r, 400, "bad_request")
        .await;

    // Decompression bombs and dimension limits: refused from the header, never decoded.
    let bomb = png_bomb(20_000, 20_000); // 400 million pixels in a few hundred KB
    assert!(bomb.len() < MAX_UPLOAD, "{}", bomb.len());
    let r = t.upload(vec![("bomb.png", "image/png", bomb)]).await;
    let m = t
        .refused("a PNG decompression bomb", r, 413, "payload_too_large")
        .await;
    assert!(m.contains("pixels"), "{m}");
    let r = t
        .upload(vec![("wide.png", "image/png", png_bomb(40_000, 2))])
        .await;
    t.refused("a PNG 40000 pixels wide", r, 413, "payload_too_large")
        .await;
    let r = t
        .upload(vec![("many.tif", "image/tiff", tiff_pages(2_001))])
        .await;
    let m = t
        .refused("a TIFF of 2001 pages", r, 413, "payload_too_large")
        .await;
    assert!(m.contains("pages"), "{m}");

    // PDFs: encrypted, scripted, nested to break a parser, and a Flate bomb.
    let (img, data) = grey_image();
    let encrypted = {
        let pdf = scanned_pdf(img.clone(), data.clone(), Dictionary::new());
        let mut doc = Document::load_mem(&pdf).unwrap();
        let encrypt = dictionary! {
            "Filter" => "Standard", "V" => 1, "R" => 2, "P" => -4,
            "O" => Object::string_literal(vec![0u8; 32]), "U" => Object::string_literal(vec![0u8; 32]),
        };
        doc.trailer.set("Encrypt", encrypt);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    };
    let r = t
        .upload(vec![("locked.pdf", "application/pdf", encrypted)])
        .await;
    let m = t
        .refused("an encrypted PDF", r, 415, "unsupported_media_type")
        .await;
    assert!(m.contains("encrypted"), "{m}");
    let script = dictionary! {
        "OpenAction" => dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") },
    };
    let r = t
        .upload(vec![(
            "script.pdf",
            "application/pdf",
            scanned_pdf(img.clone(), data.clone(), script),
        )])
        .await;
    let m = t
        .refused("a PDF with JavaScript", r, 415, "unsupported_media_type")
        .await;
    assert!(m.contains("JavaScript"), "{m}");
    let launch = dictionary! {
        "OpenAction" => dictionary! { "S" => "Launch", "F" => Object::string_literal("cmd.exe") },
    };
    let r = t
        .upload(vec![(
            "launch.pdf",
            "application/pdf",
            scanned_pdf(img.clone(), data.clone(), launch),
        )])
        .await;
    let m = t
        .refused(
            "a PDF with a launch action",
            r,
            415,
            "unsupported_media_type",
        )
        .await;
    assert!(m.contains("launch"), "{m}");
    let nested = format!(
        "%PDF-1.7\n1 0 obj\n<</Type/Catalog/Pages {}{}>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let r = t
        .upload(vec![(
            "nested.pdf",
            "application/pdf",
            nested.clone().into_bytes(),
        )])
        .await;
    t.refused("a PDF nested 200000 deep", r, 422, "unprocessable")
        .await;
    let flate_bomb = {
        let dict = dictionary! {
            "Width" => 2000, "Height" => 2000, "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        };
        scanned_pdf(dict, zeros_deflated(1 << 30), Dictionary::new()) // 1 GiB inflated
    };
    assert!(flate_bomb.len() < MAX_UPLOAD, "{}", flate_bomb.len());
    let r = t
        .upload(vec![("bomb.pdf", "application/pdf", flate_bomb)])
        .await;
    let why = t.failed_job("a PDF whose image inflates to 1 GiB", r).await;
    assert!(
        why.contains("input too large") || why.contains("corrupt"),
        "{why}"
    );
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(std::iter::repeat_n(0x55, 5000));
    let r = t.upload(vec![("noise.jpg", "image/jpeg", jpeg)]).await;
    t.refused("a JPEG of noise", r, 422, "unprocessable").await;

    // Verification takes any bytes and answers with a verdict or a clear refusal.
    let verify = |body: Vec<u8>| {
        t.client
            .post(format!("{}/api/v1/verify", t.base))
            .body(body)
            .send()
    };
    let r = verify(Vec::new()).await.unwrap();
    t.refused("verifying nothing", r, 400, "empty_upload").await;
    let r = verify(b"GIF89a".to_vec()).await.unwrap();
    t.refused("verifying a GIF", r, 415, "unsupported_media_type")
        .await;
    for (case, pdf) in [
        ("verifying a nested PDF", nested.into_bytes()),
        (
            "verifying a truncated PDF",
            b"%PDF-1.7\n1 0 obj\n<</Type".to_vec(),
        ),
    ] {
        let r = verify(pdf).await.unwrap();
        assert_eq!(r.status(), 200, "{case}");
        let report: serde_json::Value = r.json().await.unwrap();
        assert_eq!(report["verdict"], "INVALID", "{case}: {report}");
        t.healthy(case).await;
    }

    // JSON bodies: nesting, size, shape.
    let deep = format!(
        "{{\"name\":{}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let r = t.post_json("/api/v1/batches", deep).await;
    let m = t
        .refused("JSON nested 100000 deep", r, 400, "bad_request")
        .await;
    // Typed bodies stop at the first wrong token: nesting is never walked.
    assert!(m.contains("expected a string"), "{m}");
    // The server stops reading at the limit (32 MiB) and answers 413; the client may
    // still be writing the rest, and on a busy machine the answer can then be lost to
    // the broken connection. Either way the body was refused and the service is well.
    let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(40 << 20));
    let sent = t
        .client
        .post(format!("{}/api/v1/batches", t.base))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    match sent {
        Ok(r) => {
            t.refused("a 40 MiB JSON body", r, 413, "payload_too_large")
                .await;
        }
        Err(e) => {
            assert!(e.is_request() || e.is_body(), "a 40 MiB JSON body: {e:?}");
            t.healthy("a 40 MiB JSON body").await;
        }
    }
    let r = t
        .post_json("/api/v1/batches", r#"{"name": 17, "split": "yes"}"#)
        .await;
    t.refused("JSON of the wrong shape", r, 400, "bad_request")
        .await;
    let r = t
        .post_json("/api/v1/batches", r#"{"name": "x", "drop": "table"}"#)
        .await;
    t.refused("JSON with an unknown field", r, 400, "bad_request")
        .await;

    // CSV manifests.
    for (case, manifest, named) in [
        (
            "a manifest with an open quote",
            "file,owner\n\"a.png,001203004567\n",
            "row",
        ),
        (
            "a manifest with a bad owner",
            "file,owner\na.png,12345\n",
            "row 2",
        ),
        (
            "a manifest without a file column",
            "owner,type\n001203004567,x\n",
            "file",
        ),
    ] {
        let body = serde_json::json!({ "name": "hộp", "manifest": manifest });
        let r = t.post_json("/api/v1/batches", body.to_string()).await;
        let m = t.refused(case, r, 400, "bad_request").await;
        assert!(m.contains(named), "{case}: {m}");
    }
    let body = serde_json::json!({ "name": "x", "manifest": "a".repeat((16 << 20) + 1) });
    let r = t.post_json("/api/v1/batches", body.to_string()).await;
    t.refused("a manifest over 16 MiB", r, 413, "payload_too_large")
        .await;

    // ZIPs sent to a batch: traversal, bombs, corruption are refused with the reason.
    let r = t
        .post_json(
            "/api/v1/batches",
            r#"{"name": "hộp 9", "owner": "001203004567"}"#,
        )
        .await;
    assert_eq!(r.status(), 201);
    let batch = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (case, zip, reason) in [
        (
            "a ZIP escaping its folder",
            zip_of(&[
                ("ok.png", tiny_png()),
                ("../../etc/cron.d/evil.png", tiny_png()),
            ]),
            "outside the batch",
        ),
        (
            "a ZIP bomb",
            zip_of(&[("bomb.png", vec![0; MAX_UPLOAD + 1])]),
            "unpacks to more than",
        ),
        (
            "a corrupt ZIP",
            b"PK\x03\x04 this is not really a zip archive".to_vec(),
            "not a readable ZIP",
        ),
    ] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(zip).file_name("box.zip"),
        );
        let r = t
            .client
            .post(format!("{}/api/v1/batches/{batch}/files", t.base))
            .bearer_auth(&t.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{case}");
        let added: serde_json::Value = r.json().await.unwrap();
        let docs = added["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 1, "{case}: refused as a whole: {added}");
        assert!(docs[0]["job_id"].is_null(), "{case}: {added}");
        let why = docs[0]["reason"].as_str().unwrap();
        assert!(why.contains(reason), "{case}: {why}");
        t.healthy(case).await;
    }

    // IDs in paths.
    for (case, path, status) in [
        (
            "a long document id",
            format!("/api/v1/documents/{}", "9".repeat(10_000)),
            404,
        ),
        (
            "a document id with a NUL",
            "/api/v1/documents/%00".to_owned(),
            404,
        ),
        (
            "a traversal as a job id",
            "/api/v1/jobs/..%2F..%2Fetc%2Fpasswd".to_owned(),
            404,
        ),
        (
            "an owner that is no ID",
            "/api/v1/subjects/%27%20OR%201=1--/documents".to_owned(),
            422,
        ),
    ] {
        let r = get_with(&t.client, format!("{}{path}", t.base), &t.token).await;
        assert_eq!(r.status().as_u16(), status, "{case}");
        t.healthy(case).await;
    }

    // Nothing of the above was kept, and the service still does its work.
    let page = std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap();
    let r = t.upload(vec![("page.png", "image/png", page)]).await;
    assert_eq!(r.status(), 202);
    let job_id = job_id_of(r).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let job = get_json_with(
            &t.client,
            format!("{}/api/v1/jobs/{job_id}", t.base),
            &t.token,
        )
        .await;
        match job["state"].as_str() {
            Some("done") => break,
            Some("queued" | "running") => {}
            _ => panic!("the real page did not file: {job}"),
        }
        assert!(Instant::now() < deadline, "the real page never filed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let peak = t.peak_rss();
    println!("peak resident memory of kho serve: {} MiB", peak >> 20);
    assert!(peak < 1 << 30, "peak resident memory {} MiB", peak >> 20);
    terminate(server);
}

/// No page holds a worker for ever: past its OCR time limit the job fails, with the
/// reason, and is not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_reads_past_its_time_limit_fails_its_job() {
    let t = TestApp::spawn(Backend::Sqlite, 1, &["--ocr-page-timeout-ms", "1"]).await;
    let page = std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap();
    let r = t.upload(CITIZEN, &[("page.png", page)]).await;
    let job = t.wait_for_job(&job_id_of(r).await).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempts"], 1, "a time-out is not retried: {job}");
    let why = job["error"].as_str().unwrap();
    assert!(why.contains("time limit") && why.contains("1 ms"), "{why}");
    t.finish().await;
}
