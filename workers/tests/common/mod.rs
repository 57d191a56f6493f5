//! Shared by the pipeline's integration tests: the committed sample pages and a pipeline
//! on two threads.
#![allow(dead_code)]

use std::path::PathBuf;

use kho_workers::{Pipeline, PipelineConfig};

/// A file from `samples/pages`.
pub fn sample(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/pages")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn pipeline() -> Pipeline {
    Pipeline::new(PipelineConfig {
        threads: 2,
        ..Default::default()
    })
    .unwrap()
}
