//! The GitOps commands over manifest files.
//!
//! - [`manifests`]: reading files, directories and standard input into Namespaces and Services
//!   with the positions of their keys (shared by every command over manifests);
//!   [`yaml`] is the positioned YAML tree under it.
//! - [`cluster`]: the cluster as the input describes it, for cross-object rules.
//! - [`check`]: judging the input with the rules engine; [`output`]: text, JSON, GitHub,
//!   Markdown, SARIF, JUnit.
//! - [`exposure`]: the engine's model of what the agent does with an input (mode, workspace,
//!   gateway, exposed Services), located in files and put in words; [`explain`] prints it,
//!   [`diff`] compares two inputs.
//! - [`audit`]: the same rules over the live cluster, read-only (`audit`).
//! - [`policy`]: the rules CEL can express, as a ValidatingAdmissionPolicy for kube-apiserver
//!   (`policy`).
//! - [`common`]: the plumbing the three commands share (flag checks, usage errors, writing the
//!   report).

pub mod audit;
pub mod check;
pub mod cluster;
pub mod common;
pub mod diff;
pub mod explain;
pub mod exposure;
pub mod manifests;
pub mod output;
pub mod policy;
pub mod yaml;

pub use audit::{AuditArgs, run_audit};
pub use diff::{DiffArgs, run_diff};
pub use explain::{ExplainArgs, run_explain};
pub use policy::{PolicyArgs, run_policy};

use std::path::PathBuf;
use std::process::ExitCode;

use common::{usage_error, validate_inputs, write_out};
use manifests::ReadOptions;
use output::OutputFormat;

/// `eastwest-guard check`: the rules of the webhook, over manifest files, for CI.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 when nothing is denied (warnings allowed unless \
    --fail-on-warning), 1 when something is denied, 2 when an input cannot be read or parsed, \
    or a flag is wrong.\n\nExamples:\n  eastwest-guard check manifests/\n  kustomize build \
    overlays/prod | eastwest-guard check -\n  eastwest-guard check --old base/manifests \
    manifests/ --output github"
)]
pub struct CheckArgs {
    /// Manifest files, directories (searched recursively for .yaml, .yml and .json files) or
    /// `-` for standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// The manifests before the change, e.g. a checkout of the base branch: a file, a
    /// directory or `-`, one per --old (repeat it for more). Objects in both sets are judged as
    /// updates, so transitions such as EW020 are caught; objects only here are deletions.
    #[arg(long, value_name = "PATH")]
    pub old: Vec<PathBuf>,

    /// The namespace of Services whose manifest sets none.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Exit 1 on warnings too, not only on errors.
    #[arg(long)]
    pub fail_on_warning: bool,

    /// With --old: after the report, print the change in cross-cluster exposure (as
    /// `eastwest-guard diff` does; in Markdown with --output markdown). Text, github and
    /// markdown output only; the exit status is check's.
    #[arg(long, requires = "old")]
    pub summary: bool,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

pub fn run_check(args: CheckArgs) -> ExitCode {
    const CMD: &str = "check";
    let config = match args.rules.to_config() {
        Ok(config) => config,
        Err(why) => return usage_error(CMD, &why),
    };
    if let Err(why) = validate_inputs(&args.namespace, args.paths.iter().chain(&args.old)) {
        return usage_error(CMD, &why);
    }
    if args.summary && !args.output.takes_appended_text() {
        return usage_error(
            CMD,
            "--summary prints text after the report, which would break a JSON, SARIF or JUnit \
             document: use eastwest-guard diff --output json for the exposure change",
        );
    }

    let options = ReadOptions {
        default_namespace: args.namespace.clone(),
    };
    let mut new = manifests::read(&args.paths, &options);
    new.errors
        .extend(manifests::nothing_to_check(&args.paths, &new, "the input"));
    let old = (!args.old.is_empty()).then(|| manifests::read(&args.old, &options));
    // An empty --old is the base of a change that adds everything (a directory new in it, a
    // file the base branch does not have): every object is judged as a creation, and said so.
    if let Some(old) = &old
        && manifests::nothing_to_check(&args.old, old, "--old").is_some()
    {
        eprintln!(
            "eastwest-guard {CMD}: note: --old holds no Kubernetes object, so every object is \
             judged as new"
        );
    }
    let outcome = check::check(&new, old.as_ref(), &config);

    let written = write_out(CMD, |out, err| {
        output::write(args.output, &outcome, args.fail_on_warning, out, err)?;
        if let (Some(old), true) = (&old, args.summary) {
            let report = diff::Report::new(
                &exposure::model(old, &config),
                &exposure::model(&new, &config),
                outcome.input_errors.clone(),
                &config,
            );
            writeln!(out)?;
            if args.output == OutputFormat::Markdown {
                diff::write_markdown(&report, out)?;
            } else {
                diff::write_text(&report, out)?;
            }
        }
        Ok(())
    });
    match written {
        Ok(()) => ExitCode::from(outcome.exit_code(args.fail_on_warning)),
        Err(code) => code,
    }
}
