//! `audit --output junit`: JUnit XML for GitLab's and Jenkins' test reports. A test suite per
//! kind (Namespaces, Services); a test case per object with a problem, failed by a deny (with
//! `--fail-on-warning`, a warning too), its other findings in `<system-out>`; and one passing
//! test case for the objects of the kind with none, so the counts add up to what was read
//! without a test case for each of thousands of clean objects. A cluster that could not be
//! read is a suite with one `<error>`. No times: the same cluster gives the same report.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::collect::Audit;
use super::text::short_object;
use crate::cli::common::plural;
use crate::cluster::read::ReadError;
use crate::rules::{Level, Violation};

fn line(f: &Violation) -> String {
    format!("{} {} {}: {}", f.level, f.rule, f.field, f.message)
}

fn case(findings: &[Violation], fail_on_warning: bool) -> Option<TestCase> {
    let first = findings.first()?;
    let fails = |f: &&Violation| f.level == Level::Deny || fail_on_warning;
    let failing: Vec<&Violation> = findings.iter().filter(fails).collect();
    let passing: Vec<&Violation> = findings.iter().filter(|f| !fails(f)).collect();
    let status = if failing.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut rules: Vec<&str> = failing.iter().map(|f| f.rule.as_str()).collect();
        rules.dedup();
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message = match failing.as_slice() {
            [only] => only.summary.clone(),
            many => format!("{} problems: {}", many.len(), rules.join(", ")),
        };
        status
            .set_message(message)
            .set_type(rules.join(","))
            .set_description(
                failing
                    .iter()
                    .map(|f| line(f))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        status
    };
    let mut case = TestCase::new(short_object(&first.object), status);
    case.set_classname(first.object.kind.clone());
    if !passing.is_empty() {
        case.set_system_out(
            passing
                .iter()
                .map(|f| line(f))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    Some(case)
}

fn serialize(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Into memory first: the serializer's error hides the kind of an I/O error, and a closed
    // pipe must stay one.
    let mut xml = Vec::new();
    report.serialize(&mut xml).map_err(io::Error::other)?;
    out.write_all(&xml)?;
    writeln!(out)
}

pub(super) fn write(audit: &Audit, fail_on_warning: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut report = Report::new(format!("eastwest-guard audit of {}", audit.server));
    for (kind, read) in [("Namespace", audit.namespaces), ("Service", audit.services)] {
        let mut suite = TestSuite::new(format!("{kind}s"));
        let mut with_problems = 0;
        for findings in audit
            .findings
            .chunk_by(|a, b| a.object == b.object)
            .filter(|fs| fs.first().is_some_and(|f| f.object.kind == kind))
        {
            if let Some(case) = case(findings, fail_on_warning) {
                suite.add_test_case(case);
                with_problems += 1;
            }
        }
        let clean = read.saturating_sub(with_problems);
        let mut case = TestCase::new(
            format!(
                "{} without problems",
                plural(clean, kind, &format!("{kind}s"))
            ),
            TestCaseStatus::success(),
        );
        case.set_classname(kind);
        suite.add_test_case(case);
        report.add_test_suite(suite);
    }
    serialize(&report, out)
}

pub(super) fn write_error(error: &ReadError, out: &mut dyn Write) -> io::Result<()> {
    let mut report = Report::new("eastwest-guard audit");
    let mut suite = TestSuite::new("the cluster");
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_message(error.to_string())
        .set_type("cluster-unreadable");
    suite.add_test_case(TestCase::new("read the cluster", status));
    report.add_test_suite(suite);
    serialize(&report, out)
}
