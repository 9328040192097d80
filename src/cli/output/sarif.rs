//! The SARIF 2.1.0 output of `check`, for GitHub code scanning and other SARIF readers: one
//! run, whose tool lists every code `check` can report (with its description as help), and one
//! result per finding with its file, line and column. Inputs that could not be read are
//! notifications of the invocation, which then did not execute successfully.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::super::check::{Code, Finding, Outcome};
use super::super::common::write_json_value;
use super::super::manifests::STDIN_NAME;
use super::super::yaml::Pos;
use super::{repo_path, short_object};
use crate::command::LONG_VERSION;
use crate::rules::Level;

/// The published schema of SARIF 2.1.0 (OASIS).
pub(crate) const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of the fingerprint that follows a finding when lines move (see `fingerprint`).
const FINGERPRINT: &str = "eastwestGuardFinding/v1";

pub(crate) fn level_name(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
    }
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

/// The reporting descriptor of one code: its ID, title, and description as help.
pub(crate) fn rule(code: Code) -> ReportingDescriptor {
    let description = code.description();
    ReportingDescriptor::builder()
        .id(code.as_str())
        .short_description(text(code.title()))
        .full_description(text(description))
        .help(
            MultiformatMessageString::builder()
                .text(description.to_owned())
                .markdown(description.to_owned())
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::Value::from(level_name(code.default_level())))
                .build(),
        )
        .build()
}

/// A path as a URI reference: relative paths stay relative (to the directory `check` ran in,
/// which code scanning takes as the repository's root), absolute ones become `file://` URIs.
/// Everything but unreserved characters and `/` is percent-encoded.
fn uri(path: &str) -> String {
    let path = repo_path(path);
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn physical(file: &str, pos: Option<Pos>) -> Option<PhysicalLocation> {
    if file == STDIN_NAME {
        return None;
    }
    let artifact = ArtifactLocation::builder().uri(uri(file)).build();
    Some(match pos {
        Some(p) => PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(
                Region::builder()
                    .start_line(p.line as i64)
                    .start_column(p.column as i64)
                    .build(),
            )
            .build(),
        None => PhysicalLocation::builder()
            .artifact_location(artifact)
            .build(),
    })
}

/// Stable while the finding stays: the code, the object and the key, not the line (which
/// moves when lines are added above it), so code scanning tracks one alert across commits.
fn fingerprint(f: &Finding) -> String {
    let field = f
        .field
        .as_ref()
        .and_then(|field| serde_json::to_string(field).ok())
        .unwrap_or_default();
    format!("{}|{}|{}", f.code, short_object(&f.object), field)
}

fn result(f: &Finding, rule_index: usize) -> SarifResult {
    let object = LogicalLocation::builder()
        .fully_qualified_name(short_object(&f.object))
        .name(f.object.name.clone())
        .kind("object")
        .build();
    let location = match physical(&f.file, Some(f.pos)) {
        Some(p) => Location::builder()
            .physical_location(p)
            .logical_locations(vec![object])
            .build(),
        None => Location::builder().logical_locations(vec![object]).build(),
    };
    let mut properties = BTreeMap::new();
    properties.insert("operation".to_owned(), f.operation.as_str().into());
    if let Some(field) = &f.field
        && let Ok(value) = serde_json::to_value(field)
    {
        properties.insert("field".to_owned(), value);
    }
    if let Some(value) = &f.value {
        properties.insert("value".to_owned(), value.as_str().into());
    }
    SarifResult::builder()
        .rule_id(f.code.as_str())
        .rule_index(rule_index as i64)
        .level(match f.level {
            Level::Deny => ResultLevel::Error,
            Level::Warn => ResultLevel::Warning,
        })
        .message(Message::builder().text(f.message.clone()).build())
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT.to_owned(), fingerprint(f))]))
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build()
}

pub(super) fn write_sarif(
    outcome: &Outcome,
    fail_on_warning: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let codes: Vec<Code> = Code::all().collect();
    let index_of = |code: Code| codes.iter().position(|c| *c == code).unwrap_or(0);
    let driver = ToolComponent::builder()
        .name(env!("CARGO_PKG_NAME"))
        .version(LONG_VERSION)
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(codes.iter().map(|&c| rule(c)).collect::<Vec<_>>())
        .build();
    let notifications: Vec<Notification> = outcome
        .input_errors
        .iter()
        .map(|e| {
            let mut n = Notification::builder()
                .level(serde_json::Value::from("error"))
                .message(Message::builder().text(e.message.clone()).build())
                .build();
            if let Some(p) = physical(&e.file, e.pos) {
                n.locations = Some(vec![Location::builder().physical_location(p).build()]);
            }
            n
        })
        .collect();
    let mut invocation = Invocation::builder()
        .execution_successful(outcome.input_errors.is_empty())
        .exit_code(i64::from(outcome.exit_code(fail_on_warning)))
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        // The CLI counts columns in characters.
        .column_kind(serde_json::Value::from("unicodeCodePoints"))
        .invocations(vec![invocation])
        .results(
            outcome
                .findings
                .iter()
                .map(|f| result(f, index_of(f.code)))
                .collect::<Vec<_>>(),
        )
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build();
    write_json_value(&log, out)
}
