//! The scale-out storage pair: PostgreSQL and a real S3 server on loopback (moto's
//! server, from the test venv). `kho ingest --wait` files a document whose objects land
//! in the bucket, and `kho serve` serves them back.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_filed_on_postgres_and_s3_are_stored_in_the_bucket_and_served_back() {
    let s3 = S3Server::start("kho-test").await;
    let db = TestDb::new(Backend::Postgres).await;
    let kho = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kho"));
        c.env("KHO_DATA_DIR", db.dir().join("data"))
            .env("KHO_DATABASE_URL", &db.url)
            .env("KHO_OBJECT_STORE_URL", "s3://kho-test/vault")
            .env("KHO_S3_ENDPOINT", &s3.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("KHO_WORKERS", "2");
        c
    };
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
