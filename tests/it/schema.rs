//! Schemathesis (issue 8) against `/api/v1/openapi.json`: generated requests, valid and
//! invalid, to every operation, as records staff; no answer may be a server error, and
//! every documented answer must match its schema and content type.

use crate::common::*;
use kho::db::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_schema() {
    let t = TestApp::spawn(Backend::Sqlite, 0, &[]).await;
    // Something to find: a queued scan of CITIZEN.
    upload_as(&t, CITIZEN, "KHO").await;
    let spec = t.url("/api/v1/openapi.json");
    let auth = format!("Authorization: Bearer {}", t.staff_token);
    let report = t.db.dir().join("schemathesis");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(venv_tool("schemathesis"))
            .args(["run", &spec, "--header", &auth])
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "40",
                "--seed",
                "20261124",
                // One worker: CPython 3.11's ast module is not thread-safe, and Hypothesis
                // parses sources when it describes strategies ("AST constructor recursion
                // depth mismatch" with two).
                "--workers",
                "1",
                "--suppress-health-check",
                "all",
                "--continue-on-failure",
                "--output-truncate",
                "false",
                "--report-dir",
            ])
            .arg(&report)
            .env("NO_COLOR", "1")
            .env("PYTHONPATH", repo_path("tests"))
            .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
            .output()
            .expect("schemathesis from the test venv (scripts/setup.sh --test)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It did test the operations (not an empty run that passes).
    assert!(stdout.contains("passed"), "{stdout}");
    t.finish().await;
}
