//! eastwest-guard: an admission guard for Tetrate east-west (cross-cluster) exposure.
//!
//! - [`rules`]: the pure engine (objects in, decision out), shared by every surface.
//! - [`server`]: the TLS admission webhook (`serve`).
//! - [`cluster`]: the metadata-only cache of Namespaces and Services (`serve --cluster-lookups`).
//! - [`cli`]: the GitOps commands over manifest files (`check`, `explain`, `diff`).
//! - [`certs`]: serving certificates (`certs`, and the self-signed one `serve` makes).
//! - [`command`]: the `eastwest-guard` command line that dispatches to them.

pub mod certs;
pub mod cli;
pub mod cluster;
pub mod command;
pub mod config;
pub mod flags;
pub mod rules;
pub mod server;
