//! The text report of `explain`: per Namespace, its mode, workspace, gateway, cloud
//! annotations and Services, with the problems check reports beside them; then a summary line.

use std::io::{self, Write};

use super::super::check::Finding;
use super::super::common::{input_error_line, plural};
use super::super::exposure::{self, NamespaceModel, ServiceModel};
use super::{Explanation, deploy_text, key_text, q, workspace_text};
use crate::rules::gateway::{GatewaySettings, Source};
use crate::rules::model::{CloudParser, CloudView, ExposureMode, GatewayState};

fn source_text(source: Source, what: &str) -> &'static str {
    match (source, what) {
        (Source::Annotation, _) => "annotation",
        (Source::Default, _) => "default",
        (Source::Derived, "name") => "derived from the selector's app key",
        (Source::Derived, _) => "derived from the name",
    }
}

/// Why the gateway is not in use, when it is not.
fn gateway_unused(ns: &NamespaceModel) -> Option<&'static str> {
    if ns.gateway_in_use() {
        None
    } else if ns.workspace() == Some(false) {
        Some("not in use: no workspace")
    } else {
        Some("not in use: east-west is off")
    }
}

pub(super) fn write_text(
    e: &Explanation<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    for ie in e.input_errors {
        writeln!(err, "{}", input_error_line(ie))?;
    }
    for (i, ns) in e.model.namespaces.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_namespace_text(e, ns, out)?;
    }
    if !e.model.namespaces.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(e))
}

fn write_namespace_text(
    e: &Explanation<'_>,
    ns: &NamespaceModel,
    out: &mut dyn Write,
) -> io::Result<()> {
    match &ns.source {
        Some(at) => writeln!(out, "Namespace {} ({at})", ns.name)?,
        None => writeln!(out, "Namespace {} (not in the input)", ns.name)?,
    }
    writeln!(out, "  mode: {} ({})", ns.mode, exposure::mode_why(ns))?;
    writeln!(out, "  workspace: {}", workspace_text(ns, e.config))?;
    match &ns.gateway {
        GatewayState::Settings(gw) => {
            let unused = gateway_unused(ns)
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            // Settings no Kubernetes object can carry: say so, never "deployed by the agent".
            let outcome = match exposure::gateway_problem(&ns.gateway) {
                Some(problem) => format!("which the agent cannot set up: {problem}"),
                None => deploy_text(&gw.deploy).to_owned(),
            };
            writeln!(
                out,
                "  gateway{unused}: {} in namespace {}, workload selector {}, {outcome}",
                gw.name, gw.namespace, gw.workload_selector,
            )?;
            write_gateway_sources(gw, out)?;
        }
        GatewayState::Underivable(why) => {
            writeln!(
                out,
                "  gateway: unknown: {}",
                exposure::derive_error_text(why)
            )?;
        }
        GatewayState::Unknown => {
            writeln!(out, "  gateway: unknown: the Namespace is not in the input")?;
        }
    }
    if let Some(cloud) = &ns.cloud {
        write_cloud_text(cloud, out)?;
    }
    let exposed: Vec<&ServiceModel> = ns.exposed().collect();
    let not_exposed: Vec<&ServiceModel> = ns.not_exposed().collect();
    if ns.services.is_empty() {
        writeln!(out, "  Services: none in the input")?;
    }
    if !exposed.is_empty() {
        writeln!(out, "  exposed cross-cluster ({}):", exposed.len())?;
        for s in exposed {
            write_service_text(e, ns, s, out)?;
        }
    }
    if !not_exposed.is_empty() {
        writeln!(out, "  not exposed ({}):", not_exposed.len())?;
        for s in not_exposed {
            write_service_text(e, ns, s, out)?;
        }
    }
    let problems = e.namespace_problems(ns);
    if !problems.is_empty() {
        writeln!(out, "  problems check reports on the Namespace:")?;
        for f in problems {
            writeln!(out, "    {}", problem_line(f))?;
        }
    }
    Ok(())
}

fn write_gateway_sources(gw: &GatewaySettings<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rows = [
        ("name", &*gw.name, source_text(gw.name_source, "name")),
        (
            "namespace",
            &*gw.namespace,
            source_text(gw.namespace_source, "namespace"),
        ),
        (
            "workload selector",
            &*gw.workload_selector,
            source_text(gw.workload_selector_source, "selector"),
        ),
        (
            "deploy",
            &*gw.deploy,
            source_text(gw.deploy_source, "deploy"),
        ),
    ];
    for (what, value, from) in rows {
        writeln!(out, "    {what:<18} {:<30} {from}", q(value))?;
    }
    Ok(())
}

fn write_cloud_text(cloud: &CloudView, out: &mut dyn Write) -> io::Result<()> {
    let keys = plural(cloud.annotations.len(), "key", "keys");
    match cloud.parser {
        CloudParser::Yaml => writeln!(out, "  cloud annotations (YAML, {keys}):")?,
        CloudParser::YamlFirstDocument => writeln!(
            out,
            "  cloud annotations (YAML reads only the first of several documents, {keys}):"
        )?,
        CloudParser::YamlEmpty => writeln!(
            out,
            "  cloud annotations: empty: the gateway's Service gets none"
        )?,
        CloudParser::Fallback => {
            writeln!(
                out,
                "  cloud annotations: YAML fails, so the agent falls back to splitting lines at \
                 the first colon:"
            )?;
            for p in &cloud.yaml_problems {
                let at = p
                    .position
                    .map(|p| format!(" (line {}, column {} of the annotation)", p.line, p.column))
                    .unwrap_or_default();
                writeln!(out, "    YAML: the text {}{at}", p.what)?;
            }
            if cloud.annotations.is_empty() {
                writeln!(
                    out,
                    "    the fallback finds nothing: the gateway's Service gets no annotation"
                )?;
            } else {
                writeln!(out, "    the fallback gives ({keys}):")?;
            }
        }
    }
    let indent = if cloud.parser == CloudParser::Fallback {
        "      "
    } else {
        "    "
    };
    for (k, v) in &cloud.annotations {
        writeln!(out, "{indent}{}: {}", key_text(k), q(v))?;
    }
    if !cloud.skipped_lines.is_empty() {
        let lines: Vec<String> = cloud.skipped_lines.iter().map(|l| l.to_string()).collect();
        writeln!(
            out,
            "    the fallback skips line{} {} of the annotation (a warning in the agent's log, \
             nothing else)",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        )?;
    }
    if !cloud.invalid_keys.is_empty() {
        let keys: Vec<String> = cloud.invalid_keys.iter().map(|k| key_text(k)).collect();
        let quotes = if cloud.parser == CloudParser::Fallback
            && cloud.invalid_keys.iter().any(|k| k.contains(['"', '\'']))
        {
            " (the fallback removes quotes around values, not around keys)"
        } else {
            ""
        };
        writeln!(
            out,
            "    not valid annotation keys (EW008), which Kubernetes refuses on a Service{quotes}: {}",
            keys.join(", ")
        )?;
    }
    if !cloud.unsupported_keys.is_empty() {
        writeln!(
            out,
            "    outside the documented cloud prefixes (EW009, a warning): {}",
            cloud.unsupported_keys.join(", ")
        )?;
    }
    Ok(())
}

fn write_service_text(
    e: &Explanation<'_>,
    ns: &NamespaceModel,
    s: &ServiceModel,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "    {}: {} ({})",
        s.name,
        exposure::why(s, ns),
        s.source
    )?;
    for f in e.service_problems(s) {
        writeln!(out, "      {}", problem_line(f))?;
    }
    Ok(())
}

/// `error EW005 at path:9:5: summary`.
fn problem_line(f: &Finding) -> String {
    let summary = f
        .summary
        .strip_prefix(&format!("{}: ", f.code))
        .unwrap_or(&f.summary);
    format!(
        "{} {} at {}:{}:{}: {summary}",
        f.level, f.code, f.file, f.pos.line, f.pos.column
    )
}

fn summary_line(e: &Explanation<'_>) -> String {
    let m = e.model;
    let known: Vec<&NamespaceModel> = m.namespaces.iter().filter(|n| n.in_input()).collect();
    let count = |mode: ExposureMode| known.iter().filter(|n| n.mode == mode).count();
    let services: usize = m.namespaces.iter().map(|n| n.services.len()).sum();
    let exposed: usize = m.namespaces.iter().map(|n| n.exposed().count()).sum();
    let unknown = m.namespaces.len() - known.len();
    let mut line = format!(
        "explained {} ({} namespace-level, {} service-level, {} off)",
        plural(known.len(), "Namespace", "Namespaces"),
        count(ExposureMode::NamespaceLevel),
        count(ExposureMode::ServiceLevel),
        count(ExposureMode::Off),
    );
    if unknown > 0 {
        line.push_str(&format!(
            " and Services in {} not in the input",
            plural(unknown, "Namespace", "Namespaces")
        ));
    }
    line.push_str(&format!(
        ": {} exposed cross-cluster of {}; check reports {}, {}",
        exposed,
        plural(services, "Service", "Services"),
        plural(e.errors(), "error", "errors"),
        plural(e.warnings(), "warning", "warnings"),
    ));
    if !e.input_errors.is_empty() {
        line.push_str(&format!(
            "; {} (the explanation is incomplete)",
            plural(
                e.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        ));
    }
    line
}
