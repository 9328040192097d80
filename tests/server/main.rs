//! The webhook server, one test binary, one module per concern. Servers run in-process on
//! 127.0.0.1 port 0 (or as the real binary, where exit codes, signals or the process itself
//! are what is tested), with certificates made in the test; `common` (tests/common) has the
//! helpers.
//!
//! | what | module |
//! |---|---|
//! | the endpoints over real TLS: answers, certificates, rotation, mTLS, limits, probes | [`webhook`] |
//! | `serve`'s flags through the binary: environment, exit codes of bad configuration | [`flags`] |
//! | SIGTERM under load against the binary | [`shutdown`] |
//! | the binary's own process metrics | [`process_metrics`] |
//! | `--cluster-lookups`: readiness, skipped lookups, EW020 from the cache | [`cluster`] |
//! | the cluster cache driven by kube's watcher over a mock transport | [`cluster_cache`] |
//! | the request path's invariants over generated input (as the fuzz targets) | [`props`] |
//! | the wire parsers against kube's types | [`wire`] |
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/invariants.rs"]
mod invariants;
#[path = "../common/wire_diff.rs"]
mod wire_diff;

mod cluster;
mod cluster_cache;
mod flags;
mod process_metrics;
mod props;
mod shutdown;
mod webhook;
mod wire;
