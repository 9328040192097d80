//! The YAML output of `explain`: the WorkspaceSetting the agent would create for each
//! Namespace, or a comment saying why there is none.

use std::io::{self, Write};

use super::super::common::{input_error_line, plural};
use super::super::exposure::{self, NamespaceModel};
use super::{Explanation, deploy_text, key_text, q, trigger_list};
use crate::rules::model::{CloudParser, ExposureMode, GatewayState};
use crate::rules::{Level, keys, selector};

/// A YAML scalar that every YAML parser reads as this string: plain when that is safe (a
/// name-like word that no YAML 1.1 or 1.2 parser takes for a boolean, null or number), else
/// double-quoted (JSON string syntax is valid YAML).
fn yq(s: &str) -> String {
    const RESERVED: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null"];
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

/// A comment line's text, kept on one line.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(super) fn write_yaml(
    e: &Explanation<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    for ie in e.input_errors {
        writeln!(err, "{}", input_error_line(ie))?;
    }
    writeln!(
        out,
        "# The WorkspaceSetting the Tetrate hosted agent would create for each Namespace of the\n\
         # input, reconstructed by eastwest-guard explain from the agent's documentation (which\n\
         # parts come from it: docs/explain-diff-output.md). Nothing here is applied anywhere."
    )?;
    if !e.input_errors.is_empty() {
        writeln!(
            out,
            "# INCOMPLETE: {} could not be read (see standard error).",
            plural(e.input_errors.len(), "input", "inputs")
        )?;
    }
    for ns in &e.model.namespaces {
        write_namespace_yaml(e, ns, out)?;
    }
    Ok(())
}

fn write_namespace_yaml(
    e: &Explanation<'_>,
    ns: &NamespaceModel,
    out: &mut dyn Write,
) -> io::Result<()> {
    let name = comment(&ns.name);
    let problems = e.namespace_problems(ns);
    let errors: Vec<&str> = problems
        .iter()
        .filter(|f| f.level == Level::Deny)
        .map(|f| f.code.as_str())
        .collect();
    let denied = if errors.is_empty() {
        String::new()
    } else {
        format!(" (check denies this Namespace: {})", errors.join(", "))
    };
    let mut skip = |why: String| -> io::Result<()> {
        writeln!(
            out,
            "\n# Namespace {name}: no WorkspaceSetting: {}{denied}",
            comment(&why)
        )
    };
    match ns.workspace() {
        None => {
            return skip(
                "the Namespace is not in the input, so its mode, trigger label and gateway are \
                 unknown"
                    .into(),
            );
        }
        Some(false) => {
            return skip(format!(
                "none of the trigger labels ({}), so the agent creates no workspace",
                trigger_list(e.config)
            ));
        }
        Some(true) => {}
    }
    if ns.mode == ExposureMode::Off {
        return skip(format!(
            "east-west is off; the agent creates workspace {} without east-west gateway settings",
            ns.workspace_name()
        ));
    }
    let gw = match &ns.gateway {
        GatewayState::Settings(gw) => gw,
        GatewayState::Underivable(why) => {
            return skip(exposure::derive_error_text(why).to_owned());
        }
        GatewayState::Unknown => return skip("the gateway is unknown".into()),
    };
    // A name, namespace or selector no Kubernetes object can carry: no WorkspaceSetting (the
    // text and JSON outputs say the same).
    if let Some(problem) = exposure::gateway_problem(&ns.gateway) {
        return skip(problem);
    }
    let labels = match selector::parse(&gw.workload_selector) {
        Ok(sel) => sel.pairs,
        Err(_) => {
            return skip(format!(
                "the workload selector {} is malformed (EW005)",
                q(&gw.workload_selector)
            ));
        }
    };

    writeln!(out, "---")?;
    let mode_line = match ns.mode {
        ExposureMode::NamespaceLevel => {
            "namespace-level: exposedServices is omitted, so every Service in it is exposed"
                .to_owned()
        }
        _ => format!(
            "service-level: only Services labelled {}: \"true\" are exposed",
            keys::GLOBAL
        ),
    };
    writeln!(out, "# Namespace {name}: {mode_line}{denied}")?;
    writeln!(
        out,
        "# gateway {} in namespace {}: {}",
        comment(&gw.name),
        comment(&gw.namespace),
        deploy_text(&gw.deploy)
    )?;
    if let Some(cloud) = &ns.cloud {
        if cloud.annotations.is_empty() {
            writeln!(out, "# the gateway's Service gets no cloud annotation")?;
        } else {
            let how = match cloud.parser {
                CloudParser::Fallback => ", as the agent's line fallback reads them (YAML fails)",
                CloudParser::YamlFirstDocument => ", from the first YAML document only",
                _ => "",
            };
            writeln!(
                out,
                "# cloud annotations of the gateway's Service (not part of this resource){how}:"
            )?;
            for (k, v) in &cloud.annotations {
                writeln!(out, "#   {}: {}", comment(&key_text(k)), comment(&q(v)))?;
            }
        }
    }
    writeln!(out, "apiVersion: tsb.tetrate.io/v2")?;
    writeln!(out, "kind: WorkspaceSetting")?;
    writeln!(out, "metadata:")?;
    writeln!(out, "  name: {}", yq(&ns.workspace_setting_name()))?;
    writeln!(out, "  workspace: {}", yq(&ns.workspace_name()))?;
    writeln!(out, "spec:")?;
    writeln!(out, "  defaultEastWestGatewaySettings:")?;
    writeln!(out, "  - workloadSelector:")?;
    writeln!(out, "      namespace: {}", yq(&gw.namespace))?;
    writeln!(out, "      labels:")?;
    for (k, v) in &labels {
        writeln!(out, "        {}: {}", yq(k), yq(v))?;
    }
    if ns.mode == ExposureMode::ServiceLevel {
        writeln!(out, "    exposedServices:")?;
        writeln!(out, "    - serviceLabels:")?;
        writeln!(out, "        {}: \"true\"", yq(keys::GLOBAL))?;
    }
    Ok(())
}
