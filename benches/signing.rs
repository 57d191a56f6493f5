//! Signing and verification cost of a digitized page, in one run: stamping page 1, the
//! two PAdES signatures (custody + seal), the B-LT DSS revision and the two RFC 3161
//! timestamps (the seal's, and the document's for B-LTA) against the time the
//! pipeline takes to read the page (signatures per second, share of per-page time), and
//! the verifier on the
//! signed result against the floor of SHA-512 over the file plus one Ed25519
//! verification (verifications per second, ratio).
//!
//!     OMP_THREAD_LIMIT=1 cargo bench --bench signing     # KHO_BENCH_ROUNDS=20 by default
//!
//! Single-threaded on both sides. Not a test: figures, no assertions.

use std::time::Instant;

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

    let key = || kho::signing::key::SecretKey::generate(kho::signing::key::SealAlgorithm::Ed25519);
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
    let tsa_key = key();
    let tsa_cert = certs::issue(
        CertKind::Tsa,
        certs::name("Kho Time-Stamping Authority", "Kho")?,
        &tsa_key,
        root.tbs_certificate().subject().clone(),
        &root_key,
        Some("http://127.0.0.1:8080/api/v1/trust/crl".into()),
        10,
    )?;
    let stamper = kho::signing::tsp::TimeStamper::Local(Box::new(kho::signing::keys::Signer {
        id: "tsa".into(),
        name: "Kho Time-Stamping Authority".into(),
        key: tsa_key,
        chain: vec![tsa_cert.clone(), root.clone()],
    }));
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let info = |name: &str| pades::SignatureInfo {
        name: name.into(),
        reason: "bench".into(),
        time: now,
        document_id: None,
    };
    let (mut stamp_secs, mut sign_secs, mut ltv_secs, mut seal_ts_secs, mut doc_ts_secs) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let chain_certs = [staff.clone(), seal.clone(), root.clone(), tsa_cert.clone()];
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
            None,
        )?;
        let sealed = pades::sign(
            &one,
            &seal_key,
            &[seal.clone(), root.clone()],
            &info("seal"),
            None,
        )?;
        sign_secs += t.elapsed().as_secs_f64();
        std::hint::black_box(sealed);
        // The seal as filing makes it, with its signature timestamp (B-T).
        let t = Instant::now();
        let sealed = pades::sign(
            &one,
            &seal_key,
            &[seal.clone(), root.clone()],
            &info("seal"),
            Some(&stamper),
        )?;
        seal_ts_secs += t.elapsed().as_secs_f64();
        // PAdES B-LT as filing does it: a fresh CRL, then the DSS revision.
        let t = Instant::now();
        let crl = certs::crl(&root, &root_key, vec![], 7)?;
        let with_dss = kho::signing::ltv::add_dss(&sealed, &chain_certs, &[crl])?;
        ltv_secs += t.elapsed().as_secs_f64();
        // B-LTA: the document timestamp over it all.
        let t = Instant::now();
        std::hint::black_box(pades::timestamp(&with_dss, &stamper)?);
        doc_ts_secs += t.elapsed().as_secs_f64();
    }
    let (stamped, _) = stamp::stamp(&out.pdf, &data, &[])?;
    let one = pades::sign(
        &stamped,
        &staff_key,
        &[staff.clone(), root.clone()],
        &info("staff"),
        None,
    )?;
    let signed = pades::sign(
        &one,
        &seal_key,
        &[seal.clone(), root.clone()],
        &info("seal"),
        None,
    )?;
    let roots = [root.clone()];
    assert_eq!(
        kho::verify::verify(&signed, &roots).verdict,
        kho::verify::Verdict::Valid
    );
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(kho::verify::verify(&signed, &roots));
    }
    let verify_secs = t.elapsed().as_secs_f64() / rounds as f64;
    let message = b"the signed attributes of one signature";
    let kho::signing::key::SecretKey::Ed25519(ed_key) = &seal_key else {
        unreachable!("the bench's keys are Ed25519")
    };
    let signature = ed25519_dalek::Signer::sign(ed_key, message);
    let public = ed_key.verifying_key();
    let t = Instant::now();
    for _ in 0..rounds {
        use sha2::Digest;
        std::hint::black_box(sha2::Sha512::digest(&signed));
        std::hint::black_box(public.verify_strict(message, &signature).is_ok());
    }
    let floor_secs = t.elapsed().as_secs_f64() / rounds as f64;

    let (stamp_ms, sign_ms, ltv_ms) = (
        1000.0 * stamp_secs / rounds as f64,
        1000.0 * sign_secs / rounds as f64,
        1000.0 * ltv_secs / rounds as f64,
    );
    // The signature timestamp's cost: the timestamped seal less a plain one.
    let seal_ts_ms = (1000.0 * seal_ts_secs / rounds as f64 - sign_ms / 2.0).max(0.0);
    let doc_ts_ms = 1000.0 * doc_ts_secs / rounds as f64;
    let long_term_ms = ltv_ms + seal_ts_ms + doc_ts_ms;
    let per_page = page_secs * 1000.0 + stamp_ms + sign_ms + long_term_ms;
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
        "DSS (B-LT: 4 certificates + a fresh CRL): {ltv_ms:8.1} ms  ({:.2} % of reading the page)",
        100.0 * ltv_ms / (page_secs * 1000.0)
    );
    println!(
        "signature timestamp on the seal (B-T): {seal_ts_ms:8.1} ms;  document timestamp (B-LTA): {doc_ts_ms:8.1} ms"
    );
    println!(
        "DSS + two timestamps per document:   {long_term_ms:8.1} ms  ({:.2} % of reading the page)",
        100.0 * long_term_ms / (page_secs * 1000.0)
    );
    println!(
        "share of per-page time on stamping, signing, the DSS and timestamps: {:.1} %",
        100.0 * (stamp_ms + sign_ms + long_term_ms) / per_page
    );
    println!(
        "verify the signed PDF ({} kB, 2 signatures): {:8.2} ms  ({:.1} verifications/s)",
        signed.len() / 1000,
        verify_secs * 1000.0,
        1.0 / verify_secs
    );
    println!(
        "SHA-512 of the file + one Ed25519 verification: {:8.3} ms  (ratio verify/floor {:.1})",
        floor_secs * 1000.0,
        verify_secs / floor_secs
    );
    Ok(())
}
