//! The JUnit XML output of `check`, for GitLab's and Jenkins' test reports: a test suite per
//! input file, a test case per Namespace and Service in it. An object with a deny fails (with
//! `--fail-on-warning`, a warning too), with one `<failure>` listing each finding that fails it;
//! warnings that do not fail it are in the test case's `<system-out>`. An input that could not
//! be read is a test case with an `<error>`. No times or timestamps: the report says the same
//! for the same input.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::super::check::{Finding, Outcome};
use super::short_object;
use crate::rules::Level;

fn line(f: &Finding) -> String {
    format!(
        "{}:{}:{}: {} {} {}",
        f.file, f.pos.line, f.pos.column, f.level, f.code, f.message
    )
}

pub(super) fn write_junit(
    outcome: &Outcome,
    fail_on_warning: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let fails = |f: &Finding| f.level == Level::Deny || fail_on_warning;

    // Suites in input order (file_index), the unreadable inputs' suites with them.
    let mut suites: BTreeMap<usize, (Arc<str>, Vec<TestCase>)> = BTreeMap::new();
    let mut findings_of: Vec<Vec<&Finding>> = vec![Vec::new(); outcome.checked.len()];
    for f in &outcome.findings {
        if let Some(list) = findings_of.get_mut(f.subject) {
            list.push(f);
        }
    }
    for (checked, findings) in outcome.checked.iter().zip(&findings_of) {
        let failing: Vec<&Finding> = findings.iter().copied().filter(|f| fails(f)).collect();
        let passing: Vec<&Finding> = findings.iter().copied().filter(|f| !fails(f)).collect();
        let status = if failing.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut codes: Vec<&str> = failing.iter().map(|f| f.code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let message = match failing.as_slice() {
                [only] => only.summary.clone(),
                many => format!("{} problems: {}", many.len(), codes.join(", ")),
            };
            status
                .set_message(message)
                .set_type(codes.join(","))
                .set_description(
                    failing
                        .iter()
                        .map(|f| line(f))
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            status
        };
        let mut case = TestCase::new(short_object(&checked.object), status);
        case.set_classname(checked.file.to_string());
        if !passing.is_empty() {
            case.set_system_out(
                passing
                    .iter()
                    .map(|f| line(f))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        suites
            .entry(checked.file_index)
            .or_insert_with(|| (checked.file.clone(), Vec::new()))
            .1
            .push(case);
    }

    let mut report = Report::new("eastwest-guard check");
    for (_, (file, cases)) in suites {
        let mut suite = TestSuite::new(file.to_string());
        suite.add_test_cases(cases);
        report.add_test_suite(suite);
    }
    if !outcome.input_errors.is_empty() {
        let mut suite = TestSuite::new("inputs that could not be read");
        for e in &outcome.input_errors {
            let place = match e.pos {
                Some(p) => format!("{}:{}:{}", e.file, p.line, p.column),
                None => e.file.to_string(),
            };
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(e.message.clone())
                .set_type("input-error")
                .set_description(format!("{place}: {}", e.message));
            let mut case = TestCase::new(format!("read {}", e.file), status);
            case.set_classname(e.file.to_string());
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    // Into memory first: the serializer's error hides the kind of an I/O error, and a closed
    // pipe must stay one.
    let mut xml = Vec::new();
    report.serialize(&mut xml).map_err(io::Error::other)?;
    out.write_all(&xml)?;
    writeln!(out)
}
