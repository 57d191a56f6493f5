//! Signing cost: stamping page 1 and the two PAdES signatures (custody + seal) of a
//! digitized page, against the time the pipeline takes to read that page, in one run.
//! Prints signatures per second and the share of per-page time spent on stamping and
//! signing.
//!
//!     OMP_THREAD_LIMIT=1 cargo bench --bench signing     # KHO_BENCH_ROUNDS=20 by default
//!
//! Single-threaded on both sides. Not a test: figures, no assertions.

use std::time::Instant;

use ed25519_dalek::SigningKey;
use kho::signing::certs::{self, CertKind};
use kho::signing::{pades, stamp};

fn main() -> anyhow::Result<()> {
    kho::ocr_env::ensure_single_threaded_tesseract()?;
    let rounds: usize = std::env::var("KHO_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let page = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/pages/straight-01.png"
    ))?;
    let pipeline = kho_workers::Pipeline::new(kho_workers::PipelineConfig {
        threads: 1,
        ..Default::default()
    })?;
    // Warm the engine, then time the page.
    let out = pipeline.process(&[&page], None)?;
    let reads = 3;
    let t = Instant::now();
    for _ in 0..reads {
        pipeline.process(&[&page], None)?;
    }
    let page_secs = t.elapsed().as_secs_f64() / reads as f64;

    let key = || SigningKey::from_bytes(&rand::random());
    let (root_key, staff_key, seal_key) = (key(), key(), key());
    let root_name = certs::name("Kho Root CA", "Kho")?;
    let root = certs::issue(
        CertKind::Root,
        root_name.clone(),
        &root_key,
        root_name.clone(),
        &root_key,
        None,
        20,
    )?;
    let staff = certs::issue(
        CertKind::Staff,
        certs::name("Nguyễn Văn An", "Kho")?,
        &staff_key,
        root_name.clone(),
        &root_key,
        Some("http://127.0.0.1:8080/api/v1/trust/crl".into()),
        2,
    )?;
    let seal = certs::issue(
        CertKind::Agency,
        certs::name("Trung tâm Lưu trữ số Kho", "Kho")?,
        &seal_key,
        root_name,
        &root_key,
        Some("http://127.0.0.1:8080/api/v1/trust/crl".into()),
        5,
    )?;
    let data = stamp::StampData {
        result_code: "90751c5e-7ff3-4de9-8dee-6bd4d9369f97".into(),
        procedure_code: None,
        owner_id: "001203004567".into(),
        document_name: "GIẤY CHỨNG NHẬN".into(),
        issuing_system: "Kho KHO".into(),
        time: 1_795_436_061,
        verify_url: "http://127.0.0.1:8080/v/90751c5e-7ff3-4de9-8dee-6bd4d9369f97".into(),
        signer_line: "Số hóa, ký số: Nguyễn Văn An\nĐóng dấu: Trung tâm Lưu trữ số Kho\nThời gian: 2026-11-23T12:14:21Z".into(),
    };
    let info = |name: &str| pades::SignatureInfo {
        name: name.into(),
        reason: "bench".into(),
        time: 1_795_436_061,
        document_id: None,
    };
    let (mut stamp_secs, mut sign_secs) = (0.0, 0.0);
    for _ in 0..rounds {
        let t = Instant::now();
        let (stamped, _) = stamp::stamp(&out.pdf, &data, &[])?;
        stamp_secs += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let one = pades::sign(
            &stamped,
            &staff_key,
            &[staff.clone(), root.clone()],
            &info("staff"),
        )?;
        pades::sign(
            &one,
            &seal_key,
            &[seal.clone(), root.clone()],
            &info("seal"),
        )?;
        sign_secs += t.elapsed().as_secs_f64();
    }
    let (stamp_ms, sign_ms) = (
        1000.0 * stamp_secs / rounds as f64,
        1000.0 * sign_secs / rounds as f64,
    );
    let per_page = page_secs * 1000.0 + stamp_ms + sign_ms;
    println!(
        "page read (decode → PDF/A), 1 thread: {:8.1} ms",
        page_secs * 1000.0
    );
    println!("stamp page 1 (QR + line):            {stamp_ms:8.1} ms");
    println!(
        "two PAdES signatures:                {sign_ms:8.1} ms  ({:.1} signatures/s, {} kB PDF)",
        2.0 * rounds as f64 / sign_secs,
        out.pdf.len() / 1000
    );
    println!(
        "share of per-page time on stamping and signing: {:.1} %",
        100.0 * (stamp_ms + sign_ms) / per_page
    );
    Ok(())
}
