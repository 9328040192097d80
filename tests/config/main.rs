//! The configuration file (`--config`), one test binary, one module per concern:
//!
//! | what | module |
//! |---|---|
//! | strictness (exit 2 naming field and line), flags over the file, overrides through `check`, the documented example | [`cli`] |
//! | overrides through the webhook, reloading the file while serving, its metrics | [`webhook`] |
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../support/mod.rs"]
mod support;

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod webhook;
