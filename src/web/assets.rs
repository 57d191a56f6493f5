//! The pages' scripts and stylesheet, built into the binary and served at
//! `/assets/{name}`, so no page ships inline script or style and the content security
//! policy says `script-src 'self'`. Each page hands its script the texts and tokens it
//! needs in a `<script type="application/json" id="page-data">` block, which is data, not
//! code. Pages name an asset through [`url`], which adds its content hash (`?v=`): a
//! hashed address is cached for a year, since a new release's file has a new address.

use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::Digest;

/// Each asset's name, content type and text.
const ASSETS: &[(&str, &str, &str)] = &[
    ("kho.css", CSS, include_str!("styles/kho.css")),
    ("problem.js", JS, include_str!("scripts/problem.js")),
    ("upload.js", JS, include_str!("scripts/upload.js")),
    ("progress.js", JS, include_str!("scripts/progress.js")),
    ("review.js", JS, include_str!("scripts/review.js")),
    ("verify-pdf.js", JS, include_str!("scripts/verify-pdf.js")),
    ("verify-qr.js", JS, include_str!("scripts/verify-qr.js")),
];
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Each asset's content hash (the first 16 hex digits of its SHA-256), in `ASSETS` order.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, _, body)| hex::encode(&sha2::Sha256::digest(body.as_bytes())[..8]))
        .collect()
});

/// The address a page names an asset by: `/assets/NAME?v=HASH`. An unknown name is a
/// programming error; it is caught by the test below and answered 404 when served.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|(n, _, _)| *n == name) {
        Some(i) => format!("/assets/{name}?v={}", HASHES[i]),
        None => format!("/assets/{name}"),
    }
}

/// `?v=`: the content hash a page asked for.
#[derive(Debug, serde::Deserialize)]
pub struct Version {
    pub v: Option<String>,
}

/// `GET /assets/{name}`: one of the pages' scripts or the stylesheet.
#[utoipa::path(get, path = "/assets/{name}", tag = "pages",
    params(("name" = String, Path, description = "the file's name, e.g. `verify-pdf.js` or `kho.css`"),
           ("v" = Option<String>, Query, description = "the content hash pages add; with the current one the answer may be cached for a year")),
    responses((status = 200, description = "JavaScript or CSS", content_type = "text/javascript"),
              (status = 404, description = "no such asset")))]
pub async fn script(Path(name): Path<String>, Query(v): Query<Version>) -> Response {
    let Some(i) = ASSETS.iter().position(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let (_, kind, body) = ASSETS[i];
    // The current hash names this content for ever; any other address is short-lived,
    // so a new release's file reaches browsers within minutes.
    let cache = if v.v.as_deref() == Some(HASHES[i].as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    (
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    /// Every asset a template names is served, and every served asset is named by one.
    #[test]
    fn the_pages_and_the_served_assets_agree() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut named = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let mut rest = text.as_str();
                while let Some(at) = rest.find("assets::url(\"") {
                    rest = &rest[at + "assets::url(\"".len()..];
                    named.push(rest.split('"').next().unwrap().to_owned());
                }
            }
        }
        named.sort();
        named.dedup();
        let mut served: Vec<String> = super::ASSETS
            .iter()
            .map(|(n, _, _)| n.to_string())
            .collect();
        served.sort();
        assert_eq!(named, served);
    }

    #[test]
    fn an_asset_s_address_carries_its_content_hash() {
        let u = super::url("kho.css");
        assert!(u.starts_with("/assets/kho.css?v="), "{u}");
        assert_eq!(u.len(), "/assets/kho.css?v=".len() + 16);
    }
}
