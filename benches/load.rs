//! Load figures (issue 8): requests per second and latency (median, 99th percentile) of
//! verification (`POST /api/v1/verify` with a document Kho signed) and of repository
//! listing (`GET /api/v1/subjects/{owner}/documents`, a random owner each time) against
//! `kho serve` on PostgreSQL, from a load generator on loopback in the same run, at each
//! size in KHO_LOAD_SIZES: documents of one owner in five (10,000 documents of 2,000
//! owners; 1,000,000 documents of 200,000 owners), then the ratio of the largest to the
//! smallest.
//!
//!     cargo bench --bench load     # KHO_LOAD_SIZES=10000,1000000 KHO_LOAD_SECS=20
//!                                  # KHO_LOAD_CONCURRENCY=16, PostgreSQL from
//!                                  # KHO_BENCH_POSTGRES_URL or KHO_TEST_POSTGRES_URL
//!
//! One real document is filed through the pipeline (`kho ingest --wait`); the others are
//! written straight into the database by set-based SQL as filing would leave them
//! (subject, scan, job, document, search row). The server and the load generator share
//! this machine's cores. Not a test: figures, no assertions.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CITIZEN: &str = "001203004567";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Owner `i` (1-based) of the synthetic documents: a valid personal ID.
const OWNER_SQL: &str = "'0012' || lpad(%::text, 8, '0')";

fn owner(i: u64) -> String {
    format!("0012{i:08}")
}

/// Write `docs` documents of `owners` owners, set-based, as filing leaves them.
async fn seed(url: &str, docs: u64, owners: u64) -> anyhow::Result<()> {
    let pool = sqlx::AnyPool::connect(url).await?;
    let o = |expr: &str| OWNER_SQL.replace('%', expr);
    let statements = [
        format!(
            "INSERT INTO subjects (id, kind, created_at)
             SELECT {}, 'citizen', 0 FROM generate_series(1, {owners}) g",
            o("g")
        ),
        format!(
            "INSERT INTO scans (id, owner_id, file_count, page_count, total_bytes, created_at)
             SELECT 'scan-' || g, {}, 1, 1, 1, g FROM generate_series(1, {docs}) g",
            o(&format!("((g - 1) % {owners} + 1)"))
        ),
        format!(
            "INSERT INTO jobs (id, kind, scan_id, state, max_attempts, run_after, created_at, updated_at)
             SELECT 'job-' || g, 'digitize', 'scan-' || g, 'done', 1, 0, g, g
             FROM generate_series(1, {docs}) g"
        ),
        format!(
            "INSERT INTO documents (id, owner_id, scan_id, job_id, title, doc_type, number,
                 issued_on, status, pdf_sha256, pdf_bytes, page_count, mean_confidence, ocr_text,
                 pages_json, fields_json, pipeline_version, created_at, agency, source)
             SELECT md5('doc' || g)::uuid::text, {}, 'scan-' || g, 'job-' || g,
                 'Giấy khai sinh', 'Giấy khai sinh', g || '/QĐ-UBND', '2020-01-02', 'valid',
                 md5('a' || g) || md5('b' || g), 1, 1, 90.0, 'Giấy khai sinh số ' || g,
                 '[]', '{{}}', 'bench', g, 'KHO', 'scan'
             FROM generate_series(1, {docs}) g",
            o(&format!("((g - 1) % {owners} + 1)"))
        ),
        "INSERT INTO search_docs (document_id, owner_id, exact, folded)
             SELECT id, owner_id, 'giấy khai sinh ' || number, 'giay khai sinh ' || number
             FROM documents WHERE pipeline_version = 'bench'"
            .to_owned(),
        "ANALYZE".to_owned(),
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}

/// A deployment on database `url` with its data under `dir`.
fn kho(url: &str, dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kho"));
    c.env("KHO_DATA_DIR", dir)
        .env("KHO_DATABASE_URL", url)
        .env("OMP_THREAD_LIMIT", "1")
        .env_remove("KHO_OBJECT_STORE_URL");
    c
}

fn output(c: &mut Command) -> anyhow::Result<String> {
    let out = c.output()?;
    anyhow::ensure!(
        out.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

fn serve(mut c: Command) -> anyhow::Result<(Child, String)> {
    use std::io::{BufRead, BufReader};
    let mut child = c
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KHO_WORKERS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| anyhow::anyhow!("serve printed no URL: {line:?}"))?
        .to_owned();
    Ok((child, base))
}

/// What one kind of request did over the measured time.
struct Figures {
    requests: usize,
    errors: usize,
    rps: f64,
    median_ms: f64,
    p99_ms: f64,
}

/// Send requests made by `make` from `concurrency` tasks for `secs` seconds.
async fn hammer<F, Fut>(concurrency: usize, secs: f64, make: F) -> Figures
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..concurrency {
        let make = make.clone();
        tasks.spawn(async move {
            let (mut times, mut errors) = (Vec::new(), 0);
            let mut rng =
                0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407);
            while Instant::now() < until {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let t0 = Instant::now();
                let ok = make(rng).await;
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
                errors += usize::from(!ok);
            }
            (times, errors)
        });
    }
    let (mut times, mut errors) = (Vec::new(), 0);
    while let Some(r) = tasks.join_next().await {
        let (t, e) = r.expect("load task");
        times.extend(t);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |f: f64| times[((times.len() as f64 * f).ceil() as usize).saturating_sub(1)];
    Figures {
        requests: times.len(),
        errors,
        rps: times.len() as f64 / elapsed,
        median_ms: p(0.5),
        p99_ms: p(0.99),
    }
}

async fn measure(
    admin: &str,
    docs: u64,
    secs: f64,
    concurrency: usize,
) -> anyhow::Result<(Figures, Figures)> {
    let name = format!("kho_load_{}_{docs}", std::process::id());
    let pool = sqlx::AnyPool::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await?;
    let base_url = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    let url = format!("{base_url}/{name}");
    let dir = tempfile::tempdir()?;
    let result = async {
        let page = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/pages/straight-01.png");
        output(kho(&url, dir.path()).args(["ingest", page, "--owner", CITIZEN, "--wait"]))?;
        let owners = (docs / 5).max(1);
        let t = Instant::now();
        seed(&url, docs - 1, owners).await?;
        println!(
            "{docs} documents of {owners} owners: seeded in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        let token = output(
            kho(&url, dir.path()).args(["tokens", "create", "--role", "staff", "--agency", "KHO"]),
        )?
        .trim()
        .to_owned();
        let (mut server, base) = serve(kho(&url, dir.path()))?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()?;
        let list: serde_json::Value = client
            .get(format!("{base}/api/v1/subjects/{CITIZEN}/documents"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let id = list["documents"][0]["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("the filed document is not listed: {list}"))?;
        let pdf = client
            .get(format!("{base}/api/v1/documents/{id}/pdf"))
            .bearer_auth(&token)
            .send()
            .await?
            .bytes()
            .await?;
        let first: serde_json::Value = client
            .post(format!("{base}/api/v1/verify"))
            .body(pdf.clone())
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(
            first["verdict"] == "VALID",
            "the document does not verify: {first}"
        );
        let sample: serde_json::Value = client
            .get(format!(
                "{base}/api/v1/subjects/{}/documents",
                owner(owners)
            ))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(
            sample["documents"]
                .as_array()
                .is_some_and(|d| !d.is_empty()),
            "a seeded owner lists nothing: {sample}"
        );

        let (c, b, tk) = (client.clone(), base.clone(), token.clone());
        let listing = hammer(concurrency, secs, move |r| {
            let (c, b, tk) = (c.clone(), b.clone(), tk.clone());
            async move {
                let o = owner(r % owners + 1);
                let url = format!("{b}/api/v1/subjects/{o}/documents");
                match c.get(url).bearer_auth(&tk).send().await {
                    Ok(resp) => resp.status() == 200 && resp.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
        let (c, b) = (client.clone(), base.clone());
        let verifying = hammer(concurrency, secs, move |_| {
            let (c, b, pdf) = (c.clone(), b.clone(), pdf.clone());
            async move {
                match c.post(format!("{b}/api/v1/verify")).body(pdf).send().await {
                    Ok(resp) => resp.status() == 200 && resp.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
        let _ = server.kill();
        let _ = server.wait();
        anyhow::Ok((listing, verifying))
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&pool)
    .await?;
    result
}

fn show(what: &str, f: &Figures) {
    println!(
        "  {what:<12} {:>8.1} req/s   median {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
        f.rps, f.median_ms, f.p99_ms, f.requests, f.errors
    );
}

fn main() -> anyhow::Result<()> {
    let sizes: Vec<u64> = std::env::var("KHO_LOAD_SIZES")
        .unwrap_or_else(|_| "10000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let secs: f64 = env_or("KHO_LOAD_SECS", 20.0);
    let concurrency: usize = env_or("KHO_LOAD_CONCURRENCY", 16);
    let admin = std::env::var("KHO_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("KHO_TEST_POSTGRES_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    sqlx::any::install_default_drivers();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let mut all = Vec::new();
        for &docs in &sizes {
            let (listing, verifying) = measure(&admin, docs, secs, concurrency).await?;
            println!("{docs} documents, {concurrency} concurrent clients, {secs} s each:");
            show("listing", &listing);
            show("verification", &verifying);
            all.push((docs, listing, verifying));
        }
        if let (Some(small), Some(large)) = (all.first(), all.last())
            && all.len() > 1
        {
            println!(
                "{} vs {} documents: listing {:.2}× the requests per second, p99 {:.2}×; verification {:.2}×, p99 {:.2}×",
                large.0,
                small.0,
                large.1.rps / small.1.rps,
                large.1.p99_ms / small.1.p99_ms,
                large.2.rps / small.2.rps,
                large.2.p99_ms / small.2.p99_ms,
            );
        }
        anyhow::Ok(())
    })
}
