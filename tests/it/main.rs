//! The integration tests: one binary, so the shared harness (`common`, a real Kho on
//! SQLite or PostgreSQL, served on port 0) is compiled once. Each module is one part of
//! the service as its users meet it.

#[macro_use]
mod common;

mod api;
mod audit;
mod backup;
mod batches;
mod browser;
mod cli;
mod hostile;
mod reuse;
mod s3;
mod schema;
mod search;
mod security;
mod signing;
mod verify;
