//! The rules engine, rule by rule, on both sides of every boundary: one test binary, one
//! module per concern. A test of a rule goes in the module of its ID:
//!
//! | rules | module |
//! |---|---|
//! | EW001..EW006: the Namespace's booleans, gateway names and selector | [`namespace_keys`] |
//! | EW007..EW010: the gateway's cloud annotations | [`cloud`] |
//! | EW011..EW013: unknown keys, keys in the wrong place, the Service label | [`keys`] |
//! | EW020..EW022: what a write changes (mode, gateway, a Service's exposure) | [`transitions`] |
//! | EW030..EW040: workspace, gateway namespace, ExternalName | [`exposure`] |
//! | the defaults patch | [`mutation`] |
//! | every fix a message offers, carried out (kubectl simulated) and judged again | [`fixes`] |
//! | problems a write did not make: warnings on UPDATE, `deny_existing` | [`existing`] |
//! | what holds for every rule: operations never judged, configuration, bounds | [`decision`] |
//! | the corpus of cases, replayed | [`corpus`] |
//! | the engine and its parsers over generated input | [`props`] |
//!
//! Every review judged here goes through `support::cases::validate` (most through the
//! builders of `support::review`), which keeps the corpus of these cases
//! (tests/data/rules/cases) that other tests judge another way. Objects come from
//! `support::objects`; `support::assert` checks one finding and prints the whole decision
//! when it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../support/mod.rs"]
mod support;

mod cloud;
mod corpus;
mod decision;
mod existing;
mod exposure;
mod fixes;
mod keys;
mod mutation;
mod namespace_keys;
mod props;
mod transitions;
