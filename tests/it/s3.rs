//! The scale-out deployment: PostgreSQL and a real S3 server on loopback (moto's
//! server, from the test venv). `kho ingest --wait` files a document whose objects land
//! in the bucket, and `kho serve` serves them back; two `kho serve` and two
//! `kho worker` processes share them while workers and an API process are killed.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use kho::db::Backend;

/// A moto S3 server on a free loopback port, killed on drop.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    async fn start(bucket: &str) -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv_tool("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server from the test venv (scripts/setup.sh --test)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.put(format!("{endpoint}/{bucket}")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "moto_server did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        S3Server { child, endpoint }
    }

    async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let xml = reqwest::get(format!(
            "{}/{bucket}?list-type=2&prefix={prefix}",
            self.endpoint
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
        xml.split("<Key>")
            .skip(1)
            .map(|s| s.split("</Key>").next().unwrap().to_owned())
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kho` command for a deployment on PostgreSQL `db` and the bucket `bucket` of `s3`.
fn kho_on(db: &TestDb, s3: &S3Server, bucket: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kho"));
    c.env("KHO_DATA_DIR", db.dir().join("data"))
        .env("KHO_DATABASE_URL", &db.url)
        .env("KHO_OBJECT_STORE_URL", format!("s3://{bucket}/vault"))
        .env("KHO_S3_ENDPOINT", &s3.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("KHO_WORKERS", "2");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_filed_on_postgres_and_s3_are_stored_in_the_bucket_and_served_back() {
    let s3 = S3Server::start("kho-test").await;
    let db = TestDb::new(Backend::Postgres).await;
    let kho = || kho_on(&db, &s3, "kho-test");
    let out = kho()
        .args([
            "ingest",
            repo_path(STRAIGHT_PAGE).to_str().unwrap(),
            "--owner",
            CITIZEN,
            "--wait",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The original and the PDF are in the bucket under their hashes, and nowhere else.
    let keys = s3.keys("kho-test", "vault/").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with("vault/sha256/")),
        "{keys:?}"
    );
    assert!(
        !db.dir().join("data/objects").exists(),
        "nothing written to the local folder"
    );

    let out = kho()
        .args(["tokens", "create", "--role", "staff", "--agency", "KHO"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let mut cmd = kho();
    cmd.env("KHO_WORKERS", "0");
    let (server, base) = spawn_server(cmd);
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let list: serde_json::Value = get_json_with(
        &client,
        format!("{base}/api/v1/subjects/{CITIZEN}/documents"),
        &token,
    )
    .await;
    let id = list["documents"][0]["id"]
        .as_str()
        .expect("one document")
        .to_owned();
    let doc: serde_json::Value =
        get_json_with(&client, format!("{base}/api/v1/documents/{id}"), &token).await;
    let sha = doc["sha256"].as_str().unwrap();
    assert!(
        keys.iter().any(|k| k.ends_with(sha)),
        "the PDF's object is {sha}: {keys:?}"
    );
    let pdf = get_with(&client, format!("{base}/api/v1/documents/{id}/pdf"), &token)
        .await
        .bytes()
        .await
        .unwrap();
    let truth = std::fs::read_to_string(repo_path(STRAIGHT_TRUTH)).unwrap();
    assert!(cer(&truth, &pdftotext(&pdf)) <= 0.01);
    terminate(server);
    db.drop_database().await;
}

/// Upload one two-page scan to `base` under an idempotency `key`: its job id when
/// accepted (202), `None` when the request failed (the server died) or was refused.
async fn upload_scan(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    page: &[u8],
    key: &str,
) -> Option<String> {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(page.to_vec()).file_name("p1.png"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(page.to_vec()).file_name("p2.png"),
        );
    let r = client
        .post(format!("{base}/api/v1/subjects/{CITIZEN}/scans"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .multipart(form)
        .send()
        .await
        .ok()?;
    if r.status() != 202 {
        return None;
    }
    let body: serde_json::Value = r.json().await.ok()?;
    body["job_id"].as_str().map(str::to_owned)
}

/// The scale-out deployment under crashes: two `kho serve` (API only) and two
/// `kho worker` processes on PostgreSQL and S3. 100 two-page scans are uploaded through
/// both servers while one of them is SIGKILLed mid-stream and restarted (an upload it
/// did not answer is sent again, with its Idempotency-Key, through the other); workers
/// are SIGKILLed at random moments 20 times while they digitize and restarted.
/// Afterwards every upload was accepted once: 100 scans, each in exactly one document
/// of its two pages, and every document verifies VALID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_and_api_processes_lose_and_duplicate_nothing() {
    const SCANS: usize = 100;
    let s3 = S3Server::start("kho-scale").await;
    let db = TestDb::new(Backend::Postgres).await;
    let kho = || {
        let mut c = kho_on(&db, &s3, "kho-scale");
        // Short leases, so a killed worker's job is taken over within seconds. A job
        // whose worker died is an attempt; more attempts than kills, so no job can run
        // out of them here (in service, 5 guard against a page that kills its worker).
        c.env("KHO_JOB_LEASE_SECS", "3")
            .env("KHO_JOB_MAX_ATTEMPTS", "30")
            .env("KHO_JOB_POLL_MS", "100")
            .env("KHO_JOB_RETRY_BASE_MS", "100")
            .env("OMP_THREAD_LIMIT", "1");
        c
    };
    let out = kho()
        .args(["tokens", "create", "--role", "staff", "--agency", "KHO"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let api = || {
        let mut c = kho();
        c.env("KHO_WORKERS", "0");
        spawn_server(c)
    };
    let worker = || {
        let mut c = kho();
        c.env("KHO_WORKERS", "1")
            .arg("worker")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c.spawn().unwrap()
    };
    let (server_a, base_a) = api();
    let (server_b, base_b) = api();
    let mut workers = vec![worker(), worker()];
    let page = std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap();
    let client = reqwest::Client::new();

    // Uploads: half through A, half through B, at the same time; A is killed after a
    // few of its uploads and restarted, its stream goes on with the new process. An
    // upload A did not answer is sent again, same key, through B.
    let base_a = std::sync::Arc::new(std::sync::Mutex::new(base_a));
    let stream_a = {
        let (client, token, page) = (client.clone(), token.clone(), page.clone());
        let (base_a, base_b) = (base_a.clone(), base_b.clone());
        tokio::spawn(async move {
            let mut accepted = Vec::new();
            let mut retried = 0;
            for i in 0..SCANS / 2 {
                let key = format!("scan-a-{i}");
                let base = base_a.lock().unwrap().clone();
                match upload_scan(&client, &base, &token, &page, &key).await {
                    Some(job) => accepted.push(job),
                    None => {
                        retried += 1;
                        let job = upload_scan(&client, &base_b, &token, &page, &key).await;
                        accepted.push(job.expect("the retry through B is accepted"));
                        // Go on with the restarted server.
                        while *base_a.lock().unwrap() == base {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
            (accepted, retried)
        })
    };
    let stream_b = {
        let (client, token, page, base_b) =
            (client.clone(), token.clone(), page.clone(), base_b.clone());
        tokio::spawn(async move {
            let mut accepted = Vec::new();
            for i in 0..SCANS / 2 {
                let key = format!("scan-b-{i}");
                accepted.extend(upload_scan(&client, &base_b, &token, &page, &key).await);
            }
            accepted
        })
    };
    let conn = kho::db::Db::connect(&db.url).await.unwrap();
    let scans_recorded = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM scans")
            .fetch_one(&conn.pool)
            .await
            .unwrap()
    };
    while scans_recorded().await < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut server_a = server_a;
    server_a.kill().unwrap();
    server_a.wait().unwrap();
    let (restarted, new_base) = api();
    server_a = restarted;
    *base_a.lock().unwrap() = new_base.clone();

    // Kill a worker at random moments, 20 times, while they digitize.
    let mut moments = Vec::new();
    for _ in 0..20 {
        let wait = rand::random_range(300..2500u64);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let i = rand::random_range(0..workers.len());
        workers[i].kill().unwrap();
        workers[i].wait().unwrap();
        workers[i] = worker();
        moments.push((wait, i));
    }
    let (accepted_a, retried) = stream_a.await.unwrap();
    let accepted_b = stream_b.await.unwrap();
    let accepted: Vec<String> = accepted_a.into_iter().chain(accepted_b).collect();
    assert_eq!(
        accepted.len(),
        SCANS,
        "every upload was accepted ({retried} retried)"
    );

    // Let the workers finish.
    let ended = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM jobs WHERE state NOT IN ('done', 'review', 'failed')",
        )
        .fetch_one(&conn.pool)
        .await
        .unwrap()
    };
    while ended().await > 0 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Every accepted scan: done, one document of its two pages.
    for job_id in &accepted {
        let (job, _) = kho::db::jobs::get(&conn, job_id).await.unwrap().unwrap();
        assert_eq!(
            job.state, "done",
            "job {job_id}: {:?} (kills: {moments:?})",
            job.error
        );
        let doc = kho::db::documents::get(&conn, job.document_id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(doc.page_count, 2, "job {job_id}");
    }
    // No scan — accepted or not — has two documents; every recorded scan has one.
    let twice: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT scan_id FROM documents GROUP BY scan_id HAVING COUNT(*) > 1) t",
    )
    .fetch_one(&conn.pool)
    .await
    .unwrap();
    assert_eq!(twice, 0, "kills: {moments:?}");
    let (scans, documents): (i64, i64) = (
        scans_recorded().await,
        sqlx::query_scalar("SELECT COUNT(*) FROM documents")
            .fetch_one(&conn.pool)
            .await
            .unwrap(),
    );
    assert_eq!(scans, documents, "kills: {moments:?}");
    assert_eq!(scans as usize, SCANS, "a retried upload was recorded once");
    let distinct: std::collections::HashSet<&String> = accepted.iter().collect();
    assert_eq!(distinct.len(), SCANS);
    // Every document verifies, read back through both servers.
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM documents ORDER BY id")
        .fetch_all(&conn.pool)
        .await
        .unwrap();
    for (n, id) in ids.iter().enumerate() {
        let base = if n % 2 == 0 { &new_base } else { &base_b };
        let pdf = get_with(&client, format!("{base}/api/v1/documents/{id}/pdf"), &token)
            .await
            .bytes()
            .await
            .unwrap();
        let report: serde_json::Value = client
            .post(format!("{base}/api/v1/verify"))
            .body(pdf)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(report["verdict"], "VALID", "{id}: {report}");
    }
    for w in workers {
        terminate(w);
    }
    terminate(server_a);
    terminate(server_b);
    db.drop_database().await;
}
