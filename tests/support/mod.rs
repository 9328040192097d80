//! What the test binaries share (tests/rules and tests/cli each include this module with
//! `#[path = "../support/mod.rs"] mod support;`):
//!
//! - [`objects`]: objects as kube-apiserver sends them, from the fixtures under
//!   tests/data/objects, with their labels, annotations and type replaced per test;
//! - [`review`]: one object judged by the engine through the corpus of cases, and the
//!   violations of a decision by rule;
//! - [`assert`]: the checks of one finding (rule, level, what its message says), which print
//!   the whole decision when they fail;
//! - [`cases`]: the corpus of the rules tests' cases (tests/data/rules/cases), which other
//!   tests judge another way;
//! - [`generators`]: proptest strategies for label and annotation maps and for manifests;
//! - [`manifests`]: a text read as the CLI reads its input;
//! - [`namespace_writes`]: what each kind of write (annotate, label, replace, apply) sends to
//!   admission for a stored Namespace, for the defaults patch's sequence tests;
//! - [`run`]: the built binary, run as a user runs it;
//! - [`golden`]: output compared with a committed file (`UPDATE_GOLDEN=1` rewrites it).
//!
//! A binary uses only part of it, so unused items are expected here.
#![allow(dead_code)]

pub mod assert;
pub mod cases;
pub mod generators;
pub mod golden;
pub mod manifests;
pub mod namespace_writes;
pub mod objects;
pub mod review;
pub mod run;
