//! `eastwest-guard audit`, the real binary against a fake kube-apiserver on 127.0.0.1, one
//! test binary, one module per concern:
//!
//! | what | module |
//! |---|---|
//! | the fake API server, kubeconfigs, objects as kube-apiserver returns them | [`apiserver`] |
//! | running the binary with a home of its own and a deadline | [`run`] |
//! | the cluster most tests audit, and its expected findings | [`fixture`] |
//! | finding the configuration (and TLS), paging, restarting an expired list | [`reading`] |
//! | a cluster that cannot be read: 401, 403, slow, dead, expired for good | [`errors`] |
//! | findings, levels, exit statuses, exposure summary, formats; agreement with `check` | [`findings`] |
//! | the JSON and text outputs held to golden files | [`golden`] |
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

mod apiserver;
mod errors;
mod findings;
mod fixture;
mod golden;
mod reading;
mod run;
