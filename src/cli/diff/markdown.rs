//! The Markdown report of `diff`, for a pull-request comment: a heading, a summary line, then
//! tables.

use std::io::{self, Write};

use super::super::common::{markdown_cell as cell, markdown_code as code, plural};
use super::Report;
use super::changes::{GatewayView, NamespaceSide};
use super::compare::quoted;
use super::text::{counts, service_location};

/// Markdown for a pull-request comment: a heading, a summary line, then tables.
pub fn write_markdown(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## eastwest-guard: cross-cluster exposure\n")?;
    if !report.complete() {
        writeln!(
            out,
            "**Not compared**: {} (see the job log); a missing file would read as deleted \
             objects.",
            plural(
                report.input_errors.len(),
                "input could not be read",
                "inputs could not be read"
            )
        )?;
        return Ok(());
    }
    let d = &report.diff;
    if d.is_empty() {
        writeln!(out, "No change in cross-cluster exposure.")?;
        return Ok(());
    }
    let mut parts = counts(d);
    if !d.newly_exposed.is_empty()
        && let Some(first) = parts.first_mut()
    {
        *first = format!("**{first}**");
    }
    writeln!(out, "{}.", parts.join("; "))?;

    let services = [
        (
            "Services that become exposed cross-cluster",
            &d.newly_exposed,
        ),
        ("Services that stop being exposed", &d.no_longer_exposed),
    ];
    for (title, list) in services {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n### {title}\n")?;
        writeln!(out, "| Service | Why | File |")?;
        writeln!(out, "|---|---|---|")?;
        for c in list {
            let blocked = c
                .blocked_by
                .map(|r| format!(" **Blocked by {r}**: see Namespaces."))
                .unwrap_or_default();
            writeln!(
                out,
                "| {} | {}{blocked} | {} |",
                code(&format!("{}/{}", c.namespace, c.name)),
                cell(&c.why),
                code(&service_location(c))
            )?;
        }
    }
    if !d.gateways.is_empty() {
        writeln!(out, "\n### Gateways\n")?;
        writeln!(out, "| Namespace | Change | Before | After | Why |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for g in &d.gateways {
            let side = |v: &Option<GatewayView>| {
                v.as_ref()
                    .map(|v| code(&v.describe()))
                    .unwrap_or_else(|| "none".to_owned())
            };
            let mut why = cell(&g.why);
            for c in &g.cloud_changes {
                why.push_str(&format!(
                    "<br>{}: {} → {}",
                    code(&c.key),
                    code(&quoted(c.before.as_deref())),
                    code(&quoted(c.after.as_deref()))
                ));
            }
            writeln!(
                out,
                "| {} | {} | {} | {} | {why} |",
                code(&g.namespace),
                g.kind.as_str(),
                side(&g.before),
                side(&g.after)
            )?;
        }
    }
    if !d.namespaces.is_empty() {
        writeln!(out, "\n### Namespaces\n")?;
        writeln!(out, "| Namespace | Change | Before | After | Why |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for n in &d.namespaces {
            let side = |s: &Option<NamespaceSide>| match s {
                Some(s) if s.in_input => cell(&s.describe()),
                _ => "none".to_owned(),
            };
            let kind = match (n.blocked_by, n.may_be_blocked_by) {
                (Some(r), _) => format!("{} (**blocked: {r}**)", n.kind.as_str()),
                (None, Some(r)) => format!("{} (**may be blocked: {r}**)", n.kind.as_str()),
                (None, None) => n.kind.as_str().to_owned(),
            };
            writeln!(
                out,
                "| {} | {kind} | {} | {} | {} |",
                code(&n.name),
                side(&n.before),
                side(&n.after),
                cell(&n.why)
            )?;
        }
    }
    Ok(())
}
