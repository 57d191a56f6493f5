//! Vietnamese search on both backends: without diacritics it still finds, `đ` matches
//! `d`, exact diacritics rank first, phrases, filters, and only within the caller's rights.

use crate::common::*;
use kho::auth::Role;
use kho::db::Backend;

/// File a document with this text for `owner`, filed by KHO.
async fn file(t: &TestApp, owner: &str, doc_type: &str, issued_on: &str, text: &str) -> String {
    let issuer = if doc_type.starts_with("Gi") {
        "ỦY BAN NHÂN DÂN TỈNH BẮC NINH"
    } else {
        "Sở Tư pháp thành phố Đà Nẵng"
    };
    file_document(
        t,
        owner,
        "KHO",
        doc_type,
        issued_on,
        text,
        issuer,
        b"%PDF-1.7 test",
    )
    .await
    .0
}

async fn ids(t: &TestApp, token: &str, query: &str) -> Vec<String> {
    let url = t.url(&format!("/api/v1/search?{query}"));
    let r = get_with(&t.client, url, token).await;
    assert_eq!(r.status(), 200, "{query}");
    let body: serde_json::Value = r.json().await.unwrap();
    body["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn vietnamese_search_folds_ranks_filters_and_stays_within_rights(backend: Backend) {
    let t = TestApp::spawn(backend, 0, &[]).await;
    let cert = file(
        &t,
        CITIZEN,
        "Giấy chứng nhận",
        "2021-03-12",
        "Giấy chứng nhận đăng ký hộ kinh doanh tại Đà Nẵng",
    )
    .await;
    let sell = file(
        &t,
        CITIZEN,
        "Quyết định",
        "2019-05-01",
        "Quyết định về việc bán nhà ở",
    )
    .await;
    let friend = file(
        &t,
        CITIZEN,
        "Quyết định",
        "2023-07-09",
        "Quyết định khen thưởng bạn đọc",
    )
    .await;
    let other = file(
        &t,
        OTHER_CITIZEN,
        "Giấy chứng nhận",
        "2022-01-01",
        "Giấy chứng nhận quyền sử dụng đất",
    )
    .await;
    let staff = t.staff_token.clone();
    let citizen = t.token(Role::Citizen, Some(CITIZEN)).await;
    let officer = t.token(Role::Officer, None).await;

    // Without diacritics, đ as d.
    assert_eq!(
        ids(&t, &citizen, "q=giay%20chung%20nhan").await,
        vec![cert.clone()]
    );
    assert_eq!(ids(&t, &citizen, "q=da%20nang").await, vec![cert.clone()]);
    assert_eq!(ids(&t, &citizen, "q=dang%20ky").await, vec![cert.clone()]);
    // Exact diacritics first: `bán` before `bạn`, `bạn` before `bán`.
    assert_eq!(
        ids(&t, &citizen, "q=b%C3%A1n").await,
        vec![sell.clone(), friend.clone()]
    );
    assert_eq!(
        ids(&t, &citizen, "q=b%E1%BA%A1n").await,
        vec![friend.clone(), sell.clone()]
    );
    // A phrase must appear in order.
    assert_eq!(
        ids(&t, &citizen, "q=%22chung%20nhan%20dang%22").await,
        vec![cert.clone()]
    );
    assert!(ids(&t, &citizen, "q=%22nhan%20chung%22").await.is_empty());
    // Filters.
    assert_eq!(
        ids(
            &t,
            &citizen,
            "q=quyet%20dinh&type=quyet%20dinh&issued_from=2020-01-01"
        )
        .await,
        vec![friend.clone()]
    );
    assert_eq!(
        ids(&t, &citizen, "q=quyet%20dinh&issued_to=2020-01-01").await,
        vec![sell.clone()]
    );
    // Issuing body, diacritics optional.
    assert_eq!(
        ids(&t, &citizen, "q=giay&issuer=ubnd%20tinh%20bac%20ninh").await,
        Vec::<String>::new(),
        "`ubnd` is not how the body is written"
    );
    assert_eq!(
        ids(&t, &citizen, "q=giay&issuer=tinh%20bac%20ninh").await,
        vec![cert.clone()]
    );
    assert_eq!(
        ids(&t, &citizen, "q=quyet&issuer=s%E1%BB%9F%20tu%20phap")
            .await
            .len(),
        2
    );
    // Rights: a citizen sees only their own; staff what their agency filed (here: all);
    // staff of another agency, an admin and an officer nothing.
    assert!(!ids(&t, &citizen, "q=giay").await.contains(&other));
    let all = ids(&t, &staff, "q=giay%20chung%20nhan").await;
    assert!(all.contains(&cert) && all.contains(&other));
    assert!(ids(&t, &officer, "q=giay").await.is_empty());
    let admin = t.token(Role::Admin, None).await;
    assert!(ids(&t, &admin, "q=giay").await.is_empty());
    let elsewhere = kho::db::tokens::create(&t.app.db, Role::Staff, None, Some("HN"))
        .await
        .unwrap();
    assert!(ids(&t, &elsewhere, "q=giay").await.is_empty());
    // Bad queries: a clear 400.
    for bad in [
        "q=%20;;",
        "q=x&issued_from=2020-1-1",
        "q=x&status=lost",
        "q=x&limit=0",
    ] {
        let r = get_with(&t.client, t.url(&format!("/api/v1/search?{bad}")), &citizen).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = t
        .client
        .get(t.url("/api/v1/search?q=giay"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    t.finish().await;
}
both_backends!(vietnamese_search_folds_ranks_filters_and_stays_within_rights);
