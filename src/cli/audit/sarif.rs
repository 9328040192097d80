//! `audit --output sarif`: SARIF 2.1.0, the same log shape as `check`'s, for tools that
//! collect SARIF from every scanner. There is no file to point at: each result's location is
//! the Kubernetes object (a logical location, `Service/shop/cart`), with the key and value as
//! properties. A cluster that could not be read is an invocation that did not succeed, with
//! the reason as its notification, so a pipeline always gets a log.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_sarif::sarif::{
    Invocation, Location, LogicalLocation, Message, Notification, PropertyBag,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::collect::Audit;
use super::text::short_object;
use crate::cli::check::Code;
use crate::cli::common::write_json_value;
use crate::cli::output::sarif::{SCHEMA, rule};
use crate::cluster::read::ReadError;
use crate::command::LONG_VERSION;
use crate::rules::{Level, RuleId, Violation};

/// Stable while the problem stays: the rule, the object and the key.
const FINGERPRINT: &str = "eastwestGuardAudit/v1";

fn result(f: &Violation) -> SarifResult {
    let object = LogicalLocation::builder()
        .fully_qualified_name(short_object(&f.object))
        .name(f.object.name.clone())
        .kind("object")
        .build();
    let mut properties = BTreeMap::new();
    if let Ok(field) = serde_json::to_value(&f.field) {
        properties.insert("field".to_owned(), field);
    }
    if let Some(value) = &f.value {
        properties.insert("value".to_owned(), value.as_str().into());
    }
    let fingerprint = format!("{}|{}|{}", f.rule, short_object(&f.object), f.field);
    SarifResult::builder()
        .rule_id(f.rule.as_str())
        .rule_index(RuleId::ALL.iter().position(|r| *r == f.rule).unwrap_or(0) as i64)
        .level(match f.level {
            Level::Deny => ResultLevel::Error,
            Level::Warn => ResultLevel::Warning,
        })
        .message(Message::builder().text(f.message.clone()).build())
        .locations(vec![
            Location::builder().logical_locations(vec![object]).build(),
        ])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT.to_owned(), fingerprint)]))
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build()
}

fn log(results: Vec<SarifResult>, invocation: Invocation) -> Sarif {
    let driver = ToolComponent::builder()
        .name(env!("CARGO_PKG_NAME"))
        .version(LONG_VERSION)
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(
            RuleId::ALL
                .iter()
                .map(|&id| rule(Code::Rule(id)))
                .collect::<Vec<_>>(),
        )
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build()
}

pub(super) fn write(audit: &Audit, fail_on_warning: bool, out: &mut dyn Write) -> io::Result<()> {
    let invocation = Invocation::builder()
        .execution_successful(true)
        .exit_code(i64::from(audit.exit_code(fail_on_warning)))
        .build();
    let results = audit.findings.iter().map(result).collect();
    write_json_value(&log(results, invocation), out)
}

pub(super) fn write_error(error: &ReadError, out: &mut dyn Write) -> io::Result<()> {
    let mut invocation = Invocation::builder()
        .execution_successful(false)
        .exit_code(2)
        .build();
    invocation.tool_execution_notifications = Some(vec![
        Notification::builder()
            .level(serde_json::Value::from("error"))
            .message(Message::builder().text(error.to_string()).build())
            .build(),
    ]);
    write_json_value(&log(Vec::new(), invocation), out)
}
