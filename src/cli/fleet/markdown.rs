//! The Markdown report of `fleet`, for a pull-request comment in `diff`'s style: a heading, a
//! summary line, then tables (what the change does to failover, the matrix, the findings).

use std::io::{self, Write};

use super::super::common::{markdown_cell as cell, markdown_code as code, plural};
use super::{Report, level_word, target_change_words};

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## eastwest-guard: failover across clusters\n")?;
    let services = report.fleet.matrix().count();
    let errors = plural(report.fleet.errors(), "error", "errors");
    let errors = if report.fleet.errors() > 0 {
        format!("**{errors}**")
    } else {
        errors
    };
    let mut summary = format!(
        "{errors}, {}; {} in two or more of {} ({}).",
        plural(report.fleet.warnings(), "warning", "warnings"),
        plural(services, "Service runs", "Services run"),
        plural(report.clusters.len(), "cluster", "clusters"),
        report
            .clusters
            .iter()
            .map(|c| code(&c.name))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(changes) = &report.changes {
        let losses = changes.losses();
        if losses > 0 {
            summary.push_str(&format!(
                " **This change loses {}.**",
                plural(losses, "failover target", "failover targets")
            ));
        }
    }
    writeln!(out, "{summary}")?;

    if let Some(changes) = &report.changes {
        writeln!(out, "\n### What this change does to failover\n")?;
        if changes.is_empty() {
            writeln!(out, "No change in failover.")?;
        } else {
            if !changes.targets.is_empty() {
                writeln!(out, "| Service | Clients in | Before | After | Change |")?;
                writeln!(out, "|---|---|---|---|---|")?;
                for t in &changes.targets {
                    let side = |c: &[usize]| {
                        if c.is_empty() {
                            "none".to_owned()
                        } else {
                            cell(&report.names(c))
                        }
                    };
                    writeln!(
                        out,
                        "| {} | {} | {} | {} | {} |",
                        code(&format!("{}/{}", t.namespace, t.name)),
                        cell(report.name(t.cluster)),
                        side(&t.before),
                        side(&t.after),
                        cell(&target_change_words(report, t)),
                    )?;
                }
            }
            if !changes.new_findings.is_empty() || !changes.fixed.is_empty() {
                writeln!(out)?;
                for &i in &changes.new_findings {
                    writeln!(out, "- new: {}", cell(&report.fleet.findings[i].summary))?;
                }
                for f in &changes.fixed {
                    writeln!(out, "- fixed: {}", cell(&f.summary))?;
                }
            }
        }
    }

    writeln!(out, "\n### Failover matrix\n")?;
    if services == 0 {
        writeln!(out, "No Service runs in two or more clusters.")?;
    } else {
        writeln!(out, "| Service | Cluster | Exposed | Why | Fails over to |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for l in report.matrix_lines() {
            let service = if l.first {
                code(&format!("{}/{}", l.namespace, l.name))
            } else {
                String::new()
            };
            writeln!(
                out,
                "| {service} | {} | {} | {} | {} |",
                cell(l.cluster),
                if l.exposed { "yes" } else { "**no**" },
                code(l.why),
                cell(&l.targets),
            )?;
        }
    }

    if !report.fleet.findings.is_empty() {
        writeln!(out, "\n### Findings\n")?;
        writeln!(
            out,
            "| Level | Rule | Object | Clusters | Message | Where |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        for f in &report.fleet.findings {
            let mut level = level_word(f.level).to_owned();
            if f.pre_existing {
                level.push_str(" (pre-existing)");
            }
            let places: Vec<String> = f
                .places
                .iter()
                .map(|p| {
                    let at = match report.locate(p) {
                        Some((file, pos)) => code(&format!("{file}:{}", pos.line)),
                        None => "live".to_owned(),
                    };
                    format!(
                        "{}: {at} {}",
                        cell(report.name(p.cluster)),
                        code(&p.field.to_string())
                    )
                })
                .collect();
            writeln!(
                out,
                "| {level} | {} | {} | {} | {} | {} |",
                f.rule,
                code(&f.object.to_string()),
                cell(&report.names(&f.clusters)),
                cell(&f.message),
                places.join("<br>"),
            )?;
        }
    }
    Ok(())
}
