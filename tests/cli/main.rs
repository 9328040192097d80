//! The command line, one test binary, one module per command or concern:
//!
//! | what | module |
//! |---|---|
//! | `check`: findings at their keys, output formats, exit statuses, input handling | [`check`] |
//! | the cloud annotations rules (EW007..EW010) through `check` and `explain` | [`cloud`] |
//! | `explain`: golden outputs, the JSON field by field, the WorkspaceSetting YAML | [`explain`] |
//! | `diff` and `check --summary`: golden outputs, changes field by field, exit statuses | [`diff`] |
//! | `diff` agrees with `check` on every UPDATE case of the rules tests | [`diff_agrees_with_check`] |
//! | the manifest reader over generated and hostile text | [`reader`] |
//! | no false denial on real-world manifests, as written and exposed | [`real_world`] |
//! | the exposure model, explain and diff over generated manifests | [`explain_props`] |
//! | `certs`: the certificates, the files it writes, what it says next | [`certs`] |
//! | the reference docs generated from the code, and the docs' links | [`docs`] |
//! | `policy`: the committed backstop component is its output; the settings place each rule | [`policy`] |
//! | SPEC v2 end to end: empty inputs, problems a change did not make, EW022 before and after, a lenient EW020, near misses, one fix per key, the flags' defaults | [`v2`] |
//!
//! The binary is run with the helpers of `support::run`; outputs are compared with their
//! golden files by `support::golden`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../support/mod.rs"]
mod support;

mod certs;
mod check;
mod cloud;
mod diff;
mod diff_agrees_with_check;
mod docs;
mod explain;
mod explain_props;
mod policy;
mod reader;
mod real_world;
mod v2;
