//! `eastwest-guard fleet --cluster NAME=PATH --cluster NAME=context:CONTEXT ...`: failover
//! readiness across clusters. Each cluster (a manifest set, or a live cluster) becomes the
//! engine's model of it; the engine judges the fleet (EW050-EW053, [`crate::rules::fleet`]);
//! this module reads the clusters and writes the failover matrix and the findings.
//!
//! - `input.rs`: the `--cluster` values, reading manifest sets and live clusters;
//! - the outputs, each reading only the [`Report`]: `text.rs` (an aligned table),
//!   `markdown.rs` (a pull-request comment, in `diff`'s style), `json.rs`
//!   (docs/fleet-output.md).

mod input;
mod json;
mod markdown;
mod text;

pub use input::{CONTEXT_PREFIX, Loaded, Source, Spec, parse_spec, parse_specs};
pub use json::FLEET_SCHEMA_VERSION;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::common::{input_error_line, usage_error, write_out};
use super::manifests::{self, InputError, ReadOptions};
use super::yaml::Pos;
use crate::rules::fleet::{self, Changes, Cluster, Fleet, Place};
use crate::rules::{Config, Level};
use input::{LiveOptions, LoadError, Src};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FleetFormat {
    /// The failover matrix as an aligned table, then the findings.
    #[default]
    Text,
    /// Markdown to post as a pull-request comment.
    Markdown,
    /// One JSON document (see docs/fleet-output.md).
    Json,
}

/// `eastwest-guard fleet`: failover readiness across clusters.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Each --cluster names one cluster and one manifest set (a file, a directory \
    searched recursively, or - for standard input, once) or a live cluster \
    (NAME=context:CONTEXT, read as `audit` reads it: list on Namespaces and Services). Give \
    two or more.\n\nExit status: 0 when nothing is denied (warnings allowed unless \
    --fail-on-warning), 1 when something is denied (EW050), 2 when a cluster cannot be read, \
    holds no Kubernetes object, or a flag is wrong.\n\nExamples:\n  eastwest-guard fleet \
    --cluster east=clusters/east --cluster west=clusters/west\n  eastwest-guard fleet \
    --cluster east=clusters/east --cluster west=context:prod-west\n  eastwest-guard fleet \
    --cluster east=clusters/east --cluster west=clusters/west --old east=../base/clusters/east \
    --old west=../base/clusters/west --output markdown"
)]
pub struct FleetArgs {
    /// A cluster: NAME=PATH (a manifest file, a directory or `-`) or NAME=context:CONTEXT (a
    /// kubeconfig context of a live cluster). NAME is a DNS label; repeat for each cluster.
    #[arg(long = "cluster", value_name = "NAME=PATH", required = true)]
    pub clusters: Vec<String>,

    /// The same cluster before the change, e.g. on a checkout of the base branch: NAME=PATH
    /// (or NAME=context:CONTEXT), one per --cluster NAME. Reports what the change does to
    /// failover; findings it did not bring are reported as pre-existing.
    #[arg(long, value_name = "NAME=PATH")]
    pub old: Vec<String>,

    /// The namespace of Services whose manifest sets none.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = FleetFormat::Text)]
    pub output: FleetFormat,

    /// Exit 1 on warnings too, not only on errors.
    #[arg(long)]
    pub fail_on_warning: bool,

    /// The kubeconfig file of the context: clusters. Default: KUBECONFIG, else ~/.kube/config.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    #[command(flatten)]
    pub listing: super::common::ListFlags,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

/// The fleet judged, with what the outputs need beside it.
pub struct Report<'a> {
    pub clusters: &'a [Loaded],
    pub fleet: Fleet<'a, Src>,
    /// With --old: what the change does to failover.
    pub changes: Option<Changes>,
    pub fail_on_warning: bool,
}

impl Report<'_> {
    pub fn exit_code(&self) -> u8 {
        if self.fleet.errors() > 0 || (self.fail_on_warning && self.fleet.warnings() > 0) {
            1
        } else {
            0
        }
    }

    /// The file and position of a finding's key to change (manifest sets only).
    pub fn locate(&self, place: &Place<'_, Src>) -> Option<(Arc<str>, Pos)> {
        self.clusters[place.cluster].locate(place.source, &place.field)
    }

    pub fn services(&self) -> usize {
        self.clusters.iter().map(|c| c.services).sum()
    }

    pub fn name(&self, cluster: usize) -> &str {
        &self.clusters[cluster].name
    }

    /// `east, west`.
    pub fn names(&self, clusters: &[usize]) -> String {
        clusters
            .iter()
            .map(|&c| self.name(c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `error` or `warning`, as check writes levels.
pub(crate) fn level_word(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
    }
}

/// Judges `clusters`, and with `old` (the same clusters, in the same order) compares.
pub fn report<'a>(
    clusters: &'a [Loaded],
    old: Option<&[Loaded]>,
    config: &Config,
    fail_on_warning: bool,
) -> Report<'a> {
    let views = |loaded: &'a [Loaded]| -> Vec<Cluster<'a, Src>> {
        loaded
            .iter()
            .map(|c| Cluster {
                name: &c.name,
                model: &c.model,
            })
            .collect()
    };
    let mut judged = fleet::judge(&views(clusters), config);
    let changes = old.map(|old| {
        let views: Vec<Cluster<'_, Src>> = old
            .iter()
            .map(|c| Cluster {
                name: &c.name,
                model: &c.model,
            })
            .collect();
        let before = fleet::judge(&views, config);
        fleet::compare(&before, &mut judged, config)
    });
    Report {
        clusters,
        fleet: judged,
        changes,
        fail_on_warning,
    }
}

pub fn run_fleet(args: FleetArgs) -> ExitCode {
    const CMD: &str = "fleet";
    let config = match args.rules.to_config() {
        Ok(config) => config,
        Err(why) => return usage_error(CMD, &why),
    };
    let (new_specs, old_specs) = match specs(&args) {
        Ok(specs) => specs,
        Err(why) => return usage_error(CMD, &why),
    };
    let live = LiveOptions {
        kubeconfig: args.kubeconfig.clone(),
        request_timeout: args.listing.timeout(),
        chunk_size: args.listing.chunk_size,
    };
    let options = ReadOptions {
        default_namespace: args.namespace.clone(),
    };
    let mut failed = Vec::new();
    let new = load_all(
        &new_specs,
        "--cluster",
        &options,
        &live,
        &config,
        true,
        &mut failed,
    );
    let old = old_specs
        .as_ref()
        .map(|specs| load_all(specs, "--old", &options, &live, &config, false, &mut failed));
    let (Some(new), Some(old)) = (new, old.unwrap_or(Some(Vec::new()))) else {
        for line in &failed {
            eprintln!("eastwest-guard {CMD}: {line}");
        }
        if args.output == FleetFormat::Json {
            let _ = write_out(CMD, |out, _| json::write_failed(&failed, out));
        }
        return ExitCode::from(2);
    };
    for c in &new {
        if c.namespaces + c.services == 0 {
            eprintln!(
                "eastwest-guard {CMD}: note: --cluster {} holds no Namespace or Service: \
                 nothing of it can fail over",
                c.name
            );
        }
    }
    for c in &old {
        if c.namespaces + c.services == 0 {
            eprintln!(
                "eastwest-guard {CMD}: note: --old {} holds no Namespace or Service, so the \
                 cluster is judged as new in this change",
                c.name
            );
        }
    }
    let report = report(
        &new,
        old_specs.is_some().then_some(old.as_slice()),
        &config,
        args.fail_on_warning,
    );
    let code = report.exit_code();
    match write_out(CMD, |out, _| write(args.output, &report, out)) {
        Ok(()) => ExitCode::from(code),
        Err(code) => code,
    }
}

/// Writes `report` in `format`.
pub fn write(format: FleetFormat, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        FleetFormat::Text => text::write(report, out),
        FleetFormat::Markdown => markdown::write(report, out),
        FleetFormat::Json => json::write(report, out),
    }
}

/// The checked `--cluster` specs and, with `--old`, the `--old` ones in the same order.
fn specs(args: &FleetArgs) -> Result<(Vec<Spec>, Option<Vec<Spec>>), String> {
    crate::rules::names::dns1123_label(&args.namespace)
        .map_err(|why| format!("--namespace {:?} {why}", args.namespace))?;
    let new = parse_specs("--cluster", &args.clusters)?;
    if new.len() < 2 {
        return Err(format!(
            "--cluster: a fleet needs two or more clusters, {} given (failover is from one \
             cluster to another)",
            new.len()
        ));
    }
    let old = if args.old.is_empty() {
        None
    } else {
        let old = parse_specs("--old", &args.old)?;
        if let Some(stray) = old.iter().find(|o| !new.iter().any(|n| n.name == o.name)) {
            return Err(format!(
                "--old {:?}: no --cluster is named {:?}: --old takes the names of --cluster",
                stray.name, stray.name
            ));
        }
        let mut ordered = Vec::with_capacity(new.len());
        for n in &new {
            match old.iter().find(|o| o.name == n.name) {
                Some(o) => ordered.push(o.clone()),
                None => {
                    return Err(format!(
                        "--old: cluster {:?} has no --old {}=PATH: give one for every \
                         --cluster (/dev/null, an empty file, for a cluster new in this change)",
                        n.name, n.name
                    ));
                }
            }
        }
        Some(ordered)
    };
    let stdin = new
        .iter()
        .chain(old.iter().flatten())
        .filter(|s| matches!(&s.source, Source::Manifests(p) if p.as_os_str() == manifests::STDIN))
        .count();
    if stdin > 1 {
        return Err("standard input (-) can be read only once: give it to one --cluster".into());
    }
    Ok((new, old))
}

/// Reads every spec; on failure, appends the reasons (each naming the flag) to `failed` and
/// returns `None`.
fn load_all(
    specs: &[Spec],
    flag: &str,
    options: &ReadOptions,
    live: &LiveOptions,
    config: &Config,
    required: bool,
    failed: &mut Vec<Failure>,
) -> Option<Vec<Loaded>> {
    let mut loaded = Vec::with_capacity(specs.len());
    let mut runtime = None;
    let before = failed.len();
    for spec in specs {
        let result = match &spec.source {
            Source::Manifests(path) => input::load_manifests(spec, path, options, config, required),
            Source::Context(context) => match live_runtime(&mut runtime) {
                Ok(rt) => rt.block_on(input::load_live(spec, context, live, config)),
                Err(e) => {
                    failed.push(Failure {
                        flag: flag.to_owned(),
                        cluster: spec.name.clone(),
                        errors: vec![InputError {
                            file: Arc::from(format!("context:{context}")),
                            pos: None,
                            message: format!("starting the runtime: {e}"),
                        }],
                    });
                    continue;
                }
            },
        };
        match result {
            Ok(l) => loaded.push(l),
            Err(LoadError::Inputs(errors)) => failed.push(Failure {
                flag: flag.to_owned(),
                cluster: spec.name.clone(),
                errors,
            }),
            Err(LoadError::Live(error)) => failed.push(Failure {
                flag: flag.to_owned(),
                cluster: spec.name.clone(),
                errors: vec![InputError {
                    file: Arc::from(match &spec.source {
                        Source::Context(c) => format!("{CONTEXT_PREFIX}{c}"),
                        Source::Manifests(p) => p.display().to_string(),
                    }),
                    pos: None,
                    message: error.to_string(),
                }],
            }),
        }
    }
    (failed.len() == before).then_some(loaded)
}

fn live_runtime(
    runtime: &mut Option<tokio::runtime::Runtime>,
) -> io::Result<&tokio::runtime::Runtime> {
    if runtime.is_none() {
        // The one crypto provider of the process (kube's TLS asks for the default).
        let _ = rustls::crypto::ring::default_provider().install_default();
        *runtime = Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        );
    }
    runtime
        .as_ref()
        .ok_or_else(|| io::Error::other("no runtime"))
}

/// A cluster that could not be read.
#[derive(Debug)]
pub struct Failure {
    pub flag: String,
    pub cluster: String,
    pub errors: Vec<InputError>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self.errors.iter().map(input_error_line).collect();
        write!(f, "{} {}: {}", self.flag, self.cluster, lines.join("; "))
    }
}

/// One line of the failover matrix: one Service in one cluster where it runs.
pub(crate) struct MatrixLine<'r> {
    pub namespace: &'r str,
    pub name: &'r str,
    /// Whether this is the Service's first line.
    pub first: bool,
    pub cluster: &'r str,
    pub exposed: bool,
    /// Why it is exposed or not ([`fleet::Exposure::code`]).
    pub why: &'static str,
    /// Its failover targets from here, or `none (why)`.
    pub targets: String,
}

impl Report<'_> {
    /// The failover matrix, a line per Service and cluster where it runs.
    pub(crate) fn matrix_lines(&self) -> Vec<MatrixLine<'_>> {
        let mut lines = Vec::new();
        for row in self.fleet.matrix() {
            for (i, p) in row.runs.iter().enumerate() {
                let targets = row.targets(p);
                lines.push(MatrixLine {
                    namespace: row.namespace,
                    name: row.name,
                    first: i == 0,
                    cluster: self.name(p.cluster),
                    exposed: p.exposure.is_exposed(),
                    why: p.exposure.code(),
                    targets: match targets.none_code() {
                        None => self.names(targets.clusters()),
                        Some(_) => format!("none ({})", none_words(&targets)),
                    },
                });
            }
        }
        lines
    }
}

/// Why a cluster has no failover target, in a few words for a table cell.
pub(crate) fn none_words(targets: &fleet::Targets) -> &'static str {
    match targets {
        fleet::Targets::NoWorkspace => "no workspace here",
        fleet::Targets::ExposedNowhereElse => "exposed nowhere else",
        fleet::Targets::To(_) => "",
    }
}

/// What a change does to one Service's failover from one cluster, in a sentence:
/// `pay/ledger loses its failover target in west: east (now none: exposed nowhere else)`.
pub(crate) fn target_change_words(report: &Report<'_>, t: &fleet::TargetChange) -> String {
    let service = format!("{}/{}", t.namespace, t.name);
    let cluster = report.name(t.cluster);
    let lost: Vec<usize> = t.lost().collect();
    let gained: Vec<usize> = t.gained().collect();
    let mut parts = Vec::new();
    if !lost.is_empty() {
        parts.push(format!(
            "loses its failover target{} in {cluster}: {}",
            if lost.len() == 1 { "" } else { "s" },
            report.names(&lost)
        ));
    }
    if !gained.is_empty() {
        parts.push(format!(
            "gains {} in {cluster}: {}",
            if gained.len() == 1 {
                "a failover target"
            } else {
                "failover targets"
            },
            report.names(&gained)
        ));
    }
    let now = match t.none_after {
        Some("no-workspace") => " (now none: its Namespace has no workspace there)".to_owned(),
        Some(_) => " (now none: exposed in no other cluster where it runs)".to_owned(),
        None => String::new(),
    };
    format!("{service} {}{now}", parts.join(", and "))
}
