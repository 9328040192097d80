//! The text report of `diff` (and of `check --old ... --summary`): a headline, then each
//! change on a line.

use std::io::{self, Write};

use super::super::common::plural;
use super::Report;
use super::changes::{ExposureDiff, GatewayChangeKind, NamespaceChangeKind, ServiceChange};
use super::compare::quoted;
use crate::rules::RuleId;

/// One line saying what changes, or that nothing does.
pub fn headline(report: &Report) -> String {
    if !report.complete() {
        return format!(
            "Cross-cluster exposure not compared: {} (see the errors above)",
            plural(
                report.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        );
    }
    let d = &report.diff;
    if d.is_empty() {
        return "No change in cross-cluster exposure".to_owned();
    }
    format!("Cross-cluster exposure: {}", counts(d).join("; "))
}

/// The parts of the headline: Services, then gateways, then Namespaces.
pub(super) fn counts(d: &ExposureDiff) -> Vec<String> {
    let mut parts = vec![
        format!(
            "{} become{} exposed",
            plural(d.newly_exposed.len(), "Service", "Services"),
            if d.newly_exposed.len() == 1 { "s" } else { "" }
        ),
        format!(
            "{} stop{} being exposed",
            d.no_longer_exposed.len(),
            if d.no_longer_exposed.len() == 1 {
                "s"
            } else {
                ""
            }
        ),
    ];
    let gateways: Vec<String> = [
        GatewayChangeKind::Created,
        GatewayChangeKind::Moved,
        GatewayChangeKind::Updated,
        GatewayChangeKind::Removed,
    ]
    .into_iter()
    .map(|kind| (kind, d.gateways_of(kind)))
    .filter(|(_, n)| *n > 0)
    .map(|(kind, n)| format!("{n} {}", kind.as_str()))
    .collect();
    if !gateways.is_empty() {
        parts.push(format!("gateways: {}", gateways.join(", ")));
    }
    if !d.namespaces.is_empty() {
        let blocked = d
            .namespaces
            .iter()
            .filter(|n| n.blocked_by.is_some())
            .count();
        let maybe = d
            .namespaces
            .iter()
            .filter(|n| n.may_be_blocked_by.is_some())
            .count();
        let marks: Vec<String> = [(blocked, "blocked"), (maybe, "may be blocked")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        parts.push(format!(
            "{} change{}{}",
            plural(d.namespaces.len(), "Namespace", "Namespaces"),
            if d.namespaces.len() == 1 { "s" } else { "" },
            if marks.is_empty() {
                String::new()
            } else {
                format!(" ({})", marks.join(", "))
            }
        ));
    }
    parts
}

fn blocked_text(rule: Option<RuleId>) -> String {
    rule.map(|r| format!(" [blocked: {r}]")).unwrap_or_default()
}

pub(super) fn service_location(c: &ServiceChange) -> String {
    c.after
        .as_ref()
        .or(c.before.as_ref())
        .map(|s| s.location.to_string())
        .unwrap_or_default()
}

/// The text report: a headline, then each change on a line.
pub fn write_text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", headline(report))?;
    let d = &report.diff;
    let services = [
        (
            "Services that become exposed cross-cluster",
            "+",
            &d.newly_exposed,
        ),
        (
            "Services that stop being exposed",
            "-",
            &d.no_longer_exposed,
        ),
    ];
    for (title, mark, list) in services {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n{title} ({}):", list.len())?;
        for c in list {
            writeln!(
                out,
                "  {mark} {}/{}: {}{} ({})",
                c.namespace,
                c.name,
                c.why,
                blocked_text(c.blocked_by),
                service_location(c)
            )?;
        }
    }
    if !d.gateways.is_empty() {
        writeln!(out, "\nGateways ({}):", d.gateways.len())?;
        for g in &d.gateways {
            let what = match (&g.before, &g.after) {
                (Some(b), Some(a)) if g.kind == GatewayChangeKind::Moved => {
                    format!("{} -> {}", b.describe(), a.describe())
                }
                (_, Some(a)) => a.describe(),
                (Some(b), None) => b.describe(),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "  {} Namespace {}: {what}: {}",
                g.kind.as_str(),
                g.namespace,
                g.why
            )?;
            for c in &g.cloud_changes {
                writeln!(
                    out,
                    "    cloud annotation {}: {} -> {}",
                    c.key,
                    quoted(c.before.as_deref()),
                    quoted(c.after.as_deref())
                )?;
            }
        }
    }
    if !d.namespaces.is_empty() {
        writeln!(out, "\nNamespaces ({}):", d.namespaces.len())?;
        for n in &d.namespaces {
            let sides = match (&n.before, &n.after) {
                (Some(b), _) if n.kind == NamespaceChangeKind::Deleted => b.describe(),
                (_, Some(a)) if n.kind == NamespaceChangeKind::Added => a.describe(),
                (Some(b), Some(a)) => format!("{} -> {}", b.describe(), a.describe()),
                (None, Some(a)) => a.describe(),
                (Some(b), None) => b.describe(),
                (None, None) => String::new(),
            };
            writeln!(out, "  {} {} ({sides}): {}", n.kind.as_str(), n.name, n.why)?;
        }
    }
    Ok(())
}
