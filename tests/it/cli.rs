//! The `kho` binary as a user runs it: ingest a page with `--wait`, then serve and read
//! the filed document back over the API; `--help` documents every option.

use std::process::{Command, Stdio};

use crate::common::*;
use kho::db::Backend;

async fn ingest_wait_then_the_api_lists_the_document_and_serves_its_text(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = kho(&db)
        .args([
            "ingest",
            repo_path(STRAIGHT_PAGE).to_str().unwrap(),
            "--owner",
            CITIZEN,
            "--wait",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ingest failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("filed"), "{stdout}");
    // The long-term proof: nothing is due while the TSA's certificate has years left;
    // asked to renew what ends within 20 years, the one document is renewed.
    for (days, expected) in [
        ("0", "1 documents checked, 0 renewed, 0 failed"),
        ("7300", "1 documents checked, 1 renewed, 0 failed"),
    ] {
        let out = kho(&db)
            .args(["archive", "refresh", "--within-days", days])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(expected), "{stdout}");
    }

    let out = kho(&db)
        .args([
            "tokens",
            "create",
            "--role",
            "citizen",
            "--subject",
            CITIZEN,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("kho_"));

    let (server, base) = spawn_server(kho(&db));

    let client = reqwest::Client::new();
    let list: serde_json::Value = get_json_with(
        &client,
        format!("{base}/api/v1/subjects/{CITIZEN}/documents"),
        &token,
    )
    .await;
    let docs = list["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1, "{list}");
    let id = docs[0]["id"].as_str().unwrap();
    let pdf = get_with(&client, format!("{base}/api/v1/documents/{id}/pdf"), &token).await;
    assert_eq!(pdf.status(), 200);
    let text = pdftotext(&pdf.bytes().await.unwrap());
    let truth = std::fs::read_to_string(repo_path(STRAIGHT_TRUTH)).unwrap();
    let rate = cer(&truth, &text);
    assert!(rate <= 0.01, "CER {rate:.4}:\n{text}");

    // SIGTERM: the server stops gracefully and exits cleanly.
    terminate(server);
    db.drop_database().await;
}
both_backends!(ingest_wait_then_the_api_lists_the_document_and_serves_its_text);

/// A fresh deployment's `kho serve` prints a one-time link that opens the first-run
/// setup page; once an admin exists (made on the command line) it prints none.
async fn serve_prints_a_setup_link_while_no_admin_exists(backend: Backend) {
    use std::io::{BufRead, BufReader};
    let db = TestDb::new(backend).await;
    let serve = || {
        kho(&db)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut server = serve();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("Kho is serving on http://"), "{first}");
    let second = lines.next().unwrap().unwrap();
    let link = second
        .split_whitespace()
        .find(|w| w.contains("/setup?token="))
        .unwrap_or_else(|| panic!("no setup link: {second}"))
        .to_owned();
    // The link opens as printed: the address actually bound (the page answers only on
    // this machine), not the public URL's default port.
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    assert!(
        link.starts_with(&format!("{base}/setup?token=")),
        "{link} vs {first}"
    );
    let r = reqwest::get(&link).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Tạo tài khoản quản trị"));
    drop(lines);
    terminate(server);

    let out = kho(&db)
        .args(["users", "create", "--role", "admin", "--username", "admin"])
        .env("KHO_PASSWORD", "mật-khẩu-quản-trị-2026")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut server = serve();
    let mut out = String::new();
    let mut reader = BufReader::new(server.stdout.take().unwrap());
    reader.read_line(&mut out).unwrap();
    assert!(out.contains("Kho is serving on"), "{out}");
    // Nothing more is printed: the next read would block, so stop the server first.
    terminate(server);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert!(!rest.contains("setup"), "{rest}");
    db.drop_database().await;
}
both_backends!(serve_prints_a_setup_link_while_no_admin_exists);

#[test]
fn help_documents_every_option_with_its_environment_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_kho"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "KHO_DATA_DIR",
        "KHO_DATABASE_URL",
        "KHO_OBJECT_STORE_URL",
        "KHO_S3_ENDPOINT",
        "KHO_WORKERS",
        "KHO_TESSDATA",
        "KHO_OCR_LANGUAGES",
        "KHO_MAX_UPLOAD_BYTES",
        "KHO_JOB_MAX_ATTEMPTS",
        "KHO_JOB_LEASE_SECS",
        "KHO_JOB_RETRY_BASE_MS",
        "KHO_JOB_POLL_MS",
        "KHO_LOG_FORMAT",
        "KHO_ISSUER_ROOTS",
        "KHO_AGENCIES",
        "KHO_PUBLIC_URL",
    ] {
        assert!(help.contains(var), "{var} missing from kho --help");
    }
    for cmd in [
        "serve",
        "worker",
        "migrate",
        "tokens",
        "ingest",
        "users",
        "requesters",
        "keys",
        "verify",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from kho --help");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kho"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("KHO_ADDR"));
}

#[test]
fn ingest_refuses_an_invalid_owner_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kho"))
        .env("KHO_DATA_DIR", dir.path())
        .args([
            "ingest",
            repo_path(STRAIGHT_PAGE).to_str().unwrap(),
            "--owner",
            "12345",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--owner") && err.contains("12 digits"),
        "{err}"
    );
}

async fn a_separate_worker_process_digitizes_what_ingest_queued(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = kho(&db)
        .args([
            "ingest",
            repo_path(STRAIGHT_PAGE).to_str().unwrap(),
            "--owner",
            CITIZEN,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let job_id = stdout
        .split_whitespace()
        .skip_while(|w| *w != "job")
        .nth(1)
        .expect("job id printed")
        .to_owned();

    let worker = kho(&db)
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let conn = kho::db::Db::connect(&db.url).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let job = loop {
        let (job, owner) = kho::db::jobs::get(&conn, &job_id).await.unwrap().unwrap();
        assert_eq!(owner, CITIZEN);
        if job.state != "queued" && job.state != "running" {
            break job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "worker never finished the job"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(job.state, "done", "{:?}", job.error);
    let docs = kho::db::documents::list_by_owner(&conn, CITIZEN, None)
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    terminate(worker);
    conn.pool.close().await;
    db.drop_database().await;
}
both_backends!(a_separate_worker_process_digitizes_what_ingest_queued);

async fn keys_are_created_listed_issued_and_rotated_from_the_command_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let run = |args: &[&str]| {
        let out = kho(&db)
            .env("KHO_AGENCIES", "STP-BN=Sở Tư pháp tỉnh Bắc Ninh")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        (stdout, stderr)
    };
    let (out, log) = run(&["keys", "init"]);
    assert!(out.contains("key-encryption key:"), "{out}");
    assert!(
        log.contains("created a new key-encryption key"),
        "the first start warns: {log}"
    );
    let (list, _) = run(&["keys", "list"]);
    let active = |list: &str, kind: &str| {
        list.lines()
            .filter(|l| l.starts_with(kind) && l.contains(" active "))
            .count()
    };
    assert_eq!(
        (
            active(&list, "root"),
            active(&list, "agency"),
            active(&list, "office"),
            active(&list, "staff")
        ),
        (1, 1, 1, 0),
        "{list}"
    );
    assert!(list.contains("Sở Tư pháp tỉnh Bắc Ninh"), "{list}");
    run(&[
        "keys",
        "issue-staff",
        "--name",
        "Nguyễn Văn An",
        "--agency",
        "STP-BN",
    ]);
    run(&["keys", "rotate", "--agency", "STP-BN"]);
    let (list, _) = run(&["keys", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("agency") && l.contains(" retired ")),
        "the old seal is kept, retired: {list}"
    );
    assert_eq!(
        list.lines()
            .filter(|l| l.starts_with("agency") && l.contains(" active "))
            .count(),
        1
    );
    assert!(list.contains("Nguyễn Văn An"), "{list}");
    assert_eq!(
        (active(&list, "office"), active(&list, "staff")),
        (1, 1),
        "a personal certificate is not the office's: {list}"
    );
    // An agency that is not configured is refused with the reason.
    let out = kho(&db)
        .args(["keys", "rotate", "--agency", "NOPE"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in KHO_AGENCIES"));
}
both_backends!(keys_are_created_listed_issued_and_rotated_from_the_command_line);

/// `kho users create` bootstraps accounts (password from KHO_PASSWORD or stdin), checks
/// what each role is bound to, and the account signs in; `kho requesters create` prints
/// a client id and secret; `kho tokens create` refuses a staff token without an agency.
async fn users_and_requesters_are_created_from_the_command_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = kho(&db)
        .args(["users", "create", "--role", "admin", "--username", "admin"])
        .env("KHO_PASSWORD", "mật-khẩu-quản-trị-2026")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // From standard input.
    let mut child = kho(&db)
        .args([
            "users",
            "create",
            "--role",
            "citizen",
            "--username",
            "binh",
            "--subject",
            CITIZEN,
        ])
        .env_remove("KHO_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"mat-khau-cong-dan-2026\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Refusals, each with its reason.
    for (args, why) in [
        (
            vec!["--role", "citizen", "--username", "user-x1"],
            "needs --subject",
        ),
        (
            vec![
                "--role",
                "citizen",
                "--username",
                "x2",
                "--subject",
                COMPANY,
            ],
            "needs --subject PERSONAL_ID",
        ),
        (
            vec!["--role", "staff", "--username", "user-x3"],
            "needs --agency",
        ),
        (
            vec![
                "--role",
                "staff",
                "--username",
                "user-x4",
                "--agency",
                "NOPE",
            ],
            "not in KHO_AGENCIES",
        ),
        (
            vec![
                "--role",
                "citizen",
                "--username",
                "binh",
                "--subject",
                CITIZEN,
            ],
            "taken",
        ),
        (
            vec!["--role", "officer", "--username", "user-x5"],
            "10 to 256 characters",
        ),
    ] {
        let mut c = kho(&db);
        c.args(["users", "create"]).args(&args);
        c.env(
            "KHO_PASSWORD",
            if why.contains("characters") {
                "short"
            } else {
                "long-enough-password"
            },
        );
        let out = c.output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    }
    let out = kho(&db)
        .args(["tokens", "create", "--role", "staff"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --agency"));
    let out = kho(&db)
        .args([
            "requesters",
            "create",
            "--name",
            "Cổng Dịch vụ công",
            "--redirect-uri",
            "https://dvc.example.vn/cb",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.contains("client_id=req_") && printed.contains("client_secret=kho_cs_"),
        "{printed}"
    );
    let out = kho(&db)
        .args([
            "requesters",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "http://dvc.example.vn/cb",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "plain http off loopback is refused");

    // The citizen signs in to the served pages with that password.
    let (server, base) = spawn_server(kho(&db));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{base}/login"))
        .form(&[("username", "binh"), ("password", "mat-khau-cong-dan-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("kho_session=")
    );
    terminate(server);
    db.drop_database().await;
}

both_backends!(users_and_requesters_are_created_from_the_command_line);

/// A separator sheet printed by `kho separator`, as a scanner sees it (200 dpi, grey).
fn scanned_sheet(db: &TestDb, owner: &str, doc_type: Option<&str>) -> image::GrayImage {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("sep.pdf");
    let mut c = kho(db);
    c.args(["separator", "--owner", owner, "-o"]).arg(&pdf);
    if let Some(t) = doc_type {
        c.args(["--type", t]);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = Command::new("pdftoppm")
        .args(["-r", "200", "-gray", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(dir.path().join("sep"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    image::open(dir.path().join("sep.png")).unwrap().to_luma8()
}

/// `kho ingest STACK --split`: a scanned stack with separator sheets and blank pages
/// becomes one document per sheet, each for the owner its sheet names, with only its
/// content pages; pages before the first sheet go to --owner.
/// A scanned stack (PDF, 200 dpi): a page for the fallback owner, CITIZEN's sheet, two
/// pages with a blank between, OTHER_CITIZEN's sheet, a blank, a page.
fn stack_with_sheets(db: &TestDb, dir: &std::path::Path) -> std::path::PathBuf {
    let page = image::open(repo_path(STRAIGHT_PAGE)).unwrap().to_luma8();
    let blank = image::GrayImage::from_pixel(1654, 2339, image::Luma([246]));
    let stack_pages = [
        page.clone(),
        scanned_sheet(db, CITIZEN, Some("Giấy chứng nhận")),
        page.clone(),
        blank.clone(),
        page.clone(),
        scanned_sheet(db, OTHER_CITIZEN, None),
        blank,
        page,
    ];
    let pages: Vec<kho_workers::pdf::PdfPage> = stack_pages
        .iter()
        .map(|g| kho_workers::pdf::PdfPage {
            image: kho_workers::pdf::PageImage::encode(
                &image::DynamicImage::ImageLuma8(g.clone()),
                None,
            )
            .unwrap(),
            dpi: 200.0,
            text: Default::default(),
        })
        .collect();
    let stack = kho_workers::pdf::build(&pages, &Default::default()).unwrap();
    let path = dir.join("box-17.pdf");
    std::fs::write(&path, stack).unwrap();
    path
}

/// The page counts of each owner's documents.
async fn page_counts(db: &TestDb, owner: &str) -> Vec<i64> {
    let conn = kho::db::Db::connect(&db.url).await.unwrap();
    kho::db::documents::list_by_owner(&conn, owner, None)
        .await
        .unwrap()
        .iter()
        .map(|d| d.page_count)
        .collect()
}

async fn a_stack_is_cut_at_separator_sheets(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let path = stack_with_sheets(&db, dir.path());
    let report = dir.path().join("report.json");
    let out = kho(&db)
        .arg("ingest")
        .arg(&path)
        .args(["--split", "--owner", COMPANY, "--wait", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 documents"), "{stdout}");
    // Every page prints CITIZEN as its holder: filed for CITIZEN only, held for review
    // under the fallback owner and under OTHER_CITIZEN's sheet.
    assert_eq!(page_counts(&db, CITIZEN).await, vec![2], "{stdout}");
    assert!(page_counts(&db, COMPANY).await.is_empty(), "{stdout}");
    assert!(page_counts(&db, OTHER_CITIZEN).await.is_empty(), "{stdout}");
    // The batch report: per document its pages, owner, fields and state; the totals.
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["totals"]["documents"], 3, "{r}");
    assert_eq!(r["totals"]["filed"], 1, "{r}");
    assert_eq!(r["totals"]["review"], 2, "{r}");
    assert_eq!(r["totals"]["pages"], 4, "{r}");
    assert!(r["pages_per_second"].as_f64().unwrap() > 0.0);
    let owners: Vec<(&str, i64)> = r["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["owner"].as_str().unwrap(), d["pages"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        owners,
        vec![(COMPANY, 1), (CITIZEN, 2), (OTHER_CITIZEN, 1)],
        "{r}"
    );
    assert!(
        r["documents"][1]["number"]
            .as_str()
            .unwrap()
            .contains("GCN"),
        "{r}"
    );
    assert!(
        r["documents"][1]["confidence"].as_f64().unwrap() > 50.0,
        "{r}"
    );
    // Without --owner, pages before the first sheet are refused with the reason (also in
    // the CSV report).
    let csv = dir.path().join("report.csv");
    let out = kho(&db)
        .arg("ingest")
        .arg(&path)
        .args(["--split", "--report"])
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        format!("{stdout}{stderr}").contains("no owner"),
        "{stdout}{stderr}"
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    // A byte-order mark first, so a spreadsheet reads the Vietnamese as Vietnamese.
    let csv = csv.strip_prefix('\u{feff}').expect("a UTF-8 BOM");
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("label,state,owner,pages"), "{csv}");
    assert!(
        rows[1].contains(",refused,") && rows[1].contains("no owner"),
        "{csv}"
    );
    assert!(
        rows[2].contains(",filed,") && rows[2].contains(CITIZEN),
        "{csv}"
    );
    db.drop_database().await;
}

both_backends!(a_stack_is_cut_at_separator_sheets);

/// `kho ingest --split --wait` killed (SIGKILL) once the first document is filed, then
/// run again: every page ends in exactly one document, no scan is recorded twice.
async fn an_interrupted_ingest_run_again_files_nothing_twice(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let path = stack_with_sheets(&db, dir.path());
    let ingest = || {
        let mut c = kho(&db);
        c.arg("ingest")
            .arg(&path)
            .args(["--split", "--owner", COMPANY, "--wait"])
            // A killed worker's job is taken over once its lease runs out.
            .env("KHO_JOB_LEASE_SECS", "2")
            .env("KHO_WORKERS", "1");
        c
    };
    let mut first = ingest()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let conn = kho::db::Db::connect(&db.url).await.unwrap();
    let filed = || async {
        // Documents filed and documents held for review: each a scan done with.
        sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT COUNT(*) FROM documents) + (SELECT COUNT(*) FROM reviews)",
        )
        .fetch_one(&conn.pool)
        .await
        .unwrap_or(0)
    };
    let mut waited = 0;
    while filed().await < 1 {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended before it was killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
        assert!(waited < 3000, "nothing was filed");
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let done_before = filed().await;
    assert!(
        done_before < 3,
        "the run was killed midway ({done_before} filed)"
    );
    let out = ingest().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("already"),
        "the rerun found the submitted parts: {stderr}"
    );
    // Only CITIZEN's pages print CITIZEN as holder; the others wait in review.
    assert!(page_counts(&db, COMPANY).await.is_empty(), "{stdout}");
    assert_eq!(page_counts(&db, CITIZEN).await, vec![2], "{stdout}");
    assert!(page_counts(&db, OTHER_CITIZEN).await.is_empty(), "{stdout}");
    let reviews: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reviews")
        .fetch_one(&conn.pool)
        .await
        .unwrap();
    assert_eq!(reviews, 2, "held once each, not twice");
    let scans: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(&conn.pool)
        .await
        .unwrap();
    assert_eq!(scans, 3, "one scan per document");
    db.drop_database().await;
}

both_backends!(an_interrupted_ingest_run_again_files_nothing_twice);

/// `kho watch DIR --once`: a complete page is filed and moved to done/; a corrupt file
/// is moved to failed/ with its reason; a file still being written (`*.part`) is left
/// alone; the same page dropped again is not filed twice.
async fn a_watched_folder_takes_complete_files_and_moves_them_aside(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path();
    let page = std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap();
    std::fs::write(inbox.join("scan-0001.png"), &page).unwrap();
    std::fs::write(inbox.join("scan-0002.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    std::fs::write(inbox.join("scan-0003.png.part"), &page[..page.len() / 2]).unwrap();
    let watch = || {
        let mut c = kho(&db);
        c.arg("watch")
            .arg(inbox)
            .args(["--owner", CITIZEN, "--once", "--settle-ms", "300"]);
        c
    };
    let out = watch().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "one file failed: exit 1\n{stdout}\n{stderr}"
    );
    assert!(
        inbox.join("done/scan-0001.png").is_file(),
        "{stdout}\n{stderr}"
    );
    assert!(
        inbox.join("failed/scan-0002.png").is_file(),
        "{stdout}\n{stderr}"
    );
    let why = std::fs::read_to_string(inbox.join("failed/scan-0002.png.error.txt")).unwrap();
    assert!(why.contains("scan-0002.png"), "{why}");
    assert!(
        inbox.join("scan-0003.png.part").is_file(),
        "a file being written is left alone"
    );
    assert_eq!(page_counts(&db, CITIZEN).await, vec![1]);
    // The scanner finishes the third file (renames it) and the first is dropped again.
    std::fs::write(inbox.join("scan-0003.png.part"), &page).unwrap();
    std::fs::rename(
        inbox.join("scan-0003.png.part"),
        inbox.join("scan-0003.png"),
    )
    .unwrap();
    std::fs::copy(inbox.join("done/scan-0001.png"), inbox.join("again.png")).unwrap();
    let out = watch().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(inbox.join("done/scan-0003.png").is_file());
    assert!(inbox.join("done/again.png").is_file());
    // Same page, same owner: one document, not two, however often it is dropped.
    assert_eq!(page_counts(&db, CITIZEN).await, vec![1]);
    db.drop_database().await;
}

both_backends!(a_watched_folder_takes_complete_files_and_moves_them_aside);

/// `kho ingest --manifest`: the manifest names each file's owner and fields; they win
/// over extraction, a field it gives is no longer missing (the document is filed, not
/// held), validity and the procedure code are kept; a bad manifest is refused before
/// anything is recorded, naming its rows.
async fn a_manifest_gives_owners_and_fields(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch");
    std::fs::create_dir(&batch).unwrap();
    std::fs::copy(repo_path(STRAIGHT_PAGE), batch.join("a.png")).unwrap();
    std::fs::write(batch.join("minutes.png"), page_without_fields()).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "file,owner,issued_on\na.png,12345,2020-01-01\nminutes.png,001203004567,2020-02-30x\n",
    )
    .unwrap();
    let out = kho(&db)
        .arg("ingest")
        .arg(&batch)
        .arg("--manifest")
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("row 2") && err.contains("row 3"),
        "{err}"
    );
    let manifest = dir.path().join("manifest.csv");
    std::fs::write(
        &manifest,
        format!(
            "file,owner,type,number,issued_on,valid_to,procedure\n\
             a.png,{CITIZEN},,99/GCN-TEST,2020-02-02,2030-01-01,1.000123\n\
             minutes.png,{COMPANY},Biên bản,07/BB,2024-06-09,,\n"
        ),
    )
    .unwrap();
    let out = kho(&db)
        .arg("ingest")
        .arg(&batch)
        .arg("--manifest")
        .arg(&manifest)
        .arg("--wait")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("review")),
        "the manifest gave the missing fields: {stdout}"
    );
    let conn = kho::db::Db::connect(&db.url).await.unwrap();
    let a = &kho::db::documents::list_by_owner(&conn, CITIZEN, None)
        .await
        .unwrap()[0];
    assert_eq!(
        a.number.as_deref(),
        Some("99/GCN-TEST"),
        "the manifest wins over extraction"
    );
    assert_eq!(a.issued_on.as_deref(), Some("2020-02-02"));
    assert_eq!(
        a.doc_type.as_deref().map(str::to_lowercase).as_deref(),
        Some("giấy chứng nhận"),
        "extracted where the manifest is silent"
    );
    assert_eq!(a.valid_to.as_deref(), Some("2030-01-01"));
    let minutes = &kho::db::documents::list_by_owner(&conn, COMPANY, None)
        .await
        .unwrap()[0];
    assert_eq!(minutes.doc_type.as_deref(), Some("Biên bản"));
    assert_eq!(minutes.number.as_deref(), Some("07/BB"));
    assert!(minutes.ocr_text.contains("dân phố"), "{}", minutes.ocr_text);
    // Without the manifest the same page waits in review for its missing fields.
    let out = kho(&db)
        .arg("ingest")
        .arg(batch.join("minutes.png"))
        .args(["--owner", OTHER_CITIZEN, "--wait"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("review")), "{stdout}");
    db.drop_database().await;
}

both_backends!(a_manifest_gives_owners_and_fields);

/// `kho ingest box.zip`: a ZIP batch's scans are filed in name order (notes and hidden
/// files skipped); a ZIP whose entry would land outside the batch, or that unpacks past
/// the size limit, is refused as a whole with the reason and records nothing.
async fn a_zip_batch_is_ingested_and_hostile_zips_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("box-3.zip");
    std::fs::write(
        &good,
        zip_of(&[
            (
                "scans/b.jpg",
                std::fs::read(repo_path("samples/pages/jpeg-01.jpg")).unwrap(),
            ),
            (
                "scans/a.png",
                std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap(),
            ),
            ("scans/notes.txt", b"ghi chu".to_vec()),
            ("scans/.DS_Store", b"junk".to_vec()),
        ]),
    )
    .unwrap();
    let out = kho(&db)
        .arg("ingest")
        .arg(&good)
        .args(["--owner", CITIZEN, "--wait"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 documents"), "{stdout}");
    // The JPEG prints another holder than the batch's owner: held, not filed.
    assert_eq!(page_counts(&db, CITIZEN).await.len(), 1, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "the page names {JPEG_PAGE_HOLDER} as its holder, but it was given to {CITIZEN}"
        )),
        "{stdout}"
    );

    let evil = dir.path().join("evil.zip");
    std::fs::write(
        &evil,
        zip_of(&[(
            "../../escaped.png",
            std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap(),
        )]),
    )
    .unwrap();
    let out = kho(&db)
        .arg("ingest")
        .arg(&evil)
        .args(["--owner", OTHER_CITIZEN])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("outside the batch"),
        "{err}"
    );
    let bomb = dir.path().join("bomb.zip");
    std::fs::write(&bomb, zip_of(&[("zeros.png", vec![0u8; 3_000_000])])).unwrap();
    assert!(
        std::fs::metadata(&bomb).unwrap().len() < 100_000,
        "compresses well"
    );
    let out = kho(&db)
        .arg("ingest")
        .arg(&bomb)
        .args(["--owner", OTHER_CITIZEN])
        .env("KHO_MAX_UPLOAD_BYTES", "1000000")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("unpacks to more than"),
        "{err}"
    );
    assert!(page_counts(&db, OTHER_CITIZEN).await.is_empty());
    assert!(!dir.path().parent().unwrap().join("escaped.png").exists());
    db.drop_database().await;
}

both_backends!(a_zip_batch_is_ingested_and_hostile_zips_are_refused);

/// A small scanned page (A4 at 200 dpi) with a few lines of text and none of the
/// required fields; `n` makes each document's text its own.
fn short_page(n: usize) -> image::GrayImage {
    let font = ab_glyph::FontRef::try_from_slice(include_bytes!("../../src/assets/DejaVuSans.ttf"))
        .unwrap();
    let mut img = image::GrayImage::from_pixel(1654, 2339, image::Luma([250]));
    let lines = [
        format!("Hồ sơ lưu trữ số {n}"),
        "Bản sao các giấy tờ của hộ gia đình".to_owned(),
    ];
    for (i, l) in lines.iter().enumerate() {
        imageproc::drawing::draw_text_mut(
            &mut img,
            image::Luma([20]),
            170,
            260 + i as i32 * 80,
            ab_glyph::PxScale::from(44.0),
            &font,
            l,
        );
    }
    img
}

/// One expected document of the generated stack.
struct Expected {
    owner: String,
    /// Stack positions (1-based) of its first and last page, sheet included.
    span: (usize, usize),
    pages: i64,
    in_manifest: bool,
}

/// A 300-page TIFF stack: two pages before the first sheet, then documents of 3–6
/// content pages, each after a separator sheet for its own owner, with blank pages
/// between and after some of them.
fn generated_stack(path: &std::path::Path, key: &kho::separator::SheetKey) -> Vec<Expected> {
    use tiff::encoder::{Compression, DeflateLevel, Rational, TiffEncoder, colortype};
    const TOTAL: usize = 300;
    let blank = image::GrayImage::from_pixel(1654, 2339, image::Luma([246]));
    let mut pages: Vec<(image::GrayImage, u32)> = vec![(short_page(0), 200), (short_page(0), 200)];
    let mut expected = vec![Expected {
        owner: COMPANY.into(),
        span: (1, 2),
        pages: 2,
        in_manifest: false,
    }];
    for k in 1.. {
        let content = 3 + k % 4;
        let blanks = usize::from(k % 3 == 0) + usize::from(k % 2 == 0);
        if pages.len() + 1 + content + blanks > TOTAL {
            break;
        }
        let owner = format!("001203{k:06}");
        let sep = kho::separator::Separator {
            owner: kho::domain::SubjectId::parse(&owner).unwrap(),
            doc_type: None,
        };
        let first = pages.len() + 1;
        pages.push((kho::separator::sheet(&sep, key).unwrap(), 150));
        for c in 0..content {
            pages.push((short_page(k), 200));
            if c == 1 && k % 3 == 0 {
                pages.push((blank.clone(), 200));
            }
        }
        if k % 2 == 0 {
            pages.push((blank.clone(), 200));
        }
        expected.push(Expected {
            owner,
            span: (first, pages.len()),
            pages: content as i64,
            in_manifest: k % 2 == 1,
        });
    }
    while pages.len() < TOTAL {
        pages.push((blank.clone(), 200));
    }
    let out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = TiffEncoder::new(out)
        .unwrap()
        .with_compression(Compression::Deflate(DeflateLevel::Fast));
    for (page, dpi) in &pages {
        let mut img = enc
            .new_image::<colortype::Gray8>(page.width(), page.height())
            .unwrap();
        img.resolution(tiff::tags::ResolutionUnit::Inch, Rational { n: *dpi, d: 1 });
        img.write_data(page.as_raw()).unwrap();
    }
    expected
}

/// `kho ingest STACK --split --manifest` on a 300-page stack with separator sheets,
/// blank pages and a manifest for every other document: each document has the owner
/// its sheet names and exactly its content pages; those with a manifest row are filed
/// with its fields, the rest (and the pages before the first sheet) wait in review
/// for their missing fields.
async fn a_300_page_stack_is_cut_into_its_documents(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("box-300.tif");
    let expected = generated_stack(&stack, &sheet_key(&db));
    let mut manifest = String::from("file,pages,type,number,issued_on\n");
    for (i, e) in expected.iter().enumerate().filter(|(_, e)| e.in_manifest) {
        manifest += &format!(
            "box-300.tif,{}-{},Bản sao hồ sơ,{i}/HS-LT,2019-05-{:02}\n",
            e.span.0,
            e.span.1,
            1 + i % 28
        );
    }
    let manifest_path = dir.path().join("manifest.csv");
    std::fs::write(&manifest_path, manifest).unwrap();
    let report = dir.path().join("report.json");
    let out = kho(&db)
        .arg("ingest")
        .arg(&stack)
        .args(["--split", "--owner", COMPANY, "--wait", "--manifest"])
        .arg(&manifest_path)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let docs = r["documents"].as_array().unwrap();
    assert_eq!(docs.len(), expected.len(), "{r}");
    let filed = expected.iter().filter(|e| e.in_manifest).count();
    assert_eq!(r["totals"]["filed"], filed, "{}", r["totals"]);
    assert_eq!(
        r["totals"]["review"],
        expected.len() - filed,
        "{}",
        r["totals"]
    );
    let content: i64 = expected.iter().map(|e| e.pages).sum();
    assert_eq!(r["totals"]["pages"], content, "{}", r["totals"]);
    let conn = kho::db::Db::connect(&db.url).await.unwrap();
    for (i, (e, d)) in expected.iter().zip(docs).enumerate() {
        assert_eq!(d["owner"], e.owner.as_str(), "document {i}: {d}");
        assert_eq!(d["pages"], e.pages, "document {i}: {d}");
        if e.in_manifest {
            assert_eq!(d["state"], "filed", "document {i}: {d}");
            let doc = &kho::db::documents::list_by_owner(&conn, &e.owner, None)
                .await
                .unwrap()[0];
            assert_eq!(doc.number.as_deref(), Some(format!("{i}/HS-LT").as_str()));
            assert_eq!(doc.page_count, e.pages);
            assert!(
                doc.ocr_text.contains(&format!("số {i}")),
                "{}",
                doc.ocr_text
            );
        } else {
            assert_eq!(d["state"], "review", "document {i}: {d}");
            let reasons = d["reasons"].to_string();
            assert!(reasons.contains("number"), "document {i}: {reasons}");
        }
    }
    db.drop_database().await;
}

both_backends!(a_300_page_stack_is_cut_into_its_documents);

/// `KHO_LOG_FORMAT=json`: one JSON object per log line; a request's lines carry its
/// request id (the client's `x-request-id` here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_with_the_request_id() {
    let db = TestDb::new(Backend::Sqlite).await;
    let log = db.dir().join("serve.log");
    let mut c = kho(&db);
    c.env("KHO_LOG_FORMAT", "json")
        .env("KHO_WORKERS", "0")
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut server = c.spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let r = reqwest::Client::new()
        .get(format!("{base}/api/v1/health"))
        .header("x-request-id", "dvc-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    terminate(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == "dvc-req-42"
                && l["span"]["path"] == "/api/v1/health"),
        "{text}"
    );
    db.drop_database().await;
}

/// The separator key of the deployment `kho(&db)` runs (its KEK file, made now if the
/// deployment has none yet), as `kho separator` would print with.
fn sheet_key(db: &TestDb) -> kho::separator::SheetKey {
    let file = db.dir().join("data").join("kek.key");
    let (kek, _) = kho::signing::kek::Kek::load(None, &file, true).unwrap();
    kho::separator::SheetKey::from_kek(&kek)
}
