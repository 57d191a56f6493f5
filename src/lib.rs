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
pub mod audit;
pub mod auth;
pub mod backup;
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
pub mod manifest;
pub mod metrics;
pub mod ocr_env;
pub mod qr;
pub mod queue;
pub mod report;
pub mod search;
pub mod separator;
pub mod server;
pub mod signing;
pub mod storage;
pub mod vault;
pub mod verify;
pub mod watch;
pub mod web;

pub use app::App;
pub use config::Config;
