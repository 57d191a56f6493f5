//! `kho backup` and `kho restore` (issue 8): a deployment with filed documents is backed
//! up, restored into a fresh one, and there every document is listed, served byte for
//! byte as filed, and verifies VALID; the audit trail is intact.

use crate::common::*;
use kho::db::Backend;
use sha2::Digest;

fn run(command: &mut std::process::Command) -> String {
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{command:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn a_backup_restored_into_a_fresh_deployment_verifies_every_document(backend: Backend) {
    let db = TestDb::new(backend).await;
    for (page, holder) in [
        ("samples/pages/straight-01.png", CITIZEN),
        ("samples/pages/jpeg-01.jpg", JPEG_PAGE_HOLDER),
    ] {
        let page = repo_path(page);
        let out = run(kho(&db).args([
            "ingest",
            page.to_str().unwrap(),
            "--owner",
            holder,
            "--wait",
        ]));
        assert!(out.contains("filed"), "{out}");
    }

    let backup = db.dir().join("backup");
    let out = run(kho(&db).arg("backup").arg(&backup));
    assert!(out.contains("backed up 2 documents"), "{out}");
    // Again into the same folder: nothing new to copy.
    let out = run(kho(&db).arg("backup").arg(&backup));
    assert!(out.contains("(0 new)"), "{out}");

    // A fresh deployment with the same key-encryption key, kept apart from backups.
    let fresh = TestDb::new(backend).await;
    std::fs::create_dir_all(fresh.dir().join("data")).unwrap();
    std::fs::copy(
        db.dir().join("data/kek.key"),
        fresh.dir().join("data/kek.key"),
    )
    .unwrap();
    let out = run(kho(&fresh).arg("restore").arg(&backup));
    assert!(out.contains("restored 2 documents"), "{out}");
    let again = kho(&fresh).arg("restore").arg(&backup).output().unwrap();
    assert!(
        !again.status.success(),
        "a second restore over the first is refused"
    );
    let why = String::from_utf8_lossy(&again.stderr);
    assert!(why.contains("fresh"), "{why}");
    let out = run(kho(&fresh).args(["audit", "verify"]));
    assert!(out.contains("audit log intact"), "{out}");

    let (server, base) = spawn_server(kho(&fresh));
    let client = reqwest::Client::new();
    for holder in [CITIZEN, JPEG_PAGE_HOLDER] {
        let token =
            run(kho(&fresh).args(["tokens", "create", "--role", "citizen", "--subject", holder]));
        let token = token.trim();
        let list = get_json_with(
            &client,
            format!("{base}/api/v1/subjects/{holder}/documents"),
            token,
        )
        .await;
        let docs = list["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 1, "{list}");
        for doc in docs {
            let id = doc["id"].as_str().unwrap();
            let r = get_with(&client, format!("{base}/api/v1/documents/{id}/pdf"), token).await;
            assert_eq!(r.status(), 200);
            let pdf = r.bytes().await.unwrap();
            // Byte for byte what the first deployment filed (its objects are named by hash).
            let sha = hex::encode(sha2::Sha256::digest(&pdf));
            let original = db.dir().join(format!(
                "data/objects/sha256/{}/{}/{sha}",
                &sha[..2],
                &sha[2..4]
            ));
            assert!(
                original.exists(),
                "document {id} is not the PDF first filed"
            );
            let file = fresh.dir().join(format!("{id}.pdf"));
            std::fs::write(&file, &pdf).unwrap();
            let out = run(kho(&fresh).arg("verify").arg(&file));
            assert!(out.contains("VALID"), "{out}");
        }
    }
    terminate(server);
    fresh.drop_database().await;
    db.drop_database().await;
}
both_backends!(a_backup_restored_into_a_fresh_deployment_verifies_every_document);
