//! The JSON output of `fleet`: one document, described in docs/fleet-output.md.

use std::io::{self, Write};

use serde::Serialize;

use super::super::common::{JsonInputError, json_input_errors, write_json_value};
use super::{Failure, Report, Source, level_word};
use crate::rules::Field;
use crate::rules::fleet::Detail;

/// The version of the document's shape: raised on any change a reader could notice.
pub const FLEET_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Doc<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    summary: Summary,
    clusters: Vec<JsonCluster<'a>>,
    matrix: Vec<MatrixService<'a>>,
    /// With --old; `null` without.
    changes: Option<JsonChanges<'a>>,
    findings: Vec<JsonFinding<'a>>,
    input_errors: Vec<JsonFailure<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    clusters: usize,
    namespaces: usize,
    services: usize,
    multi_cluster_services: usize,
    errors: usize,
    warnings: usize,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCluster<'a> {
    name: &'a str,
    /// `manifests` or `context`.
    source: &'static str,
    path: Option<String>,
    context: Option<&'a str>,
    server: Option<&'a str>,
    namespaces: usize,
    services: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MatrixService<'a> {
    namespace: &'a str,
    name: &'a str,
    runs_in: Vec<&'a str>,
    exposed_in: Vec<&'a str>,
    clusters: Vec<MatrixCluster<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MatrixCluster<'a> {
    cluster: &'a str,
    exposed: bool,
    reason: &'static str,
    failover_targets: Vec<&'a str>,
    /// Why it has none: `no-workspace`, `exposed-nowhere-else`; `null` when it has some.
    no_target_because: Option<&'static str>,
    file: Option<String>,
    line: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    level: &'static str,
    rule: &'static str,
    title: &'static str,
    object: JsonObject<'a>,
    clusters: Vec<&'a str>,
    message: &'a str,
    summary: &'a str,
    pre_existing: bool,
    detail: JsonDetail<'a>,
    places: Vec<JsonPlace<'a>>,
}

#[derive(Serialize)]
struct JsonObject<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPlace<'a> {
    cluster: &'a str,
    object: JsonObject<'a>,
    field: &'a Field,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum JsonDetail<'a> {
    #[serde(rename_all = "camelCase")]
    Service {
        runs_in: Vec<&'a str>,
        exposed_in: Vec<&'a str>,
    },
    #[serde(rename_all = "camelCase")]
    Gateways { groups: Vec<JsonGroup<'a>> },
    #[serde(rename_all = "camelCase")]
    Modes {
        modes: Vec<JsonMode<'a>>,
        services: Vec<JsonModeService<'a>>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonGroup<'a> {
    clusters: Vec<&'a str>,
    name: &'a str,
    workload_selector: &'a str,
    namespace: &'a str,
    deploy: &'a str,
    differs: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonMode<'a> {
    cluster: &'a str,
    mode: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonModeService<'a> {
    name: &'a str,
    exposed_in: Vec<&'a str>,
    not_exposed_in: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonChanges<'a> {
    targets: Vec<JsonTargetChange<'a>>,
    new_findings: Vec<JsonRef<'a>>,
    fixed: Vec<JsonRef<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonTargetChange<'a> {
    namespace: &'a str,
    name: &'a str,
    cluster: &'a str,
    before: Vec<&'a str>,
    after: Vec<&'a str>,
    lost: Vec<&'a str>,
    gained: Vec<&'a str>,
    no_target_because: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRef<'a> {
    rule: &'static str,
    object: JsonObject<'a>,
    clusters: Vec<&'a str>,
    summary: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFailure<'a> {
    flag: &'a str,
    cluster: &'a str,
    errors: Vec<JsonInputError<'a>>,
}

fn object(o: &crate::rules::ObjectRef) -> JsonObject<'_> {
    JsonObject {
        kind: &o.kind,
        namespace: o.namespace.as_deref(),
        name: &o.name,
    }
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let names = |c: &[usize]| -> Vec<&str> { c.iter().map(|&i| report.name(i)).collect() };
    let fleet = &report.fleet;
    let matrix = fleet
        .matrix()
        .map(|row| MatrixService {
            namespace: row.namespace,
            name: row.name,
            runs_in: row.runs.iter().map(|p| report.name(p.cluster)).collect(),
            exposed_in: row.exposed_in().map(|c| report.name(c)).collect(),
            clusters: row
                .runs
                .iter()
                .map(|p| {
                    let targets = row.targets(p);
                    let at = report.clusters[p.cluster].start(Some(&p.service.source));
                    MatrixCluster {
                        cluster: report.name(p.cluster),
                        exposed: p.exposure.is_exposed(),
                        reason: p.exposure.code(),
                        failover_targets: names(targets.clusters()),
                        no_target_because: targets.none_code(),
                        file: at.as_ref().map(|(f, _)| f.to_string()),
                        line: at.map(|(_, pos)| pos.line),
                    }
                })
                .collect(),
        })
        .collect();
    let findings = fleet
        .findings
        .iter()
        .map(|f| JsonFinding {
            level: level_word(f.level),
            rule: f.rule.as_str(),
            title: f.rule.title(),
            object: object(&f.object),
            clusters: names(&f.clusters),
            message: &f.message,
            summary: &f.summary,
            pre_existing: f.pre_existing,
            detail: match &f.detail {
                Detail::Service {
                    runs_in,
                    exposed_in,
                } => JsonDetail::Service {
                    runs_in: names(runs_in),
                    exposed_in: names(exposed_in),
                },
                Detail::Gateways(groups) => JsonDetail::Gateways {
                    groups: groups
                        .iter()
                        .map(|g| JsonGroup {
                            clusters: names(&g.clusters),
                            name: &g.name,
                            workload_selector: &g.workload_selector,
                            namespace: &g.namespace,
                            deploy: &g.deploy,
                            differs: g.differs.iter().map(|s| s.as_str()).collect(),
                        })
                        .collect(),
                },
                Detail::Modes { modes, services } => JsonDetail::Modes {
                    modes: modes
                        .iter()
                        .map(|(c, m)| JsonMode {
                            cluster: report.name(*c),
                            mode: m.as_str(),
                        })
                        .collect(),
                    services: services
                        .iter()
                        .map(|s| JsonModeService {
                            name: &s.name,
                            exposed_in: names(&s.exposed_in),
                            not_exposed_in: names(&s.not_exposed_in),
                        })
                        .collect(),
                },
            },
            places: f
                .places
                .iter()
                .map(|p| {
                    let at = report.locate(p);
                    JsonPlace {
                        cluster: report.name(p.cluster),
                        object: object(&p.object),
                        field: &p.field,
                        file: at.as_ref().map(|(f, _)| f.to_string()),
                        line: at.as_ref().map(|(_, pos)| pos.line),
                        column: at.map(|(_, pos)| pos.column),
                    }
                })
                .collect(),
        })
        .collect();
    let changes = report.changes.as_ref().map(|c| JsonChanges {
        targets: c
            .targets
            .iter()
            .map(|t| JsonTargetChange {
                namespace: &t.namespace,
                name: &t.name,
                cluster: report.name(t.cluster),
                before: names(&t.before),
                after: names(&t.after),
                lost: t.lost().map(|c| report.name(c)).collect(),
                gained: t.gained().map(|c| report.name(c)).collect(),
                no_target_because: t.none_after,
            })
            .collect(),
        new_findings: c
            .new_findings
            .iter()
            .map(|&i| {
                let f = &fleet.findings[i];
                JsonRef {
                    rule: f.rule.as_str(),
                    object: object(&f.object),
                    clusters: names(&f.clusters),
                    summary: &f.summary,
                }
            })
            .collect(),
        fixed: c
            .fixed
            .iter()
            .map(|f| JsonRef {
                rule: f.rule.as_str(),
                object: object(&f.object),
                clusters: names(&f.clusters),
                summary: &f.summary,
            })
            .collect(),
    });
    let doc = Doc {
        schema_version: FLEET_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        summary: Summary {
            clusters: report.clusters.len(),
            namespaces: report.clusters.iter().map(|c| c.namespaces).sum(),
            services: report.services(),
            multi_cluster_services: fleet.matrix().count(),
            errors: fleet.errors(),
            warnings: fleet.warnings(),
            exit_code: report.exit_code(),
        },
        clusters: report
            .clusters
            .iter()
            .map(|c| JsonCluster {
                name: &c.name,
                source: match c.source {
                    Source::Manifests(_) => "manifests",
                    Source::Context(_) => "context",
                },
                path: match &c.source {
                    Source::Manifests(_) => Some(c.describe()),
                    Source::Context(_) => None,
                },
                context: match &c.source {
                    Source::Context(ctx) => Some(ctx),
                    Source::Manifests(_) => None,
                },
                server: c.server.as_deref(),
                namespaces: c.namespaces,
                services: c.services,
            })
            .collect(),
        matrix,
        changes,
        findings,
        input_errors: Vec::new(),
    };
    write_json_value(&doc, out)
}

/// The document when a cluster could not be read: no matrix, the errors, exit code 2.
pub(super) fn write_failed(failed: &[Failure], out: &mut dyn Write) -> io::Result<()> {
    let doc = Doc {
        schema_version: FLEET_SCHEMA_VERSION,
        tool: env!("CARGO_PKG_NAME"),
        tool_version: env!("CARGO_PKG_VERSION"),
        summary: Summary {
            clusters: 0,
            namespaces: 0,
            services: 0,
            multi_cluster_services: 0,
            errors: 0,
            warnings: 0,
            exit_code: 2,
        },
        clusters: Vec::new(),
        matrix: Vec::new(),
        changes: None,
        findings: Vec::new(),
        input_errors: failed
            .iter()
            .map(|f| JsonFailure {
                flag: &f.flag,
                cluster: &f.cluster,
                errors: json_input_errors(&f.errors),
            })
            .collect(),
    };
    write_json_value(&doc, out)
}
