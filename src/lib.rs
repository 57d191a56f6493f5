//! Kho: a digital-records vault with a digitization pipeline in front of it.
//!
//! This crate is the service: the `kho` binary's commands ([`cli`]), the HTTP API
//! ([`api`]), the job queue and its workers ([`queue`], [`digitize`]), intake of scans
//! ([`intake`]), database access ([`db`]), object storage ([`storage`]), access rules
//! ([`auth`]) and the domain types ([`domain`]). The page-level pipeline itself lives in
//! the `kho-workers` crate (`workers/`). docs/ARCHITECTURE.md is the map.

pub mod accounts;
pub mod admission;
pub mod api;
pub mod app;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod batch;
pub mod binding;
pub mod cli;
pub mod config;
pub mod consent;
pub mod credentials;
pub mod db;
pub mod digitize;
pub mod domain;
pub mod ingest;
pub mod intake;
pub use domain::manifest;
pub mod metrics;
pub mod ocr_env;
pub mod qr;
pub mod queue;
pub mod report;
pub mod review;
pub mod search;
pub mod separator;
pub mod server;
pub mod setup;
pub mod signing;
pub mod stack;
pub mod storage;
pub mod vault;
pub mod verify;
pub mod watch;
pub mod web;

pub use app::App;
pub use config::Config;

/// The one direction of dependency (docs/ARCHITECTURE.md): `domain` imports only
/// itself, `db` (the store) only itself and `domain`. A new upward import fails here, and
/// so does page markup built with `format!` instead of a template.
#[cfg(test)]
mod layering {
    use std::path::Path;

    /// The crate's top-level modules a file names as `crate::NAME`, outside comments.
    fn imports(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                let before = rest[..at].chars().last();
                rest = &rest[at + "crate::".len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // e.g. `kho_workers_crate::`, not this crate
                }
                if let Some(group) = rest.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or("");
                    out.extend(inner.split(',').filter_map(|p| {
                        let name = p.trim().split("::").next()?.trim();
                        (!name.is_empty()).then(|| name.to_owned())
                    }));
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push(name);
                }
            }
        }
        out
    }

    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The files of `layer/` that import a module outside `allowed`.
    fn upward(layer: &str, allowed: &[&str]) -> Vec<String> {
        let prefix = format!("{layer}/");
        naming(|rel| rel.starts_with(&prefix), |m| !allowed.contains(&m))
    }

    #[test]
    fn no_layer_imports_from_a_layer_above_it() {
        assert!(
            upward("domain", &["domain"]).is_empty(),
            "{:#?}",
            upward("domain", &["domain"])
        );
        assert!(
            upward("db", &["db", "domain"]).is_empty(),
            "{:#?}",
            upward("db", &["db", "domain"])
        );
    }

    /// The markup `format!` builds in `text`: the first string argument of each call,
    /// when it holds a tag (`<p`, `</td`, `<!doctype`).
    fn formatted_markup(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (at, _) in text.match_indices("format!(") {
            let rest = text[at + "format!(".len()..].trim_start();
            let literal = if let Some(raw) = rest.strip_prefix("r#\"") {
                raw.split("\"#").next().unwrap_or("")
            } else if let Some(plain) = rest.strip_prefix('"') {
                plain.split('"').next().unwrap_or("")
            } else {
                continue;
            };
            let tag = literal.as_bytes().windows(2).any(|w| {
                w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!')
            });
            if tag {
                out.push(literal.chars().take(60).collect());
            }
        }
        out
    }

    /// Pages come from templates (templates/), escaped by default: no page markup is
    /// built with `format!` in the HTTP layer.
    #[test]
    fn no_page_markup_is_built_with_format() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut all = Vec::new();
        files(&root.join("web"), &mut all);
        files(&root.join("api"), &mut all);
        let bad: Vec<String> = all
            .iter()
            .flat_map(|f| {
                let text = std::fs::read_to_string(f).unwrap();
                formatted_markup(&text)
                    .into_iter()
                    .map(move |m| format!("{}: {m}", f.display()))
            })
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
        assert_eq!(
            formatted_markup(r##"let a = format!("{x} MB"); let b = format!(r#"<td>{y}</td>"#);"##),
            ["<td>{y}</td>"]
        );
    }

    /// All SQL lives in the store (`db/`): no query is written anywhere else.
    #[test]
    fn queries_are_written_only_in_the_store() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut all = Vec::new();
        files(&root, &mut all);
        // Spelt in two, so this file does not name it.
        let query = ["sqlx", "::query"].concat();
        let bad: Vec<String> = all
            .iter()
            .filter(|f| !f.starts_with(root.join("db")))
            .filter(|f| {
                let text = std::fs::read_to_string(f).unwrap();
                text.lines()
                    .map(|l| l.split("//").next().unwrap_or(""))
                    .any(|code| code.contains(&query))
            })
            .map(|f| f.display().to_string())
            .collect();
        assert!(bad.is_empty(), "SQL outside db/: {bad:#?}");
    }

    /// The files under `src/` that match `pick` (a path relative to `src/`) and import a
    /// module `forbidden` says they may not, outside their tests (what follows
    /// `#[cfg(test)]`; clippy's `items_after_test_module` keeps code from standing after).
    fn naming(pick: impl Fn(&str) -> bool, forbidden: impl Fn(&str) -> bool) -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut all = Vec::new();
        files(&root, &mut all);
        let mut bad = Vec::new();
        for f in all {
            let rel = f.strip_prefix(&root).unwrap().display().to_string();
            if !pick(&rel) {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for m in imports(code) {
                if forbidden(&m) {
                    bad.push(format!("{rel} imports crate::{m}"));
                }
            }
        }
        bad
    }

    /// The use cases (the crate's own modules beside the layers' folders) serve the HTTP
    /// layer, the job runner and the command line and import none of them; the API's
    /// resources draw no pages and run no command; the pages run no command. (The
    /// router in `api/mod.rs` routes the pages too.)
    #[test]
    fn services_and_the_http_layer_import_nothing_above_them() {
        let top = ["api", "web", "cli", "ingest", "watch", "server", "main"];
        let entry = [
            "lib.rs",
            "main.rs",
            "cli.rs",
            "ingest.rs",
            "watch.rs",
            "server.rs",
            "app.rs",
        ];
        let services = naming(
            |rel| {
                !["api/", "web/", "db/", "domain/"]
                    .iter()
                    .any(|d| rel.starts_with(d))
                    && !entry.contains(&rel)
            },
            |m| top.contains(&m),
        );
        assert!(services.is_empty(), "{services:#?}");
        let api = naming(
            |rel| rel.starts_with("api/") && rel != "api/mod.rs",
            |m| ["web", "cli", "ingest", "watch", "server", "main"].contains(&m),
        );
        assert!(api.is_empty(), "{api:#?}");
        let web = naming(
            |rel| rel.starts_with("web/"),
            |m| ["cli", "ingest", "watch", "server", "main"].contains(&m),
        );
        assert!(web.is_empty(), "{web:#?}");
        // The pages share the API's notion of the caller and its error codes, and call
        // none of its handlers: what both read comes from the services.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut pages = Vec::new();
        files(&root.join("web"), &mut pages);
        let handlers: Vec<String> = pages
            .iter()
            .flat_map(|f| {
                let text = std::fs::read_to_string(f).unwrap();
                let mut found = Vec::new();
                for line in text.lines() {
                    let code = line.split("//").next().unwrap_or("");
                    for (at, _) in code.match_indices("crate::api::") {
                        let module: String = code[at + "crate::api::".len()..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if module != "caller" && module != "error" {
                            found.push(format!("{}: crate::api::{module}", f.display()));
                        }
                    }
                }
                found
            })
            .collect();
        assert!(handlers.is_empty(), "{handlers:#?}");
    }

    #[test]
    fn the_import_reader_sees_paths_and_groups() {
        let text = "use crate::db::Db;\nuse crate::{auth, domain::Role};\n// crate::api in a comment\nlet x = crate::search::fold(s);";
        assert_eq!(imports(text), ["db", "auth", "domain", "search"]);
    }
}
