//! `audit --output text`: one finding a line, then the summary: objects with problems by rule,
//! and the Services exposed cross-cluster by Namespace.

use std::io::{self, Write};

use super::collect::Audit;
use crate::cli::common::plural;
use crate::rules::{ObjectRef, Violation};

pub(super) fn write(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    for f in &audit.findings {
        writeln!(
            out,
            "{} {} {} {}: {}",
            f.level,
            f.rule,
            short_object(&f.object),
            f.field,
            message_after_object(f)
        )?;
    }
    if !audit.findings.is_empty() {
        writeln!(out)?;
    }
    for line in summary(audit) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `Namespace/payments`, `Service/shop/web`.
pub(super) fn short_object(object: &ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{}/{}/{}", object.kind, ns, object.name),
        None => format!("{}/{}", object.kind, object.name),
    }
}

/// The message without its leading object, for formats that show the object already.
pub(super) fn message_after_object(v: &Violation) -> &str {
    let prefix = format!("{}: ", v.object);
    v.message
        .strip_prefix(prefix.as_str())
        .unwrap_or(&v.message)
}

/// The summary, a line each: what was read and found, each rule, what is exposed.
pub(super) fn summary(audit: &Audit) -> Vec<String> {
    let mut lines = vec![format!(
        "audited {} ({}, {}) on {}: {}",
        plural(audit.objects(), "object", "objects"),
        plural(audit.namespaces, "Namespace", "Namespaces"),
        plural(audit.services, "Service", "Services"),
        audit.server,
        problems(audit),
    )];
    let by_rule = audit.by_rule();
    let width = by_rule
        .values()
        .map(|c| plural(c.objects, "object", "objects").len())
        .max()
        .unwrap_or(0);
    for (rule, count) in &by_rule {
        let mut levels = Vec::new();
        if count.errors > 0 {
            levels.push(plural(count.errors, "error", "errors"));
        }
        if count.warnings > 0 {
            levels.push(plural(count.warnings, "warning", "warnings"));
        }
        lines.push(format!(
            "  {rule}  {:<width$}  {}: {}",
            plural(count.objects, "object", "objects"),
            levels.join(", "),
            rule.title()
        ));
    }
    let exposing: Vec<_> = audit.exposing_namespaces().collect();
    lines.push(format!(
        "exposed cross-cluster: {} in {}",
        plural(audit.exposed(), "Service", "Services"),
        plural(exposing.len(), "Namespace", "Namespaces"),
    ));
    let width = exposing.iter().map(|(ns, _)| ns.len()).max().unwrap_or(0);
    for (ns, e) in exposing {
        lines.push(format!(
            "  {ns:<width$}  {} of {}",
            e.exposed,
            plural(e.services, "Service", "Services")
        ));
    }
    lines
}

/// `nothing the webhook would deny or warn about`, or `3 objects carry problems, 1 would be
/// denied: 1 error, 2 warnings`.
fn problems(audit: &Audit) -> String {
    let with = audit.objects_with_problems();
    if with == 0 {
        return "no problems: the enforcing webhook would deny nothing".to_owned();
    }
    let denied = audit.objects_denied();
    format!(
        "{} {} problems, {} would be denied on a write touching them: {}, {}",
        plural(with, "object", "objects"),
        if with == 1 { "carries" } else { "carry" },
        denied,
        plural(audit.errors(), "error", "errors"),
        plural(audit.warnings(), "warning", "warnings"),
    )
}
