//! Search latency at 100,000 documents, on SQLite and (when KHO_BENCH_POSTGRES_URL or
//! KHO_TEST_POSTGRES_URL names a server) PostgreSQL: median and 99th percentile over
//! queries with and without diacritics, phrases, as records staff (what their agency
//! filed: every document here) and as a citizen (one repository).
//!
//!     cargo bench --bench search        # KHO_BENCH_DOCS=100000, KHO_BENCH_QUERIES=300
//!
//! Documents are written straight to the database (subject, scan, job, document and its
//! search row, as filing does), not through OCR. Not a test: figures, no assertions.

use std::time::Instant;

use kho::auth::Visible;
use kho::db::documents::NewDocument;
use kho::search::{self, Filters, Query};

const WORDS: &[&str] = &[
    "giấy",
    "chứng",
    "nhận",
    "quyết",
    "định",
    "đăng",
    "ký",
    "hộ",
    "kinh",
    "doanh",
    "bán",
    "bạn",
    "nhà",
    "ở",
    "đất",
    "quyền",
    "sử",
    "dụng",
    "ủy",
    "ban",
    "nhân",
    "dân",
    "phường",
    "xã",
    "tỉnh",
    "thành",
    "phố",
    "Hà",
    "Nội",
    "Đà",
    "Nẵng",
    "Huế",
    "Cần",
    "Thơ",
    "khai",
    "sinh",
    "giấy",
    "phép",
    "xây",
    "dựng",
    "điều",
    "căn",
    "cứ",
    "luật",
    "nghị",
    "thông",
    "tư",
    "công",
    "dân",
    "địa",
    "chỉ",
    "thường",
    "trú",
    "số",
    "ngày",
    "tháng",
    "năm",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
    fn text(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.next() % WORDS.len()])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn owner(i: usize) -> String {
    // 12-digit personal IDs with a valid province code (001 = Hà Nội).
    format!("0012030{:05}", i % 1000)
}

async fn seed(db: &kho::db::Db, docs: usize) -> anyhow::Result<()> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let now = kho::db::now_ms();
    let mut tx = db.pool.begin().await?;
    for o in 0..1000 {
        sqlx::query("INSERT INTO subjects (id, kind, created_at) VALUES ($1, 'citizen', $2)")
            .bind(owner(o))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    for i in 0..docs {
        let (scan, job, id) = (kho::db::new_id(), kho::db::new_id(), kho::db::new_id());
        let o = owner(i);
        sqlx::query("INSERT INTO scans (id, owner_id, file_count, page_count, total_bytes, created_at) VALUES ($1, $2, 1, 1, 1, $3)")
            .bind(&scan).bind(&o).bind(now).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO jobs (id, kind, scan_id, state, max_attempts, run_after, created_at, updated_at) VALUES ($1, 'digitize', $2, 'done', 1, $3, $3, $3)")
            .bind(&job).bind(&scan).bind(now).execute(&mut *tx).await?;
        let doc = NewDocument {
            id,
            owner_id: o,
            scan_id: scan,
            job_id: job,
            title: Some(rng.text(3)),
            doc_type: Some(["Quyết định", "Giấy chứng nhận", "Giấy phép"][i % 3].into()),
            number: Some(format!("{}/QĐ-UBND", i % 5000)),
            issued_on: Some(format!(
                "20{:02}-{:02}-{:02}",
                10 + i % 15,
                1 + i % 12,
                1 + i % 28
            )),
            status: kho::domain::Status::Valid,
            pdf_sha256: format!("{i:064x}"),
            pdf_bytes: 1,
            page_count: 1,
            mean_confidence: 90.0,
            ocr_text: rng.text(150),
            pages_json: "[]".into(),
            fields_json: "{}".into(),
            pipeline_version: "bench".into(),
            agency: Some("KHO".into()),
            issuer: None,
            valid_from: None,
            valid_to: None,
            source: "scan".into(),
        };
        kho::db::documents::insert(&mut tx, &doc).await?;
        search::index(&mut tx, &doc).await?;
        if i % 5000 == 4999 {
            tx.commit().await?;
            tx = db.pool.begin().await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn measure(db: &kho::db::Db, queries: usize) -> anyhow::Result<(f64, f64)> {
    let mut rng = Rng(42);
    let mut times = Vec::with_capacity(queries);
    let asks = [
        "giay chung nhan",
        "quyết định",
        "\"dang ky ho kinh doanh\"",
        "bán nhà",
        "ban nha",
        "da nang",
        "quyền sử dụng đất",
        "khai sinh",
    ];
    for q in 0..queries {
        let query = Query::parse(asks[q % asks.len()]).expect("words");
        // Half the queries as a citizen (one repository), half as the agency's staff.
        let visible = if q % 2 == 1 {
            Visible::Owner(owner(rng.next()))
        } else {
            Visible::Agency("KHO".into())
        };
        let t = Instant::now();
        std::hint::black_box(search::search(db, &query, &visible, &Filters::default(), 20).await?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |f: f64| times[((times.len() as f64 * f).ceil() as usize).saturating_sub(1)];
    Ok((p(0.5), p(0.99)))
}

async fn run(name: &str, url: &str, docs: usize, queries: usize) -> anyhow::Result<()> {
    let db = kho::db::Db::connect(url).await?;
    db.migrate().await?;
    let t = Instant::now();
    seed(&db, docs).await?;
    println!(
        "{name}: {docs} documents written and indexed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (median, p99) = measure(&db, queries).await?;
    println!(
        "{name}: search latency over {queries} queries: median {median:.1} ms, p99 {p99:.1} ms"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let docs: usize = std::env::var("KHO_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let queries: usize = std::env::var("KHO_BENCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let sqlite = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        run("SQLite", &sqlite, docs, queries).await?;
        let admin = std::env::var("KHO_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("KHO_TEST_POSTGRES_URL"));
        if let Ok(admin) = admin {
            sqlx::any::install_default_drivers();
            let name = format!("kho_bench_{}", std::process::id());
            let pool = sqlx::AnyPool::connect(&admin).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await?;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            let result = run("PostgreSQL", &format!("{base}/{name}"), docs, queries).await;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await?;
            result?;
        } else {
            println!("PostgreSQL: set KHO_BENCH_POSTGRES_URL to measure it too");
        }
        anyhow::Ok(())
    })
}
