//! The pages' scripts, built into the binary and served at `/assets/{name}`, so no page
//! ships inline script and the content security policy says `script-src 'self'`. Each
//! page hands its script the texts and tokens it needs in a
//! `<script type="application/json" id="page-data">` block, which is data, not code.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const SCRIPTS: &[(&str, &str)] = &[
    ("problem.js", include_str!("scripts/problem.js")),
    ("upload.js", include_str!("scripts/upload.js")),
    ("progress.js", include_str!("scripts/progress.js")),
    ("review.js", include_str!("scripts/review.js")),
    ("verify-pdf.js", include_str!("scripts/verify-pdf.js")),
    ("verify-qr.js", include_str!("scripts/verify-qr.js")),
];

/// `GET /assets/{name}`: one of the pages' scripts.
#[utoipa::path(get, path = "/assets/{name}", tag = "pages",
    params(("name" = String, Path, description = "the script's file name, e.g. `verify-pdf.js`")),
    responses((status = 200, description = "JavaScript", content_type = "text/javascript"),
              (status = 404, description = "no such script")))]
pub async fn script(Path(name): Path<String>) -> Response {
    match SCRIPTS.iter().find(|(n, _)| *n == name) {
        Some((_, body)) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                // Short: a new release's scripts reach browsers within minutes.
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such script").into_response(),
    }
}

#[cfg(test)]
mod tests {
    /// Every script a page names is served, and every served script is named by a page.
    #[test]
    fn the_pages_and_the_served_scripts_agree() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut named = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap_or_default();
            let mut rest = text.as_str();
            while let Some(at) = rest.find("<script src=\"/assets/") {
                rest = &rest[at + "<script src=\"/assets/".len()..];
                named.push(rest.split('"').next().unwrap().to_owned());
            }
        }
        named.sort();
        named.dedup();
        let mut served: Vec<String> = super::SCRIPTS.iter().map(|(n, _)| n.to_string()).collect();
        served.sort();
        assert_eq!(named, served);
    }
}
