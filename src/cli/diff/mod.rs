//! `eastwest-guard diff --old PATH... --new PATH...`: the change in cross-cluster exposure
//! between two sets of manifests, as the exposure model of each sees it: Services that become
//! exposed or stop being exposed, gateways created, moved, updated or removed, and Namespaces
//! whose mode or workspace changes. Also printed by `check --old ... --summary`.
//!
//! - `compare.rs`: [`compare`], pure (model in, model in, changes out: `changes.rs`);
//! - the outputs: `text.rs`, `markdown.rs` for a pull-request comment, and `json.rs`
//!   (docs/explain-diff-output.md).

mod changes;
mod compare;
mod json;
mod markdown;
mod text;

pub use changes::{
    CloudChange, ExposureDiff, GatewayChange, GatewayChangeKind, GatewayView, NamespaceChange,
    NamespaceChangeKind, NamespaceSide, ServiceChange, ServiceSide,
};
pub use compare::compare;
pub use json::DIFF_SCHEMA_VERSION;
pub use markdown::write_markdown;
pub use text::{headline, write_text};

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::common::{input_error_line, usage_error, validate_inputs, write_out};
use super::exposure::{self, Model};
use super::manifests::{self, InputError, ReadOptions};
use crate::rules::Config;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffFormat {
    /// A readable report.
    #[default]
    Text,
    /// One JSON document (see docs/explain-diff-output.md).
    Json,
    /// Markdown to post as a pull-request comment.
    Markdown,
}

/// `eastwest-guard diff`: what a change does to cross-cluster exposure.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Each --old and --new takes one path; repeat the flag for more \
    (--old a.yaml --old b/ --new c/).\n\nExit status: 0 whatever the diff; 1 with \
    --fail-on-new-exposure when some Service becomes exposed cross-cluster; 2 when an input \
    cannot be read or parsed, or a flag is wrong.\n\nExamples:\n  eastwest-guard diff --old \
    ../base/manifests --new manifests/\n  kustomize build overlays/prod | eastwest-guard diff \
    --old ../base/rendered.yaml --new - --output markdown"
)]
pub struct DiffArgs {
    /// The manifests before the change (e.g. a checkout of the base branch): a file, a
    /// directory or `-`, one per --old (repeat it for more).
    #[arg(long, value_name = "PATH", required = true)]
    pub old: Vec<PathBuf>,

    /// The manifests after the change: a file, a directory or `-`, one per --new (repeat it).
    #[arg(long, value_name = "PATH", required = true)]
    pub new: Vec<PathBuf>,

    /// The namespace of Services whose manifest sets none.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,

    /// Exit 1 when some Service becomes exposed cross-cluster (a gate for an explicit approval).
    #[arg(long)]
    pub fail_on_new_exposure: bool,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

pub fn run_diff(args: DiffArgs) -> ExitCode {
    const CMD: &str = "diff";
    let config = match args.rules.to_config() {
        Ok(config) => config,
        Err(why) => return usage_error(CMD, &why),
    };
    if let Err(why) = validate_inputs(&args.namespace, args.old.iter().chain(&args.new)) {
        return usage_error(CMD, &why);
    }
    let options = ReadOptions {
        default_namespace: args.namespace.clone(),
    };
    let old = manifests::read(&args.old, &options);
    let new = manifests::read(&args.new, &options);
    let mut input_errors = old.errors.clone();
    input_errors.extend(new.errors.iter().cloned());
    // An empty --new is a broken input (a failed build piped in), not a change that deletes
    // everything: an error. An empty --old is the base of a change that adds everything (a
    // directory or an application new in this change): every object of --new is new, and
    // the report lists it all, which no broken base could hide.
    input_errors.extend(manifests::nothing_to_check(&args.new, &new, "--new"));
    if input_errors.is_empty() && manifests::nothing_to_check(&args.old, &old, "--old").is_some() {
        eprintln!(
            "eastwest-guard {CMD}: note: --old holds no Kubernetes object, so every object of \
             --new is new"
        );
    }
    let report = Report::new(
        &exposure::model(&old, &config),
        &exposure::model(&new, &config),
        input_errors,
        &config,
    );
    let code = report.exit_code(args.fail_on_new_exposure);
    let written = write_out(CMD, |out, err| write(args.output, &report, code, out, err));
    match written {
        Ok(()) => ExitCode::from(code),
        Err(code) => code,
    }
}

/// Writes the report in `format` to `out`; in text and Markdown, input errors go to `err` (the
/// JSON document holds them). `exit_code` is recorded in the JSON summary.
pub fn write(
    format: DiffFormat,
    report: &Report,
    exit_code: u8,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    if format != DiffFormat::Json {
        for e in &report.input_errors {
            writeln!(err, "{}", input_error_line(e))?;
        }
    }
    match format {
        DiffFormat::Text => write_text(report, out),
        DiffFormat::Json => json::write_json(report, exit_code, out),
        DiffFormat::Markdown => write_markdown(report, out),
    }
}

/// The diff of two inputs, or why it could not be computed.
pub struct Report {
    pub diff: ExposureDiff,
    /// Inputs (of either side) that could not be read: the diff is not computed, since a
    /// missing file would read as deleted objects.
    pub input_errors: Vec<InputError>,
}

impl Report {
    pub fn new(old: &Model, new: &Model, input_errors: Vec<InputError>, config: &Config) -> Self {
        let diff = if input_errors.is_empty() {
            compare(old, new, config)
        } else {
            ExposureDiff::default()
        };
        Report { diff, input_errors }
    }

    pub fn complete(&self) -> bool {
        self.input_errors.is_empty()
    }

    /// 2 when an input could not be read; else 1 with `fail_on_new_exposure` when some Service
    /// becomes exposed; else 0.
    pub fn exit_code(&self, fail_on_new_exposure: bool) -> u8 {
        if !self.complete() {
            2
        } else if fail_on_new_exposure && !self.diff.newly_exposed.is_empty() {
            1
        } else {
            0
        }
    }
}
