"""Readers of check's SARIF and JUnit reports, run by .ci/checks/integrations.sh.

    integrations.py sarif SCHEMA REPORT...   validate each report against the SARIF 2.1.0
                                             schema, then check what code scanning relies on
    integrations.py junit REPORT.xml REPORT.json
                                             read the JUnit report with junitparser and compare
                                             it with check's JSON report of the same input

Exits 1 with a message on the first problem.
"""

import json
import sys

import jsonschema


def fail(msg):
    print(f"FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def check_sarif(schema_path, reports):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    for path in reports:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        if errors:
            for e in errors[:10]:
                print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
            fail(f"{path} is not valid SARIF 2.1.0 ({len(errors)} errors)")
        # What the schema allows but GitHub code scanning needs.
        if log.get("version") != "2.1.0" or len(log.get("runs", [])) != 1:
            fail(f"{path}: expected version 2.1.0 and one run")
        run = log["runs"][0]
        rules = run["tool"]["driver"].get("rules", [])
        ids = [r["id"] for r in rules]
        if len(ids) != len(set(ids)):
            fail(f"{path}: a rule ID appears twice in tool.driver.rules")
        for r in rules:
            if not r.get("help", {}).get("text") or not r.get("shortDescription", {}).get("text"):
                fail(f"{path}: rule {r['id']} has no help text or short description")
        for res in run.get("results", []):
            rid, idx = res.get("ruleId"), res.get("ruleIndex")
            if idx is None or idx >= len(ids) or ids[idx] != rid:
                fail(f"{path}: result {rid} has ruleIndex {idx}, which is not that rule")
            if res.get("level") not in ("error", "warning"):
                fail(f"{path}: result {rid} has level {res.get('level')}")
            if not res.get("message", {}).get("text"):
                fail(f"{path}: result {rid} has no message")
            for loc in res.get("locations", []):
                phys = loc.get("physicalLocation")
                if phys is None:
                    continue
                region = phys.get("region", {})
                if region.get("startLine", 0) < 1 or region.get("startColumn", 0) < 1:
                    fail(f"{path}: result {rid} has no line and column")
        print(
            f"{path.rsplit('/', 1)[-1]}: valid SARIF 2.1.0 "
            f"({len(ids)} rules, {len(run.get('results', []))} results, "
            f"{sum(len(i.get('toolExecutionNotifications', [])) for i in run.get('invocations', []))} notifications)"
        )


def check_junit(xml_path, json_path):
    from junitparser import Error, Failure, JUnitXml

    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    summary = report["summary"]
    xml = JUnitXml.fromfile(xml_path)
    cases = [case for suite in xml for case in suite]
    failed_objects = set()
    for finding in report["findings"]:
        if finding["level"] == "error":
            o = finding["object"]
            failed_objects.add((finding["file"], "/".join(p for p in (o["kind"], o["namespace"], o["name"]) if p)))
    failures = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    errors = [c for c in cases if any(isinstance(r, Error) for r in c.result)]
    object_cases = [c for c in cases if not any(isinstance(r, Error) for r in c.result)]
    if len(object_cases) != summary["objects"]:
        fail(f"{xml_path}: {len(object_cases)} test cases for objects, check counted {summary['objects']} objects")
    if len(errors) != summary["inputErrors"]:
        fail(f"{xml_path}: {len(errors)} error test cases, check counted {summary['inputErrors']} unreadable inputs")
    got = {(c.classname, c.name) for c in failures}
    if got != failed_objects:
        fail(f"{xml_path}: failing test cases {sorted(got)} are not the objects with errors {sorted(failed_objects)}")
    # Every deny of an object is in its failure's text.
    for finding in report["findings"]:
        if finding["level"] != "error":
            continue
        o = finding["object"]
        name = "/".join(p for p in (o["kind"], o["namespace"], o["name"]) if p)
        texts = [r.text or "" for c in failures if (c.classname, c.name) == (finding["file"], name) for r in c.result]
        where = f"{finding['file']}:{finding['line']}:{finding['column']}: error {finding['code']}"
        if not any(where in t for t in texts):
            fail(f"{xml_path}: the failure of {name} does not list {where}")
    print(
        f"{xml_path.rsplit('/', 1)[-1]}: junitparser read {len(list(xml))} suites, {len(cases)} test cases, "
        f"{len(failures)} failures, {len(errors)} errors (check: {summary['objects']} objects, "
        f"{summary['errors']} errors, {summary['inputErrors']} unreadable inputs)"
    )


def check_audit_junit(xml_path, json_path):
    """audit's JUnit against its JSON of the same cluster: a case per object with problems plus
    one for the clean objects of each kind; failures are the objects that would be denied."""
    from junitparser import Failure, JUnitXml

    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    summary = report["summary"]
    xml = JUnitXml.fromfile(xml_path)
    cases = [case for suite in xml for case in suite]
    failures = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    if len(cases) != summary["objectsWithProblems"] + 2:
        fail(f"{xml_path}: {len(cases)} test cases, expected {summary['objectsWithProblems']} objects with problems + 2")
    if len(failures) != summary["objectsDenied"]:
        fail(f"{xml_path}: {len(failures)} failures, the audit would deny {summary['objectsDenied']} objects")
    print(f"{xml_path.rsplit('/', 1)[-1]}: junitparser read {len(cases)} test cases, {len(failures)} failures")


def main(argv):
    if len(argv) >= 3 and argv[1] == "sarif":
        check_sarif(argv[2], argv[3:])
    elif len(argv) == 4 and argv[1] == "junit":
        check_junit(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "audit-junit":
        check_audit_junit(argv[2], argv[3])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
