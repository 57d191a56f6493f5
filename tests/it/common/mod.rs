//! Test harness: a fresh Kho per test, on SQLite or on PostgreSQL, served on port 0.
//!
//! - SQLite: a new file in a temporary folder.
//! - PostgreSQL: a new database on the server at `KHO_TEST_POSTGRES_URL` (default
//!   `postgres://postgres@127.0.0.1:5432/test`, which `scripts/test.sh` makes sure answers),
//!   dropped by [`TestApp::finish`].
//!
//! `both_backends!(name)` turns `async fn name(backend: Backend)` into one test per backend.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use kho::db::{Backend, Db};
use kho::{App, Config};
use tokio::sync::watch;

pub const STRAIGHT_PAGE: &str = "samples/pages/straight-01.png";
pub const STRAIGHT_TRUTH: &str = "samples/pages/straight-01.gt.txt";

pub fn repo_path(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// A 32×16 white PNG: a valid, blank page.
pub fn tiny_png() -> Vec<u8> {
    let img = image::GrayImage::from_pixel(32, 16, image::Luma([255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The `job_id` of a 202 answer to an upload.
pub async fn job_id_of(r: reqwest::Response) -> String {
    r.json::<serde_json::Value>().await.unwrap()["job_id"]
        .as_str()
        .expect("an upload answer names its job")
        .to_owned()
}

/// A program from the test venv (`scripts/setup.sh --test`), next to `KHO_TEST_PYTHON`.
pub fn venv_tool(name: &str) -> PathBuf {
    std::env::var("KHO_TEST_PYTHON")
        .map(|p| PathBuf::from(p).parent().unwrap().to_path_buf())
        .unwrap_or_else(|_| repo_path(".venv/bin"))
        .join(name)
}

pub fn postgres_admin_url() -> String {
    std::env::var("KHO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$name(kho::db::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$name(kho::db::Backend::Postgres).await
            }
        }
    };
}

/// A fresh database for one test.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.path().join("kho.db").display()),
                pg_name: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("kho_test_{}", uuid::Uuid::new_v4().simple());
                let db = Db::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} does not answer ({e}); run scripts/test.sh")
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&db.pool)
                    .await
                    .unwrap();
                db.pool.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }

    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    pub async fn drop_database(&self) {
        if let Some(name) = &self.pg_name {
            let db = Db::connect(&postgres_admin_url()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&db.pool)
            .await
            .unwrap();
            db.pool.close().await;
        }
    }
}

/// Build a configuration from command-line style options.
pub fn config(args: &[&str]) -> Config {
    let mut argv = vec!["kho"];
    argv.extend_from_slice(args);
    argv.push("migrate");
    kho::cli::Cli::try_parse_from(argv).unwrap().config
}

/// The object store of a test app: in memory, or — when `KHO_TEST_S3_ENDPOINT` names an
/// S3 server (scripts/test.sh starts moto's for the scale-out pass) — a new bucket there.
/// (URL, endpoint).
async fn test_object_store() -> (String, Option<String>) {
    let Ok(endpoint) = std::env::var("KHO_TEST_S3_ENDPOINT") else {
        return ("memory://".into(), None);
    };
    let bucket = format!("kho-test-{}", uuid::Uuid::new_v4().simple());
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the S3 server at {endpoint} does not answer: {e}"));
    assert!(r.status().is_success(), "cannot create bucket {bucket}");
    (format!("s3://{bucket}/vault"), Some(endpoint))
}

/// A running Kho: API on a free port, `workers` in-process workers.
pub struct TestApp {
    pub app: App,
    pub addr: String,
    pub db: TestDb,
    pub staff_token: String,
    pub client: reqwest::Client,
    stop: watch::Sender<bool>,
    workers: Option<tokio::task::JoinSet<()>>,
    server: std::sync::Mutex<Option<Server>>,
}

/// The running server and the sender that stops it.
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A consent and its authorization code (stored as `code_hash`, PKCE `challenge`), as
/// the consent page records them in one transaction; the grant's id.
pub async fn grant_with_code(
    db: &kho::db::Db,
    g: &kho::db::grants::NewGrant<'_>,
    code_hash: &str,
    challenge: &str,
) -> String {
    let mut tx = db.pool.begin().await.unwrap();
    let id = kho::db::grants::create_with_code(
        &mut tx,
        g,
        code_hash,
        "http://127.0.0.1:9/cb",
        challenge,
        kho::db::now_ms() + 60_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

impl TestApp {
    /// A requester's access token (an hour) for a grant already given, as the token
    /// endpoint would mint it.
    pub async fn access_token(&self, grant: &str) -> String {
        let access = format!("kho_at_{}", uuid::Uuid::new_v4().simple());
        kho::db::grants::create_token(
            &self.app.db,
            &kho::db::tokens::hash(&access),
            grant,
            kho::db::now_ms() + 3_600_000,
        )
        .await
        .unwrap();
        access
    }

    /// Spawn with the given workers and extra options (e.g. `--max-upload-bytes 1000`).
    pub async fn spawn(backend: Backend, workers: usize, extra: &[&str]) -> TestApp {
        let db = TestDb::new(backend).await;
        let data_dir = db.dir().join("data");
        let data = data_dir.display().to_string();
        let workers_s = workers.max(1).to_string();
        // Bound first, so certificates and QR codes name this server.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let (store, s3_endpoint) = test_object_store().await;
        let mut args = vec![
            "--public-url",
            &addr,
            "--data-dir",
            &data,
            "--database-url",
            &db.url,
            "--object-store-url",
            &store,
            "--workers",
            &workers_s,
            "--job-poll-ms",
            "50",
            "--job-retry-base-ms",
            "20",
        ];
        if let Some(endpoint) = &s3_endpoint {
            args.extend_from_slice(&["--s3-endpoint", endpoint]);
        }
        // The checkpoint loop signs only where a test asks for it, so a test's own
        // checkpoints are the only ones.
        if !extra.contains(&"--audit-checkpoint-secs") {
            args.extend_from_slice(&["--audit-checkpoint-secs", "0"]);
        }
        args.extend_from_slice(extra);
        let app = App::open(config(&args)).await.expect("app opens");
        // The server as `kho serve` runs it (the HTTP surface and the checkpoint loop),
        // stopped gracefully by `stop_server`; the workers are the test's to start
        // and stop.
        let (stop_http, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.clone().run_until_stopped(listener, 0, async move {
            let _ = stopped.await;
        }));
        let (stop, stop_rx) = watch::channel(false);
        let workers = (workers > 0).then(|| kho::queue::spawn_workers(&app, workers, stop_rx));
        // Records staff of the default agency upload and read what they filed.
        let staff_token =
            kho::db::tokens::create(&app.db, kho::auth::Role::Staff, None, Some("KHO"))
                .await
                .unwrap();
        TestApp {
            app,
            addr,
            db,
            staff_token,
            client: reqwest::Client::new(),
            stop,
            workers,
            server: std::sync::Mutex::new(Some(Server {
                stop: stop_http,
                task: server,
            })),
        }
    }

    /// Stop serving HTTP and wait until the port is closed: nothing answers at
    /// `addr` any more (the CRL URL in certificates included).
    /// The server stops as on SIGTERM: it finishes what it is answering and returns.
    pub async fn stop_server(&self) {
        let server = self.server.lock().unwrap().take();
        if let Some(Server { stop, mut task }) = server {
            let _ = stop.send(());
            // A client's idle keep-alive connection must not hold the test: after a
            // while the server is stopped outright.
            match tokio::time::timeout(std::time::Duration::from_secs(10), &mut task).await {
                Ok(ended) => ended.unwrap().expect("the server stops cleanly"),
                Err(_) => task.abort(),
            }
        }
        while reqwest::get(self.url("/api/v1/health")).await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Upload the straight sample page for CITIZEN, wait until it is filed, and return
    /// the document id and its signed PDF.
    pub async fn digitize_sample(&self) -> (String, Vec<u8>) {
        let r = self
            .upload(
                CITIZEN,
                &[("page.png", std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap())],
            )
            .await;
        let job_id = job_id_of(r).await;
        let job = self.wait_for_job(&job_id).await;
        assert_eq!(job["state"], "done", "{job}");
        let doc_id = job["document_id"].as_str().unwrap().to_owned();
        let pdf = self.document_pdf(&doc_id).await;
        (doc_id, pdf)
    }

    /// The vault's PDF of document `id`, as records staff of KHO fetch it.
    pub async fn document_pdf(&self, id: &str) -> Vec<u8> {
        self.get(&format!("/api/v1/documents/{id}/pdf"))
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }

    /// Start in-process workers on an app spawned with none.
    pub fn start_workers(&mut self, count: usize) {
        let (stop, rx) = watch::channel(false);
        self.stop = stop;
        self.workers = Some(kho::queue::spawn_workers(&self.app, count, rx));
    }

    /// Signal the workers to stop and wait until they have.
    pub async fn stop_workers(&mut self) {
        let _ = self.stop.send(true);
        if let Some(mut w) = self.workers.take() {
            while w.join_next().await.is_some() {}
        }
    }

    /// The root certificate this deployment serves at `/api/v1/trust/roots.pem`.
    pub async fn trust_root(&self) -> x509_cert::Certificate {
        let pem = reqwest::get(self.url("/api/v1/trust/roots.pem"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        certs::from_pem(&pem).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    /// A token of `role` (staff and issuers belong to the default agency, KHO).
    pub async fn token(&self, role: kho::auth::Role, subject: Option<&str>) -> String {
        use kho::auth::Role;
        let agency = matches!(role, Role::Staff | Role::Issuer).then_some("KHO");
        kho::db::tokens::create(&self.app.db, role, subject, agency)
            .await
            .unwrap()
    }

    /// POST the files as `file` parts of one scan.
    pub async fn upload(&self, owner: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        self.client
            .post(self.url(&format!("/api/v1/subjects/{owner}/scans")))
            .bearer_auth(&self.staff_token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/v1/verify` with `pdf`: the report (the answer must be 200).
    pub async fn verify(&self, pdf: impl Into<reqwest::Body>) -> serde_json::Value {
        let r = self
            .client
            .post(self.url("/api/v1/verify"))
            .body(pdf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// GET `path` as records staff of KHO.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        get_with(&self.client, self.url(path), &self.staff_token).await
    }

    /// A page's HTML, fetched with a session cookie.
    pub async fn page_as(&self, path: &str, cookie: &str) -> String {
        self.client
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Poll a job until it leaves queued/running.
    pub async fn wait_for_job(&self, job_id: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let (status, job) = self.get_json(&format!("/api/v1/jobs/{job_id}")).await;
            assert_eq!(status, 200, "{job}");
            if !matches!(job["state"].as_str(), Some("queued") | Some("running")) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {job_id} never finished: {job}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// (subjects, scans, scan files, jobs, objects)
    pub async fn counts(&self) -> (i64, i64, i64, i64, usize) {
        let (a, b, c, d) = kho::db::scans::counts(&self.app.db).await.unwrap();
        (a, b, c, d, self.app.store.count().await.unwrap())
    }

    /// Stop the server (gracefully, as on SIGTERM) and the workers, and drop the test
    /// database.
    pub async fn finish(mut self) {
        self.stop_server().await;
        self.stop_workers().await;
        self.app.db.pool.close().await;
        self.db.drop_database().await;
    }
}

#[allow(unused_imports)]
pub use kho_workers::measure::cer;

/// Run `pdftotext` on PDF bytes.
pub fn pdftotext(pdf: &[u8]) -> String {
    kho_workers::measure::pdftotext(pdf, &[])
        .expect("pdftotext (poppler-utils, from scripts/setup.sh --test)")
}

/// GET `url` with a bearer token.
pub async fn get_with(client: &reqwest::Client, url: String, token: &str) -> reqwest::Response {
    client.get(url).bearer_auth(token).send().await.unwrap()
}

/// GET `url` with a bearer token and parse the JSON body.
pub async fn get_json_with(
    client: &reqwest::Client,
    url: String,
    token: &str,
) -> serde_json::Value {
    get_with(client, url, token).await.json().await.unwrap()
}

/// Start `kho serve --addr 127.0.0.1:0 …` and return it with the base URL it printed.
pub fn spawn_server(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut server = command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("serve printed no URL: {line:?}"))
        .to_owned();
    (server, base)
}

/// SIGTERM a process and assert it exits cleanly.
pub fn terminate(mut child: std::process::Child) {
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "process exited with {status}");
}

/// A valid citizen ID and tax code for tests. CITIZEN is the holder `STRAIGHT_PAGE`
/// prints (`samples/pages/straight-01.fields.txt`): a page that names another holder
/// than the owner it is uploaded for waits in review.
pub const CITIZEN: &str = "027064225127";
/// The holder `samples/pages/jpeg-01.jpg` prints.
pub const JPEG_PAGE_HOLDER: &str = "046305700675";
pub const OTHER_CITIZEN: &str = "079199001234";
pub const COMPANY: &str = "0100109106";

use kho::signing::certs::{self, CertKind};
use kho::signing::key::{SealAlgorithm, SecretKey};
use kho::signing::pades::{self, SignatureInfo};

/// A deployment's certificates made in the test: root, agency seal, staff.
pub struct Pki {
    pub root: x509_cert::Certificate,
    pub root_key: SecretKey,
    pub agency_key: SecretKey,
    pub agency: x509_cert::Certificate,
    pub staff_key: SecretKey,
    pub staff: x509_cert::Certificate,
}

pub fn make_pki() -> Pki {
    make_pki_of(SealAlgorithm::Ed25519)
}

/// A test deployment's certificates, every key of `algorithm`.
pub fn make_pki_of(algorithm: SealAlgorithm) -> Pki {
    let key = || SecretKey::generate(algorithm);
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
        root_key,
        agency_key,
        agency,
        staff_key,
        staff,
    }
}

/// A one-page PDF/A as the pipeline makes it, without OCR.
pub fn unsigned_pdf() -> Vec<u8> {
    let img =
        image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(300, 400, image::Luma([240])));
    let page = kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&img, None).unwrap(),
        dpi: 100.0,
        text: Default::default(),
    };
    kho_workers::pdf::build(&[page], &Default::default()).unwrap()
}

/// A one-page PDF like [`unsigned_pdf`], but no two alike (one pixel differs), so each
/// signed copy is a distinct file.
pub fn distinct_unsigned_pdf() -> Vec<u8> {
    let mut img = image::GrayImage::from_pixel(300, 400, image::Luma([240]));
    let n: u32 = rand::random();
    img.put_pixel(n % 300, (n / 300) % 400, image::Luma([(n % 200) as u8]));
    img.put_pixel((n >> 9) % 300, (n >> 17) % 400, image::Luma([7]));
    let page = kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&image::DynamicImage::ImageLuma8(img), None)
            .unwrap(),
        dpi: 100.0,
        text: Default::default(),
    };
    kho_workers::pdf::build(&[page], &Default::default()).unwrap()
}

/// `pdf` signed for custody by `agency`'s digitization office and sealed by its seal,
/// with this deployment's own keys, as a filing by that agency would be.
pub async fn sealed_by(t: &TestApp, agency: &str, pdf: &[u8]) -> Vec<u8> {
    let (custody, seal) = t.app.keys.signers_for(agency, None).await.unwrap();
    let now = kho::db::now_ms() / 1000;
    let info = |name: &str| SignatureInfo {
        name: name.into(),
        reason: "Đóng dấu".into(),
        time: now,
        document_id: None,
    };
    let signed = pades::sign(
        pdf,
        &custody.key,
        &custody.chain,
        &info(&custody.name),
        None,
    )
    .unwrap();
    pades::sign(&signed, &seal.key, &seal.chain, &info(&seal.name), None).unwrap()
}

/// The PDF signed for custody by the staff key, then sealed by the agency (each call
/// a distinct file).
pub fn signed_twice(pki: &Pki) -> (Vec<u8>, Vec<u8>) {
    sign_twice(pki, &distinct_unsigned_pdf())
}

/// `pdf` signed for custody by the staff key, then sealed by the agency.
pub fn sign_twice(pki: &Pki, pdf: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let custody = pades::sign(
        pdf,
        &pki.staff_key,
        &[pki.staff.clone(), pki.root.clone()],
        &SignatureInfo {
            name: "Nguyễn Văn An".into(),
            reason: "Số hóa".into(),
            time: now,
            document_id: None,
        },
        None,
    )
    .unwrap();
    let sealed = pades::sign(
        &custody,
        &pki.agency_key,
        &[pki.agency.clone(), pki.root.clone()],
        &SignatureInfo {
            name: "Sở Tư pháp".into(),
            reason: "Đóng dấu".into(),
            time: now + 1,
            document_id: None,
        },
        None,
    )
    .unwrap();
    (custody, sealed)
}

/// What a command printed, stdout then stderr.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// pyHanko's one-line summaries and whether it exited 0.
pub fn pyhanko_validate(pdf: &[u8], root: &x509_cert::Certificate) -> (bool, String) {
    pyhanko_validate_with(pdf, root, "--executive-summary")
}

/// pyHanko's report in the given style (`--executive-summary`, `--pretty-print`).
pub fn pyhanko_validate_with(
    pdf: &[u8],
    root: &x509_cert::Certificate,
    style: &str,
) -> (bool, String) {
    pyhanko_judge("validate", pdf, root, style)
}

/// `pyhanko sign COMMAND STYLE --trust ROOT --trust-replace` on `pdf` (`validate`, or
/// `adesverify` for ETSI EN 319 102-1 validation, which reads the DSS): whether it
/// exited 0, and what it said.
pub fn pyhanko_judge(
    command: &str,
    pdf: &[u8],
    root: &x509_cert::Certificate,
    style: &str,
) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let (file, root_pem) = (dir.path().join("signed.pdf"), dir.path().join("root.pem"));
    std::fs::write(&file, pdf).unwrap();
    std::fs::write(&root_pem, certs::to_pem(root).unwrap()).unwrap();
    let out = std::process::Command::new(venv_tool("pyhanko"))
        .args(["sign", command, style, "--trust"])
        .arg(&root_pem)
        .arg("--trust-replace")
        .arg(&file)
        .output()
        .expect("pyhanko from the test venv (scripts/setup.sh --test)");
    (out.status.success(), output_text(&out))
}

/// Upload a tiny page for `owner` as records staff of `agency` (no workers run it):
/// (job id, scan id).
pub async fn upload_as(t: &TestApp, owner: &str, agency: &str) -> (String, String) {
    let token = kho::db::tokens::create(&t.app.db, kho::auth::Role::Staff, None, Some(agency))
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(tiny_png()).file_name("p.png"),
    );
    let r = t
        .client
        .post(t.url(&format!("/api/v1/subjects/{owner}/scans")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let job_id = job_id_of(r).await;
    let (job, _) = kho::db::jobs::get(&t.app.db, &job_id)
        .await
        .unwrap()
        .unwrap();
    (job_id, job.scan_id)
}

/// File a document for `owner` as agency `agency` would have: the scan goes through
/// intake (so the original exists), the document row is written as the pipeline would,
/// without OCR, with `pdf` stored as its PDF. Returns (document id, job id).
#[allow(clippy::too_many_arguments)]
pub async fn file_document(
    t: &TestApp,
    owner: &str,
    agency: &str,
    doc_type: &str,
    issued_on: &str,
    text: &str,
    issuer: &str,
    pdf: &[u8],
) -> (String, String) {
    // Uploaded by staff of `agency`, as the pipeline's filing would be.
    let (job_id, scan_id) = upload_as(t, owner, agency).await;
    let pdf_sha256 = t
        .app
        .store
        .put(bytes::Bytes::copy_from_slice(pdf))
        .await
        .unwrap();
    let doc = kho::db::documents::NewDocument {
        title: Some(doc_type.to_uppercase()),
        doc_type: Some(doc_type.into()),
        number: Some("12/QĐ-UBND".into()),
        issued_on: Some(issued_on.into()),
        ocr_text: text.into(),
        issuer: Some(issuer.into()),
        ..new_document(owner, agency, &scan_id, &job_id, &pdf_sha256, pdf.len())
    };
    let mut tx = t.app.db.pool.begin().await.unwrap();
    kho::db::documents::insert(&mut tx, &doc).await.unwrap();
    kho::search::index(&mut tx, &doc).await.unwrap();
    tx.commit().await.unwrap();
    (doc.id, job_id)
}

/// A document row as the pipeline would write it, without OCR or fields.
pub fn new_document(
    owner: &str,
    agency: &str,
    scan_id: &str,
    job_id: &str,
    pdf_sha256: &str,
    pdf_bytes: usize,
) -> kho::db::documents::NewDocument {
    kho::db::documents::NewDocument {
        id: uuid::Uuid::new_v4().to_string(),
        owner_id: owner.into(),
        scan_id: scan_id.into(),
        job_id: job_id.into(),
        title: None,
        doc_type: None,
        number: None,
        issued_on: None,
        status: kho::domain::Status::Valid,
        pdf_sha256: pdf_sha256.into(),
        pdf_bytes: pdf_bytes as i64,
        page_count: 1,
        mean_confidence: 90.0,
        ocr_text: String::new(),
        pages_json: "[]".into(),
        fields_json: "{}".into(),
        pipeline_version: "test".into(),
        agency: Some(agency.into()),
        issuer: None,
        valid_from: None,
        valid_to: None,
        source: "scan".into(),
    }
}

/// Create a web account.
pub async fn account(
    t: &TestApp,
    username: &str,
    role: kho::auth::Role,
    subject: Option<&str>,
    org_role: Option<&str>,
) {
    let agency = matches!(role, kho::auth::Role::Staff).then_some("KHO");
    kho::accounts::create_user(
        &t.app.db,
        &kho::db::accounts::NewUser {
            username,
            password_hash: "",
            role,
            subject_id: subject,
            agency,
            org_role,
            display_name: Some("Nguyễn Thị Bình"),
        },
        PASSWORD,
    )
    .await
    .unwrap();
}

pub const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";

/// Sign in through the form: the session cookie (`name=value`) and its CSRF token.
pub async fn sign_in(t: &TestApp, username: &str) -> (String, String) {
    sign_in_to(t, username, "/me").await
}

/// Sign in through the form and land on `home` (a page that carries the CSRF token).
pub async fn sign_in_to(t: &TestApp, username: &str, home: &str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(t.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", home),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in of {username}");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let page = client
        .get(t.url(home))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the signed-in page carries a CSRF token")
        .to_owned();
    (cookie, csrf)
}

/// A page with readable text but none of the required fields (type, number, date).
pub fn page_without_fields() -> Vec<u8> {
    let font =
        ab_glyph::FontRef::try_from_slice(include_bytes!("../../../src/assets/DejaVuSans.ttf"))
            .unwrap();
    let mut img = image::GrayImage::from_pixel(2480, 3508, image::Luma([255]));
    let lines = [
        "Biên bản họp tổ dân phố số bảy",
        "Các hộ gia đình đã thống nhất lịch dọn vệ sinh",
        "đường làng vào sáng chủ nhật hằng tuần.",
        "Những người tham dự ký tên dưới đây.",
    ];
    for (i, l) in lines.iter().enumerate() {
        imageproc::drawing::draw_text_mut(
            &mut img,
            image::Luma([0]),
            250,
            400 + i as i32 * 110,
            ab_glyph::PxScale::from(60.0),
            &font,
            l,
        );
    }
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// A ZIP (Deflate) of the given entries.
pub fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A `kho` command on the embedded deployment of `db` (its data folder, file objects).
pub fn kho(db: &TestDb) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kho"));
    c.env("KHO_DATA_DIR", db.dir().join("data"))
        .env("KHO_DATABASE_URL", &db.url)
        .env("KHO_WORKERS", "2")
        .env_remove("KHO_OBJECT_STORE_URL");
    c
}

/// A PNG whose header claims `w` × `h` grey pixels, all of them present (zeros, which
/// deflate about a thousandfold): a decompression bomb when large.
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &zeros_deflated(h as usize * (w as usize + 1)),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// `n` zero bytes, zlib-compressed, without holding them.
pub fn zeros_deflated(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        z.write_all(&block[..k]).unwrap();
        left -= k;
    }
    z.finish().unwrap()
}
