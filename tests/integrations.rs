//! Where eastwest-guard meets other tools, with the real binary: `--version` and the commit it
//! was built from, the report formats for CI systems (Markdown, SARIF, JUnit: same exit status
//! as text), shell completions sourced in the shells, the man pages, and the GitHub Action's
//! scripts run against a real git repository with GitHub's files set to temporary ones.
//! What needs tools from outside (actionlint, pre-commit, the SARIF schema, junitparser) is in
//! .ci/checks/integrations.sh.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clap::CommandFactory;
use eastwest_guard::rules::RuleId;

const BIN: &str = env!("CARGO_BIN_EXE_eastwest-guard");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(path: &str) -> String {
    root()
        .join("tests/data/cli")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run eastwest-guard")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

// --- --version ------------------------------------------------------------------------------

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = run(&["--version"]);
    assert_eq!(code(&out), 0);
    let line = stdout(&out);
    let prefix = format!("eastwest-guard {} (", env!("CARGO_PKG_VERSION"));
    let stamp = line
        .trim_end()
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not `{prefix}... )`: {line:?}"));
    // Built from this checkout: the commit is HEAD's (cargo rebuilds when HEAD moves), with
    // its date. Outside a git checkout (a tarball) it says `unknown`.
    let root = root();
    let in_git = git(&root, &["rev-parse", "--show-toplevel"])
        .is_some_and(|top| Path::new(&top).canonicalize().ok() == root.canonicalize().ok());
    if std::env::var_os("EASTWEST_GUARD_COMMIT").is_some() {
        return; // Stamped by the builder; nothing here to compare it with.
    }
    if in_git {
        let head = git(&root, &["rev-parse", "--short=7", "HEAD"]).expect("git rev-parse HEAD");
        let date = git(
            &root,
            &["log", "-1", "--format=%cd", "--date=short", "HEAD"],
        )
        .expect("git log HEAD");
        assert_eq!(stamp, format!("{head} {date}"), "--version: {line:?}");
    } else {
        assert_eq!(stamp, "unknown", "--version: {line:?}");
    }
    // Every subcommand says the same.
    let check = stdout(&run(&["check", "--version"]));
    assert!(check.ends_with(&format!("({stamp})\n")), "{check:?}");
}

// --- report formats -------------------------------------------------------------------------

const FORMATS: &[&str] = &["text", "json", "github", "markdown", "sarif", "junit"];

#[test]
fn every_output_format_exits_as_text_does() {
    let rules = data("rules");
    let warnings = data("warnings");
    let clean = data("clean");
    let invalid = data("invalid");
    let cases: &[(&[&str], i32)] = &[
        (&[&clean], 0),
        (&[&rules], 1),
        (&[&warnings], 0),
        (&["--fail-on-warning", &warnings], 1),
        (&["--warn-only", &rules], 0),
        (&[&invalid, &clean], 2),
    ];
    for (args, want) in cases {
        for format in FORMATS {
            let mut argv = vec!["check", "--output", format];
            argv.extend_from_slice(args);
            let out = run(&argv);
            assert_eq!(code(&out), *want, "{argv:?}: {}", stdout(&out));
            assert!(!out.stdout.is_empty(), "{argv:?} printed nothing");
        }
    }
}

fn json_of(args: &[&str], format: &str) -> serde_json::Value {
    let mut argv = vec!["check", "--output", format];
    argv.extend_from_slice(args);
    serde_json::from_slice(&run(&argv).stdout).expect("one JSON document")
}

#[test]
fn sarif_has_every_rule_with_help_and_a_result_per_finding() {
    let args = [data("rules"), data("warnings")];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let sarif = json_of(&args, "sarif");
    let check = json_of(&args, "json");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "eastwest-guard");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));

    // One rule per rule ID (and the input's two checks), with title and description.
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut want: Vec<&str> = RuleId::ALL.iter().map(|id| id.as_str()).collect();
    want.extend(["duplicate-object", "invalid-manifest"]);
    assert_eq!(ids, want);
    for (r, id) in rules.iter().zip(RuleId::ALL) {
        assert_eq!(r["shortDescription"]["text"], id.title());
        assert_eq!(r["help"]["text"], id.description());
        let level = match id.default_level() {
            eastwest_guard::rules::Level::Deny => "error",
            eastwest_guard::rules::Level::Warn => "warning",
        };
        assert_eq!(r["defaultConfiguration"]["level"], level, "{}", id.as_str());
    }

    // The same findings as the JSON output, in the same places.
    let results = run["results"].as_array().expect("results");
    let findings = check["findings"].as_array().expect("findings");
    assert_eq!(results.len(), findings.len());
    assert!(findings.len() > 20, "the fixtures have many findings");
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["code"]);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[index], f["code"].as_str().unwrap());
        assert_eq!(r["level"], f["level"]);
        assert_eq!(r["message"]["text"], f["message"]);
        let place = &r["locations"][0]["physicalLocation"];
        let file = f["file"].as_str().unwrap();
        assert_eq!(place["artifactLocation"]["uri"], format!("file://{file}"));
        assert_eq!(place["region"]["startLine"], f["line"]);
        assert_eq!(place["region"]["startColumn"], f["column"]);
        assert!(
            r["partialFingerprints"]["eastwestGuardFinding/v1"]
                .as_str()
                .is_some_and(|fp| fp.starts_with(f["code"].as_str().unwrap()))
        );
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert_eq!(run["invocations"][0]["exitCode"], 1);
}

#[test]
fn sarif_paths_are_uri_references_relative_to_where_check_ran() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("my manifests");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(data("rules/ew001.yaml"), sub.join("ns #1.yaml")).unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["check", "--output", "sarif", "./my manifests"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(uri, "my%20manifests/ns%20%231.yaml");

    // Standard input has no file: the object is the location.
    let out = Command::new(BIN)
        .args(["check", "--output", "sarif", "-"])
        .stdin(std::fs::File::open(data("rules/ew001.yaml")).unwrap())
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0];
    assert!(location.get("physicalLocation").is_none(), "{location}");
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "Namespace/payments"
    );
}

#[test]
fn sarif_reports_an_unreadable_input_as_a_failed_invocation() {
    let sarif = json_of(&[&data("invalid"), &data("clean")], "sarif");
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["exitCode"], 2);
    let notes = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    let uri = notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("invalid/bad.yaml"), "{uri}");
}

fn junit(args: &[&str]) -> (i32, quick_junit::Report) {
    let mut argv = vec!["check", "--output", "junit"];
    argv.extend_from_slice(args);
    let out = run(&argv);
    let report = quick_junit::Report::deserialize_from_str(&stdout(&out)).expect("JUnit XML");
    (code(&out), report)
}

fn failure_text(case: &quick_junit::TestCase) -> Option<String> {
    match &case.status {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            description,
            ..
        } => Some(
            description
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
        ),
        _ => None,
    }
}

#[test]
fn junit_has_a_test_case_per_object_and_fails_the_denied_ones() {
    let ew005 = data("rules/ew005.yaml");
    let ew031 = data("rules/ew031.yaml");
    let (exit, report) = junit(&[&ew005, &ew031]);
    assert_eq!(exit, 1);
    let suites: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, [ew005.as_str(), ew031.as_str()]);
    let json = json_of(&[&ew005, &ew031], "json");
    let cases: Vec<&quick_junit::TestCase> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .collect();
    assert_eq!(
        cases.len() as u64,
        json["summary"]["objects"].as_u64().unwrap()
    );

    // ew005.yaml: one Namespace with two denies of EW005, both in its one failure.
    let payments = &report.test_suites[0].test_cases[0];
    assert_eq!(payments.name.as_str(), "Namespace/payments");
    assert_eq!(
        payments.classname.as_ref().map(|c| c.as_str()),
        Some(ew005.as_str())
    );
    let text = failure_text(payments).expect("a failure");
    let denies: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == ew005.as_str() && f["level"] == "error")
        .collect();
    assert!(!denies.is_empty());
    for f in denies {
        let line = format!("{}:{}:{}: error EW", ew005, f["line"], f["column"]);
        assert!(text.contains(&line), "{line} not in {text}");
    }
    // ew031.yaml: the Service's warning does not fail it; it is in its system-out.
    for case in &report.test_suites[1].test_cases {
        assert!(failure_text(case).is_none(), "{}", case.name.as_str());
    }
    let stock = report.test_suites[1]
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "Service/inventory/stock")
        .expect("the Service's test case");
    assert!(
        stock
            .system_out
            .as_ref()
            .is_some_and(|o| o.as_str().contains("warning EW031")),
        "{stock:?}"
    );
    // With --fail-on-warning the warning fails it, as the exit status does.
    let (exit, report) = junit(&["--fail-on-warning", &ew031]);
    assert_eq!(exit, 1);
    let stock = report.test_suites[0]
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "Service/inventory/stock")
        .unwrap();
    assert!(failure_text(stock).is_some_and(|t| t.contains("warning EW031")));
}

#[test]
fn junit_reports_an_unreadable_input_as_an_error() {
    let (exit, report) = junit(&[&data("invalid"), &data("clean")]);
    assert_eq!(exit, 2);
    let errors: Vec<&quick_junit::TestCase> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| {
            matches!(
                c.status,
                quick_junit::TestCaseStatus::NonSuccess {
                    kind: quick_junit::NonSuccessKind::Error,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].name.as_str().ends_with("invalid/bad.yaml"));
    // The same input gives the same bytes: no times, no ids.
    let again = run(&[
        "check",
        "--output",
        "junit",
        &data("invalid"),
        &data("clean"),
    ]);
    let first = run(&[
        "check",
        "--output",
        "junit",
        &data("invalid"),
        &data("clean"),
    ]);
    assert_eq!(again.stdout, first.stdout);
}

#[test]
fn markdown_tables_every_finding_and_appends_the_exposure_diff() {
    let out = run(&["check", "--output", "markdown", &data("rules")]);
    assert_eq!(code(&out), 1);
    let md = stdout(&out);
    assert!(
        md.starts_with("## eastwest-guard: check\n\n**Failed**: checked "),
        "{md}"
    );
    let json = json_of(&[&data("rules")], "json");
    for f in json["findings"].as_array().unwrap() {
        let place = format!(
            "`{}:{}:{}`",
            f["file"].as_str().unwrap(),
            f["line"],
            f["column"]
        );
        assert!(md.contains(&place), "{place} not in the table");
    }
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(
        rows,
        json["findings"].as_array().unwrap().len() + 1,
        "a row per finding"
    );

    let clean = run(&["check", "--output", "markdown", &data("clean")]);
    assert_eq!(code(&clean), 0);
    assert!(stdout(&clean).contains("**Passed**"));
    assert!(stdout(&clean).contains("No problems found."));

    // --summary: check's table, then diff's Markdown.
    let old = data("transitions/old");
    let new = data("transitions/new");
    let out = run(&[
        "check",
        "--output",
        "markdown",
        "--summary",
        "--old",
        &old,
        &new,
    ]);
    assert_eq!(code(&out), 1);
    let md = stdout(&out);
    let table = md.find("| level | code |").expect("the findings table");
    let diff = md
        .find("## eastwest-guard: cross-cluster exposure")
        .expect("the diff");
    assert!(table < diff);
    let diff_alone = run(&["diff", "--output", "markdown", "--old", &old, "--new", &new]);
    assert!(md.ends_with(&stdout(&diff_alone)));

    // Not after a document a program parses.
    for format in ["json", "sarif", "junit"] {
        let out = run(&[
            "check",
            "--output",
            format,
            "--summary",
            "--old",
            &old,
            &new,
        ]);
        assert_eq!(code(&out), 2, "{format}");
        assert!(out.stdout.is_empty());
    }
}

// --- completions and man pages --------------------------------------------------------------

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completions_bash_registers_the_command() {
    let script = format!(
        "source <('{BIN}' completions bash) && complete -p eastwest-guard \
         && COMP_WORDS=(eastwest-guard ch) COMP_CWORD=1 COMP_LINE='eastwest-guard ch' \
         COMP_POINT=17 && _eastwest__guard eastwest-guard ch eastwest-guard \
         && printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("complete -"), "{text}");
    assert!(
        text.lines().any(|l| l == "check"),
        "`ch` completes to check: {text}"
    );
}

#[test]
fn completions_zsh_and_fish_load_where_installed() {
    // CI installs both (.ci/checks/integrations.sh); elsewhere what cannot run is generated.
    if have("zsh") {
        let dir = tempfile::tempdir().unwrap();
        let out = run(&["completions", "zsh"]);
        std::fs::write(dir.path().join("_eastwest-guard"), &out.stdout).unwrap();
        let script = format!(
            "fpath=('{}' $fpath); autoload -Uz compinit; compinit -u -D; \
             print -r -- ${{_comps[eastwest-guard]}}",
            dir.path().display()
        );
        let out = Command::new("zsh")
            .args(["-f", "-c", &script])
            .output()
            .unwrap();
        assert_eq!(stdout(&out).trim(), "_eastwest-guard", "zsh: {out:?}");
    } else {
        let out = run(&["completions", "zsh"]);
        assert!(stdout(&out).starts_with("#compdef eastwest-guard"));
    }
    if have("fish") {
        let script = format!("'{BIN}' completions fish | source; complete -C 'eastwest-guard ch'");
        let out = Command::new("fish").args(["-c", &script]).output().unwrap();
        assert!(
            stdout(&out).lines().any(|l| l.starts_with("check")),
            "fish: {out:?}"
        );
    } else {
        let out = run(&["completions", "fish"]);
        assert!(stdout(&out).contains("complete -c eastwest-guard"));
    }
}

#[test]
fn man_pages_render_for_the_command_and_each_subcommand() {
    let out = run(&["man"]);
    assert_eq!(code(&out), 0);
    let page = stdout(&out);
    assert!(page.contains(".TH eastwest-guard 1"), "{page}");
    // Every subcommand the command line has, so a new one cannot go without its page.
    let subcommands: Vec<String> = eastwest_guard::command::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    assert!(subcommands.iter().any(|s| s == "check"), "{subcommands:?}");
    for sub in &subcommands {
        assert!(
            page.contains(&format!("eastwest\\-guard\\-{}", sub.replace('-', "\\-")))
                || page.contains(&format!("\\fB{sub}\\fR")),
            "{sub} not in the page"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let out = run(&["man", "--out-dir", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{out:?}");
    let mut pages: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = subcommands
        .iter()
        .map(|sub| format!("eastwest-guard-{sub}.1"))
        .chain(["eastwest-guard.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let check = std::fs::read_to_string(out_dir.join("eastwest-guard-check.1")).unwrap();
    assert!(check.contains("\\-\\-fail\\-on\\-warning"));
    if have("groff") {
        // groff's warnings (-ww) on a page are mistakes in the roff.
        for page in &pages {
            let out = Command::new("groff")
                .args(["-man", "-Tutf8", "-ww", "-z"])
                .arg(out_dir.join(page))
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{page}: {out:?}"
            );
        }
    }
}

// --- the GitHub Action's scripts --------------------------------------------------------------

/// A repository like a pull request's: `main` with the base manifests, `pr` checked out with
/// the change, under `deploy/manifests`.
struct PullRequest {
    dir: tempfile::TempDir,
}

fn sh(dir: &Path, script: &str) {
    let out = Command::new("bash")
        .current_dir(dir)
        .args(["-euo", "pipefail", "-c", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {out:?}");
}

/// Twelve Namespaces with a denied value (EW001) and twelve with a warning (EW030): more than
/// GitHub's 10 annotations of each level.
fn many_findings() -> String {
    (1..=12)
        .map(|i| {
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad-{i}\n  annotations:\n    \
                 traffic.tetrate.io/global: \"True\"\n---\napiVersion: v1\nkind: Namespace\n\
                 metadata:\n  name: warn-{i}\n  annotations:\n    traffic.tetrate.io/global: \
                 \"true\"\n---\n"
            )
        })
        .collect()
}

impl PullRequest {
    fn new(head_extra: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let manifests = p.join("deploy/manifests");
        std::fs::create_dir_all(&manifests).unwrap();
        for f in ["namespaces.yaml", "services.yaml"] {
            std::fs::copy(data(&format!("transitions/old/{f}")), manifests.join(f)).unwrap();
        }
        sh(
            p,
            "git init -q -b main && git config user.email ci@example.invalid \
             && git config user.name ci && git add . && git commit -qm base \
             && git checkout -qb pr",
        );
        for f in ["namespaces.yaml", "services.yaml"] {
            std::fs::copy(data(&format!("transitions/new/{f}")), manifests.join(f)).unwrap();
        }
        if let Some(extra) = head_extra {
            std::fs::write(manifests.join("many.yaml"), extra).unwrap();
        }
        sh(p, "git add . && git commit -qm change");
        PullRequest { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// What the check step left: its exit status, what it printed, the job summary and the outputs.
struct StepResult {
    code: i32,
    log: String,
    summary: String,
    outputs: String,
}

impl StepResult {
    fn output(&self, name: &str) -> Option<&str> {
        self.outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
    }
}

fn run_step(cwd: &Path, inputs: &[(&str, &str)]) -> StepResult {
    let github = tempfile::tempdir().unwrap();
    let summary = github.path().join("summary.md");
    let outputs = github.path().join("output");
    let runner_temp = github.path().join("runner-temp");
    std::fs::create_dir(&runner_temp).unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action/run.sh"))
        .current_dir(cwd)
        .env("EASTWEST_GUARD_BIN", BIN)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", &runner_temp);
    for var in [
        "INPUT_PATHS",
        "INPUT_BASE_REF",
        "INPUT_CONFIG",
        "INPUT_FAIL_ON_WARNING",
        "INPUT_ARGS",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let leftovers = std::fs::read_dir(&runner_temp).unwrap().count();
    assert_eq!(leftovers, 0, "run.sh left files in RUNNER_TEMP");
    StepResult {
        code: code(&out),
        log: format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr)),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
    }
}

#[test]
fn action_annotates_ten_of_each_level_and_summarises_every_finding_and_the_diff() {
    let pr = PullRequest::new(Some(&many_findings()));
    // From a subdirectory, as with `working-directory: deploy`.
    let step = run_step(
        &pr.path().join("deploy"),
        &[("INPUT_PATHS", "manifests"), ("INPUT_BASE_REF", "main")],
    );
    assert_eq!(step.code, 1, "{}", step.log);

    // Annotations: the first 10 errors and the first 10 warnings, with the repository's paths.
    let errors: Vec<&str> = step
        .log
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    let warnings: Vec<&str> = step
        .log
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(errors.len(), 10, "{}", step.log);
    assert_eq!(warnings.len(), 10, "{}", step.log);
    assert!(
        errors[0].starts_with("::error file=deploy/manifests/many.yaml,line=6,col=5,title=EW001::")
    );
    assert!(
        errors.iter().all(|l| !l.contains("bad-11")),
        "the 11th error is not annotated"
    );
    // The base was used: EW020 (an UPDATE) is found, so --old reached check.
    assert!(
        step.log.contains("error EW020 Namespace/orders"),
        "{}",
        step.log
    );

    // The summary: the cap said, every finding listed, the exposure diff after them.
    let s = &step.summary;
    assert!(s.starts_with("## eastwest-guard: check\n"), "{s}");
    assert!(s.contains("GitHub shows at most 10 error and 10 warning annotations per step"));
    assert!(
        s.contains("This check made 13 error and 14 warning annotations"),
        "{s}"
    );
    assert!(s.contains("Compared with `main`"));
    for i in 1..=12 {
        assert!(
            s.contains(&format!("| Namespace/bad-{i} |")),
            "bad-{i} not in the summary"
        );
        assert!(
            s.contains(&format!("| Namespace/warn-{i} |")),
            "warn-{i} not in the summary"
        );
    }
    assert!(s.contains("`EW020` | `deploy/manifests/namespaces.yaml:"));
    let diff = s
        .find("## eastwest-guard: cross-cluster exposure")
        .expect("the diff");
    assert!(s[diff..].contains("`orders/billing`"), "{s}");

    assert_eq!(step.output("errors"), Some("13"));
    assert_eq!(step.output("warnings"), Some("14"));
    assert_eq!(step.output("exit-code"), Some("1"));
    // The base's worktree is gone.
    let worktrees = git(pr.path(), &["worktree", "list"]).unwrap();
    assert_eq!(worktrees.lines().count(), 1, "{worktrees}");
}

#[test]
fn action_renders_the_base_as_it_renders_the_change() {
    // Rendered files are not committed: the base has them only if the command makes them there.
    let pr = PullRequest::new(None);
    let render = "mkdir -p rendered && for f in manifests/*.yaml; do cat \"$f\"; echo ---; done \
                  > rendered/all.yaml";
    let step = run_step(
        &pr.path().join("deploy"),
        &[
            ("INPUT_PATHS", "rendered/all.yaml"),
            ("INPUT_BASE_REF", "main"),
            ("INPUT_RENDER", render),
        ],
    );
    assert_eq!(step.code, 1, "{}", step.log);
    // EW020 is an UPDATE: found only when the base was rendered too.
    assert!(
        step.log
            .contains("::error file=deploy/rendered/all.yaml,line=5,col=1,title=EW020::"),
        "{}",
        step.log
    );
    assert!(
        step.summary.contains("`orders/billing`"),
        "{}",
        step.summary
    );

    let step = run_step(
        &pr.path().join("deploy"),
        &[
            ("INPUT_PATHS", "rendered/all.yaml"),
            ("INPUT_BASE_REF", "main"),
            ("INPUT_RENDER", "exit 3"),
        ],
    );
    assert_eq!(step.code, 2);
    assert!(
        step.log.contains("render failed in the checkout"),
        "{}",
        step.log
    );
}

#[test]
fn action_within_the_limit_says_nothing_of_it() {
    let pr = PullRequest::new(None);
    let step = run_step(
        pr.path(),
        &[
            ("INPUT_PATHS", "deploy/manifests"),
            ("INPUT_BASE_REF", "main"),
        ],
    );
    assert_eq!(step.code, 1, "{}", step.log);
    assert!(!step.summary.contains("at most 10"));
    assert!(!step.log.contains("::group::"));
    assert_eq!(step.output("errors"), Some("1"));
    assert_eq!(step.output("warnings"), Some("2"));
}

#[test]
fn action_without_a_base_judges_every_object_as_new() {
    let pr = PullRequest::new(None);
    let step = run_step(pr.path(), &[("INPUT_PATHS", "./deploy/manifests/")]);
    // No --old: no EW020, no EW021, no diff.
    assert_eq!(step.code, 0, "{}", step.log);
    assert!(!step.log.contains("EW020"));
    assert!(step.summary.contains("No base to compare with"));
    assert!(!step.summary.contains("cross-cluster exposure"));
    assert_eq!(step.output("exit-code"), Some("0"));
}

#[test]
fn action_passes_fail_on_warning_and_args_to_check() {
    let pr = PullRequest::new(None);
    let base = [("INPUT_PATHS", "deploy"), ("INPUT_BASE_REF", "main")];
    // --warn-only turns the EW020 deny into a warning: passes, until warnings fail.
    let mut inputs = base.to_vec();
    inputs.push(("INPUT_ARGS", "--warn-only"));
    let step = run_step(pr.path(), &inputs);
    assert_eq!(step.code, 0, "{}", step.log);
    assert_eq!(step.output("errors"), Some("0"));
    assert_eq!(step.output("warnings"), Some("3"));
    inputs.push(("INPUT_FAIL_ON_WARNING", "true"));
    let step = run_step(pr.path(), &inputs);
    assert_eq!(step.code, 1, "{}", step.log);
    assert!(step.summary.contains("**Failed**"));

    let mut bad = base.to_vec();
    bad.push(("INPUT_FAIL_ON_WARNING", "yes"));
    let step = run_step(pr.path(), &bad);
    assert_eq!(step.code, 2);
    assert!(
        step.log
            .contains("::error title=eastwest-guard::fail-on-warning is \"yes\"")
    );

    let mut bad = base.to_vec();
    bad.push(("INPUT_ARGS", "--no-such-flag"));
    let step = run_step(pr.path(), &bad);
    assert_eq!(step.code, 2);
    assert!(step.log.contains("refused its flags"), "{}", step.log);
    assert_eq!(step.output("exit-code"), Some("2"));
}

#[test]
fn action_says_what_is_missing_instead_of_checking_half() {
    let pr = PullRequest::new(None);
    // A base the clone does not have (actions/checkout's default fetch-depth: 1).
    let step = run_step(
        pr.path(),
        &[("INPUT_PATHS", "deploy"), ("INPUT_BASE_REF", "release-1")],
    );
    assert_eq!(step.code, 2);
    assert!(step.log.contains("fetch-depth: 0"), "{}", step.log);
    assert!(step.summary.contains("**Could not check**"));
    // --config does not exist in this version: said, not passed on to fail as a bad flag.
    let step = run_step(pr.path(), &[("INPUT_CONFIG", "guard.yaml")]);
    assert_eq!(step.code, 2);
    assert!(step.log.contains("has no --config flag"), "{}", step.log);
}

#[test]
fn action_install_keys_the_cache_by_the_sources_and_reuses_a_cached_binary() {
    let github = tempfile::tempdir().unwrap();
    let key = |action_path: &Path| {
        let out_file = github.path().join("key-output");
        let _ = std::fs::remove_file(&out_file);
        let out = Command::new("bash")
            .arg(root().join("action/install.sh"))
            .arg("key")
            .env("GITHUB_ACTION_PATH", action_path)
            .env("GITHUB_OUTPUT", &out_file)
            .env("RUNNER_TOOL_CACHE", github.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        std::fs::read_to_string(&out_file).unwrap()
    };
    // A copy of what builds the binary.
    let copy = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        std::fs::copy(root().join(f), copy.path().join(f)).unwrap();
    }
    sh(
        copy.path(),
        &format!("cp -R '{}' src", root().join("src").display()),
    );
    let first = key(copy.path());
    assert_eq!(key(copy.path()), first, "the same sources, the same key");
    assert!(
        first.lines().any(|l| l.starts_with("key=eastwest-guard-")),
        "{first}"
    );
    let root_dir = first
        .lines()
        .find_map(|l| l.strip_prefix("root="))
        .expect("root=")
        .to_owned();
    assert!(root_dir.starts_with(github.path().to_str().unwrap()));
    std::fs::write(copy.path().join("src/lib.rs"), "// changed\n").unwrap();
    assert_ne!(key(copy.path()), first, "a changed source, another key");

    // A cache hit: the binary is in the root already, so nothing is built.
    let bin_dir = Path::new(&root_dir).join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.join("eastwest-guard")).unwrap();
    let path_file = github.path().join("path");
    let out = Command::new("bash")
        .arg(root().join("action/install.sh"))
        .arg("install")
        .env("GITHUB_ACTION_PATH", copy.path())
        .env("EASTWEST_GUARD_ROOT", &root_dir)
        .env("GITHUB_PATH", &path_file)
        .env("PATH", "/usr/bin:/bin") // no cargo: it must not be needed
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("using the cached build"));
    assert!(stdout(&out).contains(&format!("eastwest-guard {}", env!("CARGO_PKG_VERSION"))));
    assert_eq!(
        std::fs::read_to_string(&path_file).unwrap().trim(),
        bin_dir.to_str().unwrap()
    );
}

/// The names that tie action.yml to its scripts: each input reaches run.sh (or is used in
/// action.yml itself), each variable the check step sets is read, each output is one run.sh
/// writes.
#[test]
fn action_yml_passes_every_input_to_the_scripts_and_reads_their_outputs() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let run_sh = std::fs::read_to_string(root().join("action/run.sh")).unwrap();
    let doc = saphyr::Yaml::load_from_str(&action).expect("action.yml is YAML");
    use saphyr::LoadableYamlNode;
    let doc = &doc[0];
    let inputs: Vec<String> = doc["inputs"]
        .as_mapping()
        .expect("inputs")
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    let steps = doc["runs"]["steps"].as_sequence().expect("steps");
    let check = steps
        .iter()
        .find(|s| s.as_mapping_get("id").and_then(|id| id.as_str()) == Some("check"))
        .expect("the check step");
    let env = check["env"].as_mapping().expect("the check step's env");
    for input in &inputs {
        let used = format!("${{{{ inputs.{input} }}}}");
        let passed = env.values().any(|v| v.as_str() == Some(used.as_str()));
        let direct = action.contains(&format!("inputs.{input} ")) || action.contains(&used);
        assert!(passed || direct, "input {input} is never used");
        if passed {
            let var = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
            assert!(
                env.keys().any(|k| k.as_str() == Some(var.as_str())),
                "{var}"
            );
            assert!(run_sh.contains(&var), "run.sh does not read {var}");
        }
    }
    for var in env.keys().filter_map(|k| k.as_str()) {
        assert!(run_sh.contains(var), "run.sh does not read {var}");
    }
    for (name, output) in doc["outputs"].as_mapping().expect("outputs") {
        let name = name.as_str().unwrap();
        assert_eq!(
            output["value"].as_str(),
            Some(format!("${{{{ steps.check.outputs.{name} }}}}").as_str())
        );
    }
    assert!(run_sh.contains("errors=%s\\nwarnings=%s\\nexit-code=%s"));
}

#[test]
fn pre_commit_hooks_run_check_on_yaml_and_json() {
    use saphyr::LoadableYamlNode;
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let doc = saphyr::Yaml::load_from_str(&text).expect("YAML");
    let hooks = doc[0].as_sequence().expect("a list of hooks");
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids, ["eastwest-guard-check", "eastwest-guard-check-system"]);
    for (hook, language) in hooks.iter().zip(["rust", "system"]) {
        assert_eq!(hook["language"].as_str(), Some(language));
        assert_eq!(hook["entry"].as_str(), Some("eastwest-guard check"));
        let types: Vec<&str> = hook["types_or"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        assert_eq!(types, ["yaml", "json"]);
        assert_eq!(hook["require_serial"].as_bool(), Some(true));
    }
}
