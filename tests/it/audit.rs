//! The audit trail: what users and the pipeline do is appended to a hash chain, and
//! `kho audit verify` passes on the untouched log and names the first broken link after
//! each kind of tampering done straight in the database (edit, delete, insert, reorder,
//! cut the end, and a rewrite of the whole log that only a signed checkpoint reveals).

use std::process::Command;

use crate::common::*;
use kho::db::Backend;
use kho::db::audit::Event;

/// `kho audit verify` on the test database: (success, what it printed).
fn audit_verify(db: &TestDb) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kho"))
        .env("KHO_DATA_DIR", db.dir().join("cli"))
        .env("KHO_DATABASE_URL", &db.url)
        .env("OMP_THREAD_LIMIT", "1")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn insert(db: &kho::db::Db, e: &Event) {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.seq)
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.detail)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&db.pool)
    .await
    .unwrap();
}

/// Put the log back as it was.
async fn restore(db: &kho::db::Db, events: &[Event]) {
    sqlx::query("DELETE FROM audit_log")
        .execute(&db.pool)
        .await
        .unwrap();
    for e in events {
        insert(db, e).await;
    }
}

async fn exec(db: &kho::db::Db, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&db.pool)
        .await
        .unwrap();
}

async fn tampering_with_the_audit_log_is_found(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    // Events: keys made at first start, an upload, a document signed and filed, a
    // sign-in (and a failed one), a revocation.
    let (doc_id, _) = t.digitize_sample().await;
    account(&t, "can.bo", kho::auth::Role::Staff, None, None).await;
    sign_in(&t, "can.bo").await;
    let failed = t
        .client
        .post(t.url("/login"))
        .form(&[("username", "can.bo"), ("password", "sai mật khẩu rồi")])
        .send()
        .await
        .unwrap();
    assert!(failed.status().is_success() || failed.status().is_client_error());
    let r = t
        .client
        .post(t.url(&format!("/api/v1/documents/{doc_id}/revoke")))
        .bearer_auth(&t.staff_token)
        .json(&serde_json::json!({"reason": "cấp nhầm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let db = &t.app.db;
    let events = kho::db::audit::page(db, 0, 1000).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "key_create",
        "upload",
        "document_signed_filed",
        "sign_in",
        "sign_in_failed",
        "document_revoke",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let filed = events
        .iter()
        .find(|e| e.action == "document_signed_filed")
        .unwrap();
    assert_eq!(filed.subject, doc_id);
    let n = events.len() as i64;
    assert!(n >= 8, "{actions:?}");

    let (ok, said) = audit_verify(&t.db);
    assert!(ok, "{said}");
    assert!(said.contains(&format!("intact: {n} events")), "{said}");

    // Edited.
    exec(
        db,
        "UPDATE audit_log SET detail = '{\"reason\":\"khác\"}' WHERE seq = 4",
    )
    .await;
    let (ok, said) = audit_verify(&t.db);
    assert!(
        !ok && said.contains("broken at event 4") && said.contains("edited"),
        "{said}"
    );
    restore(db, &events).await;
    assert!(audit_verify(&t.db).0);

    // Deleted from the middle.
    exec(db, "DELETE FROM audit_log WHERE seq = 3").await;
    let (ok, said) = audit_verify(&t.db);
    assert!(
        !ok && said.contains("broken at event 3") && said.contains("missing"),
        "{said}"
    );
    restore(db, &events).await;

    // Inserted in the middle: later events moved up by one, a forged event 3 that
    // links correctly to event 2 — event 4 (the old 3) no longer follows it.
    exec(db, "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3").await;
    exec(db, "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000").await;
    let prev = &events[1];
    let detail = "{\"owner\":\"001203004567\"}";
    let forged = Event {
        seq: 3,
        at: prev.at + 1,
        actor: "-".into(),
        action: "document_revoke".into(),
        subject: "x".into(),
        detail: detail.into(),
        prev_hash: prev.hash.clone(),
        hash: kho::audit::link_hash(
            &prev.hash,
            3,
            prev.at + 1,
            "-",
            "document_revoke",
            "x",
            detail,
        ),
    };
    insert(db, &forged).await;
    let (ok, said) = audit_verify(&t.db);
    assert!(
        !ok && said.contains("broken at event 4") && said.contains("inserted"),
        "{said}"
    );
    restore(db, &events).await;

    // Inserted at the end, past the head.
    let last = events.last().unwrap();
    let tail = Event {
        seq: n + 1,
        prev_hash: last.hash.clone(),
        hash: kho::audit::link_hash(&last.hash, n + 1, last.at, "-", "grant", "g", "{}"),
        at: last.at,
        actor: "-".into(),
        action: "grant".into(),
        subject: "g".into(),
        detail: "{}".into(),
    };
    insert(db, &tail).await;
    let (ok, said) = audit_verify(&t.db);
    assert!(
        !ok && said.contains(&format!("broken at event {}", n + 1)),
        "{said}"
    );
    restore(db, &events).await;

    // Reordered: events 2 and 5 swap places.
    exec(db, "UPDATE audit_log SET seq = 1002 WHERE seq = 2").await;
    exec(db, "UPDATE audit_log SET seq = 2 WHERE seq = 5").await;
    exec(db, "UPDATE audit_log SET seq = 5 WHERE seq = 1002").await;
    let (ok, said) = audit_verify(&t.db);
    assert!(!ok && said.contains("broken at event 2"), "{said}");
    restore(db, &events).await;

    // The end cut off.
    exec(db, &format!("DELETE FROM audit_log WHERE seq = {n}")).await;
    let (ok, said) = audit_verify(&t.db);
    assert!(
        !ok && said.contains(&format!("broken at event {n}")),
        "{said}"
    );
    restore(db, &events).await;

    let (ok, said) = audit_verify(&t.db);
    assert!(ok, "restored: {said}");

    // Rewritten whole, every hash recomputed and the head moved along: only a signed
    // checkpoint can tell. Sign one (published at /api/v1/audit/checkpoints) ...
    let cp = kho::audit::checkpoint(&t.app)
        .await
        .unwrap()
        .expect("a new head to sign");
    assert_eq!(cp.seq, n);
    assert!(
        kho::audit::checkpoint(&t.app).await.unwrap().is_none(),
        "once per head"
    );
    let (status, published) = t.get_json("/api/v1/audit/checkpoints").await;
    assert_eq!(status, 200);
    assert_eq!(published["checkpoints"][0]["seq"], n, "{published}");
    assert_eq!(published["checkpoints"][0]["hash"], cp.hash.as_str());
    let (ok, said) = audit_verify(&t.db);
    assert!(ok, "with a checkpoint: {said}");
    // ... then rewrite event 4 and everything after it consistently.
    let mut rewritten = events.clone();
    rewritten[3].detail = "{\"reason\":\"khác\"}".into();
    for i in 3..rewritten.len() {
        let prev = rewritten[i - 1].hash.clone();
        let e = &mut rewritten[i];
        e.prev_hash = prev;
        e.hash = kho::audit::event_hash(e);
    }
    restore(db, &rewritten).await;
    exec(
        db,
        &format!(
            "UPDATE audit_head SET hash = '{}' WHERE id = 1",
            rewritten.last().unwrap().hash
        ),
    )
    .await;
    let (ok, said) = audit_verify(&t.db);
    assert!(
        !ok && said.contains(&format!("broken at event {n}")) && said.contains("rewritten"),
        "{said}"
    );
    restore(db, &events).await;
    exec(
        db,
        &format!("UPDATE audit_head SET hash = '{}' WHERE id = 1", cp.hash),
    )
    .await;
    // A forged checkpoint (its signature altered) is found too.
    exec(
        db,
        &format!(
            "UPDATE audit_checkpoints SET hash = '{}' WHERE seq = {n}",
            events[0].hash
        ),
    )
    .await;
    let (ok, said) = audit_verify(&t.db);
    assert!(!ok && said.contains("bad signature"), "{said}");
    exec(
        db,
        &format!(
            "UPDATE audit_checkpoints SET hash = '{}' WHERE seq = {n}",
            cp.hash
        ),
    )
    .await;
    let (ok, said) = audit_verify(&t.db);
    assert!(ok, "restored: {said}");
    t.finish().await;
}

both_backends!(tampering_with_the_audit_log_is_found);

/// Make every insert into `audit_log` fail (`on` = true) or work again.
async fn refuse_audit_events(db: &kho::db::Db, on: bool) {
    match (db.backend, on) {
        (Backend::Sqlite, true) => {
            exec(
                db,
                "CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_log
                 BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
            )
            .await
        }
        (Backend::Sqlite, false) => exec(db, "DROP TRIGGER audit_refuses").await,
        (Backend::Postgres, true) => {
            exec(
                db,
                "CREATE FUNCTION audit_refuses() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
            )
            .await;
            exec(
                db,
                "CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_log
                 FOR EACH ROW EXECUTE FUNCTION audit_refuses()",
            )
            .await
        }
        (Backend::Postgres, false) => {
            exec(db, "DROP TRIGGER audit_refuses ON audit_log").await;
            exec(db, "DROP FUNCTION audit_refuses()").await
        }
    }
}

/// An action and its audit event commit together: while the event cannot be written,
/// a revocation, an approval's filing, a new account and a token's revocation all roll
/// back and say so, and once events can be written again each happens with its event.
async fn an_action_without_its_event_does_not_happen(backend: Backend) {
    let t = TestApp::spawn(backend, 1, &[]).await;
    let (doc_id, _) = t.digitize_sample().await;
    let db = &t.app.db;
    let before = kho::db::audit::head(db).await.unwrap();
    refuse_audit_events(db, true).await;

    let revoke = || {
        t.client
            .post(t.url(&format!("/api/v1/documents/{doc_id}/revoke")))
            .bearer_auth(&t.staff_token)
            .json(&serde_json::json!({"reason": "cấp nhầm"}))
            .send()
    };
    let r = revoke().await.unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("audit refused"),
        "the cause reached the client: {body}"
    );
    let doc = kho::db::documents::get(db, &doc_id).await.unwrap().unwrap();
    assert_eq!(
        doc.status,
        kho::domain::Status::Valid,
        "revoked without its event"
    );

    let user = kho::db::accounts::NewUser {
        username: "can.bo.moi",
        password_hash: "",
        role: kho::auth::Role::Staff,
        subject_id: None,
        agency: Some("KHO"),
        org_role: None,
        display_name: None,
    };
    let made = kho::accounts::create_user(db, &user, "mật khẩu đủ dài 123").await;
    assert!(made.is_err());
    assert!(
        kho::db::accounts::by_username(db, "can.bo.moi")
            .await
            .unwrap()
            .is_none(),
        "an account was created without its event"
    );

    let token_id = kho::db::tokens::list(db).await.unwrap()[0].id.clone();
    assert!(
        kho::credentials::revoke_token(db, "-", &token_id)
            .await
            .is_err()
    );
    assert!(
        kho::db::tokens::list(db).await.unwrap()[0]
            .revoked_at
            .is_none(),
        "a token was revoked without its event"
    );
    // A batch item that fails on the database says so in words, not with the cause.
    let r = t
        .client
        .post(t.url("/api/v1/batches"))
        .bearer_auth(&t.staff_token)
        .json(&serde_json::json!({"name": "Hộp 3", "owner": CITIZEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let batch: serde_json::Value = r.json().await.unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(STRAIGHT_PAGE).unwrap())
            .file_name("trang-1.png"),
    );
    let r = t
        .client
        .post(t.url(&format!(
            "/api/v1/batches/{}/files",
            batch["id"].as_str().unwrap()
        )))
        .bearer_auth(&t.staff_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let added = r.text().await.unwrap();
    assert!(added.contains("internal error"), "{added}");
    assert!(
        !added.contains("audit refused"),
        "the cause reached the client: {added}"
    );
    let stored = kho::db::batches::items(db, batch["id"].as_str().unwrap())
        .await
        .unwrap();
    assert!(
        !format!("{stored:?}").contains("audit refused"),
        "the cause was stored: {stored:?}"
    );
    assert_eq!(kho::db::audit::head(db).await.unwrap(), before);

    refuse_audit_events(db, false).await;
    let r = revoke().await.unwrap();
    assert_eq!(r.status(), 200);
    kho::accounts::create_user(db, &user, "mật khẩu đủ dài 123")
        .await
        .unwrap();
    assert!(
        kho::credentials::revoke_token(db, "-", &token_id)
            .await
            .unwrap()
    );
    let events = kho::db::audit::page(db, before.0, 100).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["document_revoke", "user_create", "token_revoke"]);
    assert_eq!(events[0].subject, doc_id);
    let (ok, said) = audit_verify(&t.db);
    assert!(ok, "{said}");
    t.finish().await;
}

both_backends!(an_action_without_its_event_does_not_happen);

/// The server as `kho serve` runs it, in this process: its checkpoint loop signs the
/// trail's head once it moved, and a stop lets a request in flight finish before the
/// port closes.
async fn the_running_server_signs_checkpoints_and_stops_gracefully(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &["--audit-checkpoint-secs", "1"]).await;
    // An audited action moves the head.
    let r = t
        .upload(
            CITIZEN,
            &[("page.png", std::fs::read(repo_path(STRAIGHT_PAGE)).unwrap())],
        )
        .await;
    assert_eq!(r.status(), 202);
    let head: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(&t.app.db.pool)
        .await
        .unwrap();
    // Within a few ticks of the loop, the moved head is signed (a checkpoint of the
    // head before the upload may come first, at start).
    let mut published = serde_json::Value::Null;
    for _ in 0..100 {
        let (status, now) = t.get_json("/api/v1/audit/checkpoints").await;
        assert_eq!(status, 200);
        published = now;
        let last = published["checkpoints"].as_array().and_then(|c| c.last());
        if last.is_some_and(|c| c["seq"] == head) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let last = &published["checkpoints"].as_array().unwrap().last().unwrap();
    assert_eq!(last["seq"], head, "{published}");
    // A request in flight when the stop comes (its body half sent) is answered in full.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = t.addr.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    let body = b"%PDF-1.7 and nothing more";
    let head = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/pdf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body[..8]).await.unwrap();
    // Let the server take the connection and read the request's head.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let finish_request = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        conn.write_all(&body[8..]).await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let (answer, ()) = tokio::join!(finish_request, t.stop_server());
    // The verifier's whole verdict on the broken file, after the stop was given.
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""verdict""#), "{answer}");
    t.finish().await;
}

both_backends!(the_running_server_signs_checkpoints_and_stops_gracefully);
