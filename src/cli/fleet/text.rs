//! The text report of `fleet`: the clusters, the failover matrix as an aligned table, what the
//! change does to failover (with --old), the findings with the key to change in each cluster,
//! and a summary line.

use std::io::{self, Write};

use super::super::common::plural;
use super::{Report, level_word, target_change_words};

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Clusters:")?;
    let width = report
        .clusters
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    for c in report.clusters {
        writeln!(
            out,
            "  {:width$}  {} ({}, {})",
            c.name,
            c.describe(),
            plural(c.namespaces, "Namespace", "Namespaces"),
            plural(c.services, "Service", "Services"),
        )?;
    }

    let lines = report.matrix_lines();
    let services = report.fleet.matrix().count();
    writeln!(out)?;
    if services == 0 {
        writeln!(
            out,
            "Failover matrix: no Service runs in two or more clusters."
        )?;
    } else {
        writeln!(
            out,
            "Failover matrix: {} in two or more clusters",
            plural(services, "Service runs", "Services run")
        )?;
        writeln!(out)?;
        let header = ["SERVICE", "CLUSTER", "EXPOSED", "WHY", "FAILS OVER TO"];
        let cells: Vec<[String; 5]> = lines
            .iter()
            .map(|l| {
                [
                    if l.first {
                        format!("{}/{}", l.namespace, l.name)
                    } else {
                        String::new()
                    },
                    l.cluster.to_owned(),
                    if l.exposed { "yes" } else { "no" }.to_owned(),
                    l.why.to_owned(),
                    l.targets.clone(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |out: &mut dyn Write, row: [&str; 5]| -> io::Result<()> {
            let mut text = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(w - cell.chars().count() + 2));
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(out, header)?;
        for row in &cells {
            line(out, [&row[0], &row[1], &row[2], &row[3], &row[4]])?;
        }
    }

    if let Some(changes) = &report.changes {
        writeln!(out)?;
        if changes.is_empty() {
            writeln!(out, "This change does not change failover.")?;
        } else {
            writeln!(out, "What this change does to failover:")?;
            for t in &changes.targets {
                writeln!(out, "  {}", target_change_words(report, t))?;
            }
            for f in &changes.fixed {
                writeln!(out, "  fixed: {}", f.summary)?;
            }
            for &i in &changes.new_findings {
                writeln!(out, "  new: {}", report.fleet.findings[i].summary)?;
            }
        }
    }

    for f in &report.fleet.findings {
        writeln!(out)?;
        let pre = if f.pre_existing {
            " (pre-existing: the base had it too)"
        } else {
            ""
        };
        writeln!(
            out,
            "{} {} {} in {}{pre}: {}",
            level_word(f.level),
            f.rule,
            f.object,
            report.names(&f.clusters),
            f.message
        )?;
        for p in &f.places {
            let at = match report.locate(p) {
                Some((file, pos)) => format!("{file}:{}:{}", pos.line, pos.column),
                None if report.clusters[p.cluster].inputs.is_none() => {
                    "the live cluster".to_owned()
                }
                None => "not in its manifests".to_owned(),
            };
            writeln!(
                out,
                "  {}: {at}: {} {}",
                report.name(p.cluster),
                p.object,
                p.field
            )?;
        }
    }

    writeln!(out)?;
    writeln!(
        out,
        "{}, {} in {} ({} in all, {} in two or more clusters)",
        plural(report.fleet.errors(), "error", "errors"),
        plural(report.fleet.warnings(), "warning", "warnings"),
        plural(report.clusters.len(), "cluster", "clusters"),
        plural(report.services(), "Service", "Services"),
        services,
    )
}
