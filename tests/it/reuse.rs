//! Accounts, repositories and reuse, end to end on SQLite and PostgreSQL: the full
//! authorization matrix, the consent flow driven by a real OAuth 2.0 client library
//! (Authlib), sign-in rate limiting and CSRF, and issuer push.

use std::collections::HashMap;

use crate::common::*;
use kho::auth::Role;
use kho::db::Backend;

const ORG: &str = COMPANY;

struct World {
    t: TestApp,
    /// Documents: citizen A's two (filed by KHO), citizen B's (KHO), the organization's
    /// (KHO), and one B holds filed by another agency (HN).
    a1: String,
    a2: String,
    b1: String,
    org1: String,
    hn1: String,
    jobs: HashMap<String, String>,
    pki: Pki,
    _roots: tempfile::NamedTempFile,
}

async fn world(backend: Backend) -> World {
    let pki = make_pki();
    let roots = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        roots.path(),
        der::EncodePem::to_pem(&pki.root, der::pem::LineEnding::LF).unwrap(),
    )
    .unwrap();
    let path = roots.path().display().to_string();
    let t = TestApp::spawn(
        backend,
        0,
        &[
            "--agencies",
            "KHO=Trung tâm Lưu trữ số Kho;HN=Sở Tư pháp Hà Nội;BN=Sở Tư pháp tỉnh Bắc Ninh",
            "--issuer-roots",
            &path,
            "--agency-roots",
            &format!("BN={path}"),
        ],
    )
    .await;
    let pdf = unsigned_pdf();
    let mut jobs = HashMap::new();
    let doc = |owner: &'static str, agency: &'static str, ty: &'static str| {
        let t = &t;
        let pdf = pdf.clone();
        async move {
            file_document(
                t,
                owner,
                agency,
                ty,
                "2024-01-02",
                "Giấy chứng nhận đăng ký",
                "UBND",
                &pdf,
            )
            .await
        }
    };
    let (a1, j) = doc(CITIZEN, "KHO", "Giấy chứng nhận").await;
    jobs.insert(a1.clone(), j);
    let (a2, j) = doc(CITIZEN, "KHO", "Quyết định").await;
    jobs.insert(a2.clone(), j);
    let (b1, j) = doc(OTHER_CITIZEN, "KHO", "Giấy chứng nhận").await;
    jobs.insert(b1.clone(), j);
    let (org1, j) = doc(ORG, "KHO", "Giấy chứng nhận").await;
    jobs.insert(org1.clone(), j);
    let (hn1, j) = doc(OTHER_CITIZEN, "HN", "Giấy chứng nhận").await;
    jobs.insert(hn1.clone(), j);
    World {
        t,
        a1,
        a2,
        b1,
        org1,
        hn1,
        jobs,
        pki,
        _roots: roots,
    }
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    Admin,
    Staff,
    OtherStaff,
    Officer,
    Citizen,
    OrgAdmin,
    OrgMember,
    Requester,
    Issuer,
}

const EVERYONE: [Who; 10] = [
    Who::Anonymous,
    Who::Admin,
    Who::Staff,
    Who::OtherStaff,
    Who::Officer,
    Who::Citizen,
    Who::OrgAdmin,
    Who::OrgMember,
    Who::Requester,
    Who::Issuer,
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Own,
    Other,
    Missing,
}

impl World {
    /// The document that is `who`'s own, someone else's, or none.
    fn target(&self, who: Who, target: Target) -> String {
        let missing = "00000000-0000-4000-8000-000000000000".to_owned();
        let (own, other) = match who {
            Who::OrgAdmin | Who::OrgMember => (&self.org1, &self.a1),
            Who::OtherStaff => (&self.hn1, &self.a1),
            Who::Staff | Who::Issuer => (&self.a1, &self.hn1),
            Who::Requester => (&self.a1, &self.a2),
            _ => (&self.a1, &self.b1),
        };
        match target {
            Target::Own => own.clone(),
            Target::Other => other.clone(),
            Target::Missing => missing,
        }
    }

    async fn owner_of(&self, doc: &str) -> String {
        kho::db::documents::get(&self.t.app.db, doc)
            .await
            .unwrap()
            .map(|d| d.owner_id)
            .unwrap_or_else(|| "079199009999".into())
    }
}

/// The documents each caller may see; everything else must never appear in a body.
fn readable(w: &World, who: Who) -> Vec<String> {
    match who {
        Who::Citizen => vec![w.a1.clone(), w.a2.clone()],
        Who::OrgAdmin | Who::OrgMember => vec![w.org1.clone()],
        Who::Staff => vec![w.a1.clone(), w.a2.clone(), w.b1.clone(), w.org1.clone()],
        Who::OtherStaff => vec![w.hn1.clone()],
        Who::Requester => vec![w.a1.clone()],
        _ => vec![],
    }
}

/// The route table: (method, path template, what the own/other/missing statuses are
/// for each caller). `{doc}`, `{owner}`, `{job}` are filled from the target.
fn expected(route: &str, who: Who, target: Target) -> u16 {
    use Target::*;
    use Who::*;
    if who == Anonymous {
        return 401;
    }
    let reads = |who: Who| {
        matches!(
            who,
            Citizen | OrgAdmin | OrgMember | Staff | OtherStaff | Requester
        )
    };
    match route {
        "list" => match (who, target) {
            (Citizen | OrgAdmin | OrgMember | Requester, Own) => 200,
            // Staff list any owner's documents their agency filed (possibly none).
            (Staff | OtherStaff, _) => 200,
            // A requester's "other" is the same owner's unreleased document: the list
            // shows only what the grant releases.
            (Requester, Other) => 200,
            _ => 404,
        },
        "doc" | "pdf" | "original" => match (who, target) {
            (w, Own) if reads(w) => 200,
            _ => 404,
        },
        "job" => match (who, target) {
            (Citizen | OrgAdmin | OrgMember | Staff | OtherStaff, Own) => 200,
            _ => 404,
        },
        "upload" => match (who, target) {
            (Staff | OtherStaff, Own | Other) => 202,
            (Staff | OtherStaff, Missing) => 202,
            _ => 403,
        },
        "revoke" => match (who, target) {
            (Staff | OtherStaff, Own) => 200,
            (Issuer, Own) => 200,
            (Staff | OtherStaff | Issuer, _) => 404,
            _ => 403,
        },
        "search" => 200,
        "grants" | "access-log" => match who {
            Citizen | OrgAdmin => 200,
            _ => 403,
        },
        "grant-revoke" => match (who, target) {
            (Citizen | OrgAdmin, Own) => 200,
            (Citizen | OrgAdmin, _) => 404,
            _ => 403,
        },
        "grant-current" => match who {
            Requester => 200,
            _ => 403,
        },
        "push" => match (who, target) {
            (Issuer, _) => 201,
            _ => 403,
        },
        "requesters" => match who {
            Admin => 201,
            _ => 403,
        },
        "approve" | "review" | "review-pdf" | "review-page" | "reject" => match (who, target) {
            (Staff | OtherStaff, Own) => 200,
            (Staff | OtherStaff, _) => 404,
            _ => 403,
        },
        "reviews" | "batches" => match who {
            Staff | OtherStaff => 200,
            _ => 403,
        },
        _ => unreachable!("{route}"),
    }
}

async fn authorization_matrix(backend: Backend) {
    let w = world(backend).await;
    let t = &w.t;
    // Callers. The requester holds a live grant releasing a1 (and only a1).
    let requester_id = kho::consent::register(
        &t.app.db,
        "Cổng Dịch vụ công thử nghiệm",
        &["http://127.0.0.1:9/cb".into()],
    )
    .await
    .unwrap()
    .0;
    account(t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let citizen_user = kho::db::accounts::by_username(&t.app.db, "citizen-a")
        .await
        .unwrap()
        .unwrap();
    let grant_of = |owner: &'static str, docs: Vec<String>| {
        let db = t.app.db.clone();
        let rid = requester_id.clone();
        let uid = citizen_user.id.clone();
        async move {
            grant_with_code(
                &db,
                &kho::db::grants::NewGrant {
                    client_id: &rid,
                    owner_id: owner,
                    granted_by: &uid,
                    purpose: "Kiểm tra",
                    document_ids: &docs,
                    expires_at: kho::db::now_ms() + 3_600_000,
                },
                &uuid::Uuid::new_v4().to_string(),
                &"x".repeat(43),
            )
            .await
        }
    };
    let grant = grant_of(CITIZEN, vec![w.a1.clone()]).await;
    let access = t.access_token(&grant).await;
    let org_admin = t.token(Role::OrgMember, Some(ORG)).await;
    kho::db::tokens::set_org_role(&t.app.db, &org_admin, "admin")
        .await
        .unwrap();
    let org_member = t.token(Role::OrgMember, Some(ORG)).await;
    kho::db::tokens::set_org_role(&t.app.db, &org_member, "member")
        .await
        .unwrap();
    let mut tokens: HashMap<&'static str, String> = HashMap::new();
    tokens.insert("Admin", t.token(Role::Admin, None).await);
    tokens.insert("Staff", t.staff_token.clone());
    tokens.insert(
        "OtherStaff",
        kho::db::tokens::create(&t.app.db, Role::Staff, None, Some("HN"))
            .await
            .unwrap(),
    );
    tokens.insert("Officer", t.token(Role::Officer, None).await);
    tokens.insert("Citizen", t.token(Role::Citizen, Some(CITIZEN)).await);
    tokens.insert("OrgAdmin", org_admin);
    tokens.insert("OrgMember", org_member);
    tokens.insert("Requester", access);
    tokens.insert("Issuer", t.token(Role::Issuer, None).await);
    let token_of = |who: Who| tokens.get(format!("{who:?}").as_str()).cloned();
    // The same callers signed in on the web: an account of the same role and binding,
    // with its session cookie and CSRF token (requesters and the anonymous have none).
    let mut sessions: Vec<(Who, String, String)> = Vec::new();
    for (who, role, subject, agency, org_role) in [
        (Who::Admin, Role::Admin, None, None, None),
        (Who::Staff, Role::Staff, None, Some("KHO"), None),
        (Who::OtherStaff, Role::Staff, None, Some("HN"), None),
        (Who::Officer, Role::Officer, None, None, None),
        (Who::Citizen, Role::Citizen, Some(CITIZEN), None, None),
        (
            Who::OrgAdmin,
            Role::OrgMember,
            Some(ORG),
            None,
            Some("admin"),
        ),
        (
            Who::OrgMember,
            Role::OrgMember,
            Some(ORG),
            None,
            Some("member"),
        ),
        (Who::Issuer, Role::Issuer, None, Some("KHO"), None),
    ] {
        let username = format!("session-{who:?}").to_lowercase();
        kho::accounts::create_user(
            &t.app.db,
            &kho::db::accounts::NewUser {
                username: &username,
                password_hash: "",
                role,
                subject_id: subject,
                agency,
                org_role,
                display_name: None,
            },
            PASSWORD,
        )
        .await
        .unwrap();
        let user = kho::db::accounts::by_username(&t.app.db, &username)
            .await
            .unwrap()
            .unwrap();
        let (value, csrf) = kho::accounts::start_session(&t.app.db, &user)
            .await
            .unwrap();
        sessions.push((
            who,
            format!("{}={value}", kho::accounts::SESSION_COOKIE),
            csrf,
        ));
    }
    let session_of = |who: Who| {
        sessions
            .iter()
            .find(|s| s.0 == who)
            .map(|s| (s.1.clone(), s.2.clone()))
    };

    let everyone_docs = [&w.a1, &w.a2, &w.b1, &w.org1, &w.hn1];
    let owners = [CITIZEN, OTHER_CITIZEN, ORG];
    let mut checked = 0;
    for via_session in [false, true] {
        for route in [
            "list",
            "doc",
            "pdf",
            "original",
            "job",
            "search",
            "grants",
            "access-log",
            "grant-current",
            "upload",
            "push",
            "requesters",
            "grant-revoke",
            "revoke",
            "approve",
            "reviews",
            "review",
            "review-pdf",
            "review-page",
            "reject",
            "batches",
        ] {
            for who in EVERYONE {
                for target in [Target::Own, Target::Other, Target::Missing] {
                    let doc = w.target(who, target);
                    let owner = w.owner_of(&doc).await;
                    let job = w.jobs.get(&doc).cloned().unwrap_or_else(|| doc.clone());
                    let client = &t.client;
                    let req = match route {
                    "list" => client.get(t.url(&format!("/api/v1/subjects/{owner}/documents"))),
                    "doc" => client.get(t.url(&format!("/api/v1/documents/{doc}"))),
                    "pdf" => client.get(t.url(&format!("/api/v1/documents/{doc}/pdf"))),
                    "original" => client.get(t.url(&format!("/api/v1/documents/{doc}/original"))),
                    "job" => client.get(t.url(&format!("/api/v1/jobs/{job}"))),
                    "search" => client.get(t.url("/api/v1/search?q=giay%20chung%20nhan")),
                    "grants" => client.get(t.url("/api/v1/grants")),
                    "access-log" => client.get(t.url("/api/v1/access-log")),
                    "grant-current" => client.get(t.url("/api/v1/grants/current")),
                    "upload" => multipart(
                        client.post(t.url(&format!("/api/v1/subjects/{owner}/scans"))),
                        &[("file", Some("p.png"), &tiny_png())],
                    ),
                    "push" => multipart(
                        client.post(t.url(&format!("/api/v1/subjects/{owner}/documents"))),
                        &[
                            // A distinct result each time, sealed by the issuer's agency.
                            ("file", Some("kq.pdf"), &sealed_by(t, "KHO", &distinct_unsigned_pdf()).await),
                            ("metadata", None, r#"{"title":"Giấy phép","doc_type":"Giấy phép","issued_on":"2026-01-02"}"#.as_bytes()),
                        ],
                    ),
                    "requesters" => client
                        .post(t.url("/api/v1/requesters"))
                        .json(&serde_json::json!({"name": "X", "redirect_uris": ["https://x.example/cb"]})),
                    "grant-revoke" => {
                        // A fresh grant each time: revoking is not repeatable.
                        let g = match target {
                            // The organization's consents are its admin's own; the
                            // citizen's are the others', and the other way round.
                            Target::Own | Target::Other => {
                                let org = matches!(who, Who::OrgAdmin | Who::OrgMember);
                                if org == (target == Target::Own) {
                                    grant_of(ORG, vec![w.org1.clone()]).await
                                } else {
                                    grant_of(CITIZEN, vec![w.a2.clone()]).await
                                }
                            }
                            Target::Missing => "00000000-0000-4000-8000-000000000000".into(),
                        };
                        client.post(t.url(&format!("/api/v1/grants/{g}/revoke")))
                    }
                    "revoke" => {
                        // A fresh document each time for the callers who may revoke.
                        let d = if target == Target::Own && matches!(who, Who::Staff | Who::OtherStaff | Who::Issuer) {
                            let agency = if who == Who::OtherStaff { "HN" } else { "KHO" };
                            file_document(t, OTHER_CITIZEN, agency, "Giấy phép", "2024-01-01", "x", "UBND", b"%PDF-").await.0
                        } else {
                            doc.clone()
                        };
                        client
                            .post(t.url(&format!("/api/v1/documents/{d}/revoke")))
                            .json(&serde_json::json!({"reason": "cấp nhầm"}))
                    }
                    "reviews" => client.get(t.url("/api/v1/reviews")),
                    "batches" => client.get(t.url("/api/v1/batches")),
                    "approve" | "review" | "review-pdf" | "review-page" | "reject" => {
                        // A fresh review each time, held for the caller's agency (own)
                        // or the other one.
                        let (mine, theirs) = if who == Who::OtherStaff { ("HN", "KHO") } else { ("KHO", "HN") };
                        let review = match target {
                            Target::Own => review_for(&w, mine).await,
                            Target::Other => review_for(&w, theirs).await,
                            Target::Missing => "00000000-0000-4000-8000-000000000000".into(),
                        };
                        match route {
                            "approve" => client.post(t.url(&format!("/api/v1/reviews/{review}/approve"))),
                            "reject" => client
                                .post(t.url(&format!("/api/v1/reviews/{review}/reject")))
                                .json(&serde_json::json!({"reason": "trang mờ"})),
                            "review" => client.get(t.url(&format!("/api/v1/reviews/{review}"))),
                            "review-page" => client.get(t.url(&format!("/api/v1/reviews/{review}/pages/1"))),
                            _ => client.get(t.url(&format!("/api/v1/reviews/{review}/pdf"))),
                        }
                    }
                    _ => unreachable!(),
                };
                    let req = match (via_session, session_of(who), token_of(who)) {
                        (true, Some((cookie, csrf)), _) => {
                            req.header("cookie", cookie).header("x-csrf-token", csrf)
                        }
                        (_, _, Some(tok)) => req.bearer_auth(tok),
                        _ => req,
                    };
                    // A refusal may come before the upload's body is sent; the client then
                    // sees a broken pipe, as any HTTP client may, and sends again.
                    let mut r = req.try_clone().unwrap().send().await;
                    for _ in 0..3 {
                        if r.is_ok() {
                            break;
                        }
                        r = req.try_clone().unwrap().send().await;
                    }
                    let r = r.unwrap();
                    let status = r.status().as_u16();
                    let body = r.bytes().await.unwrap();
                    let text = String::from_utf8_lossy(&body);
                    let want = expected(route, who, target);
                    let via = if via_session && session_of(who).is_some() {
                        "session"
                    } else {
                        "token"
                    };
                    assert_eq!(
                        status, want,
                        "{route} as {who:?} ({via}) on {target:?}: {text}"
                    );
                    // No other owner's data in any body.
                    let mine = readable(&w, who);
                    for d in everyone_docs {
                        if !(mine.contains(d) || route == "push" || route == "upload") {
                            assert!(
                                !text.contains(d.as_str()),
                                "{route} as {who:?} on {target:?} shows {d}: {text}"
                            );
                        }
                    }
                    if matches!(who, Who::Citizen | Who::Requester) {
                        for o in owners.iter().filter(|o| **o != CITIZEN) {
                            assert!(!text.contains(o), "{route} as {who:?} shows owner {o}");
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 21 * 10 * 3);
    // Search: each caller finds exactly what is theirs.
    for who in EVERYONE.into_iter().filter(|w| *w != Who::Anonymous) {
        let (s, body) = search_ids(t, &token_of(who).unwrap()).await;
        assert_eq!(s, 200);
        for d in &body {
            assert!(readable(&w, who).contains(d), "search as {who:?} found {d}");
        }
    }
    w.t.finish().await;
}

/// A multipart/form-data body held in memory (so the request can be sent again).
fn multipart(
    req: reqwest::RequestBuilder,
    parts: &[(&str, Option<&str>, &[u8])],
) -> reqwest::RequestBuilder {
    let boundary = "kho-test-boundary-5b1c";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = file {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    req.header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    )
    .body(body)
}

async fn search_ids(t: &TestApp, token: &str) -> (u16, Vec<String>) {
    let r = get_with(
        &t.client,
        t.url("/api/v1/search?q=giay%20chung%20nhan"),
        token,
    )
    .await;
    let s = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap();
    (
        s,
        v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect(),
    )
}

/// A review held for a scan uploaded by `agency`'s staff, with a real draft PDF.
async fn review_for(w: &World, agency: &str) -> String {
    let t = &w.t;
    let (job_id, scan_id) = upload_as(t, CITIZEN, agency).await;
    let pdf = unsigned_pdf();
    let sha = t
        .app
        .store
        .put(bytes::Bytes::from(pdf.clone()))
        .await
        .unwrap();
    let draft = kho::db::documents::NewDocument {
        title: Some("Bản nháp".into()),
        mean_confidence: 10.0,
        owner_id: CITIZEN.into(),
        ..new_document(CITIZEN, agency, &scan_id, &job_id, &sha, pdf.len())
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = t.app.db.pool.begin().await.unwrap();
    kho::db::reviews::insert(&mut tx, &id, &draft, &[], &[])
        .await
        .unwrap();
    // Its job waits in `review`, as the quality gate leaves it.
    sqlx::query("UPDATE jobs SET state = 'review' WHERE id = $1")
        .bind(&job_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

both_backends!(authorization_matrix);

fn requester_py(args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(venv_tool("python"))
        .arg(repo_path("tests/oauth/requester.py"))
        .args(args)
        .output()
        .expect("the test venv's python runs (scripts/setup.sh --test)");
    assert!(
        out.status.success(),
        "requester.py {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The consent flow with Authlib as the requester and a citizen's browser session:
/// authorize, consent, PKCE exchange, pull the released document, not the other; a
/// reused code and a wrong verifier are refused; after revocation and after expiry the
/// tokens stop working; the owner's access log shows the pulls.
async fn consent_flow_with_a_real_oauth_client(backend: Backend) {
    let w = world(backend).await;
    let t = &w.t;
    account(t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let redirect = "http://127.0.0.1:9/callback";
    let (client_id, secret) = kho::consent::register(
        &t.app.db,
        "Cổng Dịch vụ công thử nghiệm",
        &[redirect.into()],
    )
    .await
    .unwrap();
    let meta: serde_json::Value = t
        .client
        .get(t.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["token_endpoint"], t.url("/oauth/token"));
    assert_eq!(meta["code_challenge_methods_supported"][0], "S256");

    let out = requester_py(&[
        "flow",
        &t.addr,
        &client_id,
        &secret,
        redirect,
        "citizen-a",
        PASSWORD,
        &w.a1,
        &w.a2,
    ]);
    assert_eq!(out["page_names_requester_and_purpose"], true, "{out}");
    assert_eq!(
        out["page_offers_unreleased"], true,
        "the citizen chooses among all valid documents"
    );
    assert_eq!(out["token_type"], "Bearer");
    assert_eq!(out["pull_released"], serde_json::json!([200, "%PDF-"]));
    assert_eq!(out["pull_released_metadata"], 200);
    assert_eq!(out["pull_unreleased"], 404);
    assert_eq!(out["current_documents"], serde_json::json!([w.a1]));
    assert_eq!(out["code_reuse"], serde_json::json!([400, "invalid_grant"]));
    assert_eq!(out["wrong_verifier"], "invalid_grant");
    assert_eq!(out["denied"], true);
    assert_eq!(out["pull_b"], 200);

    // The citizen revokes grant A on the consents page.
    let (cookie, csrf) = sign_in(t, "citizen-a").await;
    let grant_a = out["grant_a"].as_str().unwrap();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(t.url(&format!("/me/grants/{grant_a}/revoke")))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = requester_py(&["pull", &t.addr, out["token_a"].as_str().unwrap(), &w.a1]);
    assert_eq!(after["status"], 401, "a revoked consent reads nothing");
    // Grant B expires: its time passes (moved into the past in the database).
    sqlx::query("UPDATE grants SET expires_at = $1 WHERE id = $2")
        .bind(kho::db::now_ms() - 1)
        .bind(out["grant_b"].as_str().unwrap())
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    let after = requester_py(&["pull", &t.addr, out["token_b"].as_str().unwrap(), &w.a1]);
    assert_eq!(after["status"], 401, "an expired consent reads nothing");

    // The owner sees every pull: who, which document, what, for what purpose.
    let citizen = t.token(Role::Citizen, Some(CITIZEN)).await;
    let log = get_json_with(&t.client, t.url("/api/v1/access-log"), &citizen).await;
    let pulls = log["pulls"].as_array().unwrap();
    let actions: Vec<&str> = pulls
        .iter()
        .map(|p| p["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "pdf").count(), 2, "{log}");
    assert_eq!(
        actions.iter().filter(|a| **a == "metadata").count(),
        1,
        "{log}"
    );
    assert!(pulls.iter().all(|p| p["document_id"] == w.a1.as_str()
        && p["requester"] == "Cổng Dịch vụ công thử nghiệm"
        && p["purpose"] == "Hồ sơ đăng ký hộ kinh doanh"));
    let grants = get_json_with(&t.client, t.url("/api/v1/grants"), &citizen).await;
    let states: Vec<&str> = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"revoked") && states.contains(&"expired"),
        "{grants}"
    );
    // The access log page shows the same.
    let page = t
        .client
        .get(t.url("/me/access-log"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Cổng Dịch vụ công thử nghiệm") && page.contains("tải bản PDF"),
        "{page}"
    );
    w.t.finish().await;
}

both_backends!(consent_flow_with_a_real_oauth_client);

/// Sign-in: wrong passwords are counted and the sixth attempt is refused even with the
/// right one; cookies are HttpOnly, SameSite and Secure on loopback; a session's write
/// needs its CSRF token; another site's form post is refused.
async fn sign_in_is_rate_limited_and_sessions_need_csrf(backend: Backend) {
    let w = world(backend).await;
    let t = &w.t;
    account(t, "citizen-a", Role::Citizen, Some(CITIZEN), None).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = |user: &'static str, pass: &'static str| {
        client
            .post(t.url("/login"))
            .form(&[("username", user), ("password", pass), ("next", "/me")])
            .send()
    };
    let r = login("citizen-a", PASSWORD).await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    // The session reads the citizen's documents over the API and nobody else's.
    let r = client
        .get(t.url(&format!("/api/v1/documents/{}", w.a1)))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(t.url(&format!("/api/v1/documents/{}", w.b1)))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A write with the cookie alone is refused.
    let r = client
        .post(t.url("/api/v1/grants/00000000-0000-4000-8000-000000000000/revoke"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client
        .post(t.url("/logout"))
        .header("cookie", &session)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // With the session's token (from any of its pages), signing out ends the session
    // and drops the cookie.
    let page = client
        .get(t.url("/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries the session's CSRF token")
        .to_owned();
    let r = client
        .post(t.url("/logout"))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let dropped = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["kho_session=", "Max-Age=0", "Path=/"] {
        assert!(dropped.contains(part), "{dropped}");
    }
    let r = client
        .get(t.url(&format!("/api/v1/documents/{}", w.a1)))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the ended session reads nothing");
    // Another site's sign-in form.
    let r = client
        .post(t.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "citizen-a"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // An open redirect is not possible through `next`.
    let r = client
        .post(t.url("/login"))
        .form(&[
            ("username", "citizen-a"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/me");
    // A wrong password: the form again, in Vietnamese, with the username kept and the
    // password not.
    let r = login("citizen-a", "wrong-password-123").await.unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("Sai tên đăng nhập hoặc mật khẩu"), "{html}");
    assert!(html.contains(r#"value="citizen-a""#), "{html}");
    assert!(!html.contains("wrong-password-123"), "{html}");
    // Five wrong passwords in all, then even the right one waits.
    for _ in 0..4 {
        assert_eq!(
            login("citizen-a", "wrong-password-123")
                .await
                .unwrap()
                .status(),
            401
        );
    }
    let r = login("citizen-a", PASSWORD).await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // An unknown user answers like a wrong password.
    assert_eq!(
        login("nobody-here", "wrong-password-123")
            .await
            .unwrap()
            .status(),
        401
    );
    // The stored hash is argon2id, never the password.
    let u = kho::db::accounts::by_username(&t.app.db, "citizen-a")
        .await
        .unwrap()
        .unwrap();
    assert!(u.password_hash.starts_with("$argon2id$") && !u.password_hash.contains(PASSWORD));
    w.t.finish().await;
}

both_backends!(sign_in_is_rate_limited_and_sessions_need_csrf);

/// Issuer push: add, update (supersedes), revoke; validity; the pushed PDF verifies
/// VALID with the vault's status; an unsigned PDF is refused.
async fn issuer_push_adds_supersedes_and_revokes(backend: Backend) {
    let w = world(backend).await;
    let t = &w.t;
    // The issuing system of the agency whose certificates (under --issuer-roots) sign
    // the results it pushes.
    let issuer = kho::db::tokens::create(&t.app.db, Role::Issuer, None, Some("BN"))
        .await
        .unwrap();
    let push = |pdf: Vec<u8>, meta: serde_json::Value| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(pdf).file_name("kq.pdf"),
            )
            .text("metadata", meta.to_string());
        t.client
            .post(t.url(&format!("/api/v1/subjects/{CITIZEN}/documents")))
            .bearer_auth(&issuer)
            .multipart(form)
            .send()
    };
    let (_, first) = signed_twice(&w.pki);
    let r = push(first.clone(), serde_json::json!({"title": "Giấy phép lái xe", "doc_type": "Giấy phép",
        "number": "790123456789", "issued_on": "2026-01-05", "valid_from": "2026-01-05", "valid_to": "2036-01-05"})).await.unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    let old = v["document_id"].as_str().unwrap().to_owned();
    assert_eq!(v["status"], "valid");
    // The owner finds it, byte for byte, and the verifier says VALID with the vault's view.
    let citizen = t.token(Role::Citizen, Some(CITIZEN)).await;
    let pdf = get_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{old}/pdf")),
        &citizen,
    )
    .await
    .bytes()
    .await
    .unwrap();
    assert_eq!(pdf.as_ref(), first.as_slice());
    let report = t.verify(first.clone()).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    assert_eq!(report["vault"]["status"], "valid", "{report}");
    // Update: the new one supersedes the old.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_, second) = signed_twice(&w.pki);
    let r = push(
        second,
        serde_json::json!({"title": "Giấy phép lái xe (cấp đổi)", "doc_type": "Giấy phép",
        "issued_on": "2026-06-01", "supersedes": old}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let new = r.json::<serde_json::Value>().await.unwrap()["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{old}")),
        &citizen,
    )
    .await;
    assert_eq!(d["status"], "superseded");
    let report = t.verify(first.clone()).await;
    assert_eq!(report["vault"]["status"], "superseded", "{report}");
    // Superseding twice, or another agency's document: 404.
    let (_, third) = signed_twice(&w.pki);
    let r = push(
        third.clone(),
        serde_json::json!({"title": "x", "supersedes": old}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = push(
        third.clone(),
        serde_json::json!({"title": "x", "supersedes": w.hn1}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    // Expired by its validity.
    let r = push(
        third,
        serde_json::json!({"title": "Hết hạn", "valid_to": "2020-01-01"}),
    )
    .await
    .unwrap();
    let expired = r.json::<serde_json::Value>().await.unwrap()["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{expired}")),
        &citizen,
    )
    .await;
    assert_eq!(d["status"], "expired");
    // Revoke.
    let r = t
        .client
        .post(t.url(&format!("/api/v1/documents/{new}/revoke")))
        .bearer_auth(&issuer)
        .json(&serde_json::json!({"reason": "thu hồi theo quyết định 12/QĐ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Bad pushes: unsigned, not a PDF, bad metadata.
    let r = push(unsigned_pdf(), serde_json::json!({"title": "x"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = push(b"GIF89a".to_vec(), serde_json::json!({"title": "x"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let (_, ok) = signed_twice(&w.pki);
    let r = push(
        ok.clone(),
        serde_json::json!({"title": "x", "valid_to": "2026-13-01"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = push(ok, serde_json::json!({"title": "x", "owner": "someone"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Hà Nội's issuing system pushes a result signed by a certificate that names Hà Nội
    // but was issued under Bắc Ninh's root: refused, since Hà Nội's results chain only to
    // Hà Nội's configured roots (it has none), whatever name the certificate carries.
    use kho::signing::{certs, key, pades};
    let hn_key = key::SecretKey::generate(key::SealAlgorithm::Ed25519);
    let hn_name = "Sở Tư pháp Hà Nội";
    let hn_cert = certs::issue(
        certs::CertKind::Agency,
        certs::name(hn_name, hn_name).unwrap(),
        &hn_key,
        w.pki.root.tbs_certificate().subject().clone(),
        &w.pki.root_key,
        None,
        1,
    )
    .unwrap();
    let posing = pades::sign(
        &distinct_unsigned_pdf(),
        &hn_key,
        &[hn_cert, w.pki.root.clone()],
        &pades::SignatureInfo {
            name: hn_name.into(),
            reason: "Kết quả".into(),
            time: kho::db::now_ms() / 1000,
            document_id: None,
        },
        None,
    )
    .unwrap();
    // The public verifier trusts the root (it is an issuer root) ...
    assert_eq!(t.verify(posing.clone()).await["verdict"], "VALID");
    // ... but it is not Hà Nội's.
    let hn_issuer = kho::db::tokens::create(&t.app.db, Role::Issuer, None, Some("HN"))
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(posing).file_name("kq.pdf"),
        )
        .text("metadata", serde_json::json!({"title": "Giả"}).to_string());
    let r = t
        .client
        .post(t.url(&format!("/api/v1/subjects/{CITIZEN}/documents")))
        .bearer_auth(&hn_issuer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("--agency-roots") && body.contains("HN"),
        "{body}"
    );
    w.t.finish().await;
}

both_backends!(issuer_push_adds_supersedes_and_revokes);

/// The review queue: records staff list their agency's held documents, open one, correct
/// fields and the owner and approve (signed, filed for the corrected owner), or reject
/// with a reason (the job fails with it); each decision keeps who and when.
async fn review_queue_corrects_approves_and_rejects(backend: Backend) {
    let w = world(backend).await;
    let t = &w.t;
    let first = review_for(&w, "KHO").await;
    let second = review_for(&w, "KHO").await;
    let theirs = review_for(&w, "HN").await;
    let staff = t.staff_token.clone();
    let queue = get_json_with(&t.client, t.url("/api/v1/reviews"), &staff).await;
    let ids: Vec<&str> = queue["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![first.as_str(), second.as_str()], "{queue}");
    assert!(!queue.to_string().contains(&theirs));
    let detail = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/reviews/{first}")),
        &staff,
    )
    .await;
    assert_eq!(detail["state"], "open");
    let draft = get_with(
        &t.client,
        t.url(&format!("/api/v1/reviews/{first}/pdf")),
        &staff,
    )
    .await;
    assert!(draft.bytes().await.unwrap().starts_with(b"%PDF-"));
    // Bad corrections: a clear 4xx, nothing decided.
    let post = |path: String, body: &'static str| {
        t.client
            .post(t.url(&path))
            .bearer_auth(&staff)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = post(
        format!("/api/v1/reviews/{first}/approve"),
        r#"{"issued_on":"12/03/2021"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(
        format!("/api/v1/reviews/{first}/approve"),
        r#"{"owner_id":"123"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let r = post(
        format!("/api/v1/reviews/{first}/approve"),
        r#"{"colour":"red"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    // Corrected and approved: signed and filed for the corrected owner.
    let r = post(
        format!("/api/v1/reviews/{first}/approve"),
        r#"{"number":"45/GCN-UBND","issued_on":"2021-03-12","owner_id":"079199001234","doc_type":"Giấy chứng nhận"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let doc = r.json::<serde_json::Value>().await.unwrap()["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{doc}")),
        &staff,
    )
    .await;
    assert_eq!(d["owner_id"], OTHER_CITIZEN);
    assert_eq!(d["number"], "45/GCN-UBND");
    assert_eq!(d["issued_on"], "2021-03-12");
    let pdf = get_with(
        &t.client,
        t.url(&format!("/api/v1/documents/{doc}/pdf")),
        &staff,
    )
    .await
    .bytes()
    .await
    .unwrap();
    let report = t.verify(pdf).await;
    assert_eq!(report["verdict"], "VALID", "{report}");
    let detail = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/reviews/{first}")),
        &staff,
    )
    .await;
    assert_eq!(detail["state"], "approved");
    assert_eq!(
        detail["decision"]["note"],
        "corrected: doc_type, number, issued_on, owner_id"
    );
    assert!(
        detail["decision"]["decided_by"].is_string() && detail["decision"]["decided_at"].is_i64()
    );
    // Rejected with a reason: nothing filed, the job failed with it.
    let r = post(
        format!("/api/v1/reviews/{second}/reject"),
        r#"{"reason":"Trang bị mờ, cần quét lại"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let detail = get_json_with(
        &t.client,
        t.url(&format!("/api/v1/reviews/{second}")),
        &staff,
    )
    .await;
    assert_eq!(detail["state"], "rejected");
    let job = get_json_with(
        &t.client,
        t.url(&format!(
            "/api/v1/jobs/{}",
            detail["job_id"].as_str().unwrap()
        )),
        &staff,
    )
    .await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("Trang bị mờ"),
        "{job}"
    );
    let r = post(
        format!("/api/v1/reviews/{second}/reject"),
        r#"{"reason":"lần nữa"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 409);
    let r = post(format!("/api/v1/reviews/{second}/approve"), "")
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // The queue is empty now; the decided ones are listed by state.
    let open = get_json_with(&t.client, t.url("/api/v1/reviews"), &staff).await;
    assert_eq!(open["reviews"].as_array().unwrap().len(), 0, "{open}");
    let rejected = get_json_with(&t.client, t.url("/api/v1/reviews?state=rejected"), &staff).await;
    assert_eq!(rejected["reviews"][0]["id"], second.as_str());
    w.t.finish().await;
}

both_backends!(review_queue_corrects_approves_and_rejects);
