//! The reference docs that restate the code are generated from it, and these tests fail when a
//! committed file differs from what the code generates:
//!
//! - docs/flags.md, whole: every subcommand and flag of the real command line
//!   (`eastwest_guard::command::Cli`), through clap-markdown, with each flag's environment
//!   variable and default;
//! - docs/rules.md, between its `generated: rule-table` and `generated: rule-details` markers:
//!   the rule catalog (`RuleId::ALL`), the defaults of the rule configuration, and the engine
//!   files that report each rule.
//!
//! After an intended change of the code, regenerate them with
//!
//!     UPDATE_DOCS=1 cargo test --test cli docs::
//!
//! and review the change with `git diff docs`. A last test checks that every relative link in
//! the repository's markdown files leads to a file that exists, and to a heading of it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use eastwest_guard::command::Cli;
use eastwest_guard::rules::ids::Level;
use eastwest_guard::rules::keys;
use eastwest_guard::rules::{Config, RuleId};

use crate::support::golden::first_difference;

const REGENERATE: &str = "UPDATE_DOCS=1 cargo test --test cli docs::";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `generated` with the committed `text`, or says how to regenerate it. With
/// `UPDATE_DOCS` set, returns `true` when the caller should write the generated text instead.
fn matches_or_update(path: &Path, committed: &str, generated: &str) -> bool {
    if std::env::var_os("UPDATE_DOCS").is_some() {
        return true;
    }
    if committed != generated {
        let (line, committed, generated) = first_difference(committed, generated);
        panic!(
            "{} differs from what the code generates, first at line {line} of the generated \
             part:\n  committed: {committed:?}\n  generated: {generated:?}\nIf the code change \
             is intended: {REGENERATE}, then review git diff docs.",
            path.display(),
        );
    }
    false
}

/// Checks (or rewrites) a file that is generated whole.
fn check_file(relative: &str, generated: &str) {
    let path = root().join(relative);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if matches_or_update(&path, &committed, generated) {
        std::fs::write(&path, generated).expect("write the generated file");
    }
}

/// Checks (or rewrites) the part of a file between `<!-- generated: NAME ... -->` and
/// `<!-- end generated: NAME -->`; the rest of the file is written by hand.
fn check_block(relative: &str, name: &str, generated: &str) {
    let path = root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let begin = format!("<!-- generated: {name} ");
    let end = format!("<!-- end generated: {name} -->");
    let start = text
        .find(&begin)
        .and_then(|at| text[at..].find('\n').map(|nl| at + nl + 1))
        .unwrap_or_else(|| panic!("{} has no line starting {begin:?}", path.display()));
    let stop = text[start..]
        .find(&end)
        .map(|at| start + at)
        .unwrap_or_else(|| panic!("{} has no {end:?} after {begin:?}", path.display()));
    if matches_or_update(&path, &text[start..stop], generated) {
        let updated = format!("{}{generated}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, updated).expect("write the generated part");
    }
}

// --- docs/flags.md ---------------------------------------------------------------------------

/// `<` and `>` outside code spans would be read as HTML tags (`<temp dir>` vanishes).
fn escape_outside_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
        } else {
            out.push_str(&part.replace('<', "&lt;").replace('>', "&gt;"));
        }
    }
    out
}

/// Text after a command's help, with its indented example lines as a code block (markdown
/// would run them together into one line of prose).
fn examples_as_code(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let example = line.strip_prefix("  ").filter(|l| !l.trim().is_empty());
        match (example, in_block) {
            (Some(example), false) => {
                out.push("```sh".to_owned());
                out.push(example.to_owned());
                in_block = true;
            }
            (Some(example), true) => out.push(example.to_owned()),
            (None, true) => {
                out.push("```".to_owned());
                out.push(line.to_owned());
                in_block = false;
            }
            (None, false) => out.push(line.to_owned()),
        }
    }
    if in_block {
        out.push("```".to_owned());
    }
    out.join("\n")
}

/// The command line as documented: each flag's help says which environment variable sets it
/// (clap-markdown shows defaults and possible values, not the variable).
fn documented(command: clap::Command) -> clap::Command {
    let after = command
        .get_after_long_help()
        .or_else(|| command.get_after_help())
        .map(|text| examples_as_code(&text.to_string()));
    let command = match after {
        Some(text) => command.after_long_help(text),
        None => command,
    };
    let command = command.mut_args(|arg| {
        let help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(|h| escape_outside_code(&h.to_string()))
            .unwrap_or_default();
        let help = match arg.get_env() {
            Some(env) => format!("{help}\n\nEnvironment: `{}`", env.to_string_lossy()),
            None => help,
        };
        arg.long_help(help)
    });
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, documented)
    })
}

fn flags_reference() -> String {
    let options = clap_markdown::MarkdownOptions::new()
        .title("Command-line reference".to_owned())
        .show_footer(false);
    let text = clap_markdown::help_markdown_command_custom(&documented(Cli::command()), &options);
    let generic =
        "This document contains the help content for the `eastwest-guard` command-line program.\n";
    assert!(
        text.contains(generic),
        "clap-markdown's opening line changed: {text}"
    );
    let preface = format!(
        "<!-- Generated from the code (src/command.rs and the subcommands' flags) by \
         `{REGENERATE}`: edit the doc comments, not this file. -->\n\n\
         Every subcommand and flag of `eastwest-guard`, with its default and the environment \
         variable that sets it (a flag on the command line wins). Durations are written as \
         Kubernetes writes them: `500ms`, `10s`, `1m30s`. A repeatable flag set from its \
         environment variable takes a comma-separated list. Bad flags exit 2. The defaults of \
         the rule flags (`--trigger-label`, `--cloud-annotation-prefix`, `--default-gateway-*`) \
         are in [rules.md](rules.md#defaults); how the server's flags work together is in \
         [operations.md](operations.md).\n"
    );
    text.replacen(generic, &preface, 1)
}

#[test]
fn flag_reference_is_generated_from_the_command_line() {
    check_file("docs/flags.md", &flags_reference());
}

#[test]
fn flag_reference_names_every_environment_variable() {
    // The reference is only as good as the injection of the variables: every flag that has one
    // must show it, and every flag of serve must have one.
    let text = flags_reference();
    let command = Cli::command();
    let serve = command
        .find_subcommand("serve")
        .expect("a serve subcommand");
    for arg in serve.get_arguments() {
        let env = arg
            .get_env()
            .unwrap_or_else(|| panic!("serve --{:?} has no environment variable", arg.get_long()));
        let shown = format!("Environment: `{}`", env.to_string_lossy());
        assert!(text.contains(&shown), "docs/flags.md lacks {shown}");
    }
}

// --- docs/rules.md ---------------------------------------------------------------------------

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Deny => "deny",
        Level::Warn => "warn",
    }
}

/// Source files under src/rules (sorted, relative to the repository), each with its text
/// before the unit tests.
fn engine_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src/rules"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            let code = match text.find("\n#[cfg(test)]") {
                Some(at) => text[..at].to_owned(),
                None => text,
            };
            let relative = path
                .strip_prefix(root())
                .expect("under the repository")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, code)
        })
        .collect()
}

/// The engine files that report `id`: those naming `RuleId::EWnnn` (or defining `fn ewnnn...`)
/// outside their unit tests. The catalog itself (ids.rs) is not a place a rule is reported.
fn reported_in(id: RuleId, sources: &[(String, String)]) -> Vec<String> {
    let variant = format!("RuleId::{}", id.as_str());
    let function = format!("fn {}", id.as_str().to_lowercase());
    sources
        .iter()
        .filter(|(path, _)| !path.ends_with("/ids.rs") && !path.ends_with("/tests.rs"))
        .filter(|(_, code)| {
            code.match_indices(&variant).any(|(at, m)| {
                !code[at + m.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            }) || code.contains(&function)
        })
        .map(|(path, _)| path.clone())
        .collect()
}

fn code_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table of every rule, and the configuration's defaults.
fn rule_table() -> String {
    let config = Config::default();
    let mut out = String::new();
    out.push_str("\n## All rules\n\n");
    out.push_str("| ID | level | objects | writes | what |\n|---|---|---|---|---|\n");
    for id in RuleId::ALL {
        let _ = writeln!(
            out,
            "| [{id}](#{anchor}) | {} | {} | {} | {} |",
            level_word(id.default_level()),
            id.objects(),
            id.writes(),
            id.title().replace('|', "\\|"),
            anchor = id.as_str().to_lowercase(),
        );
    }

    out.push_str("\n## Defaults\n\n");
    out.push_str(
        "The rule configuration without flags. Each flag replaces its default (it does not add \
         to it), in `serve` and in the CLI alike:\n\n",
    );
    let triggers: Vec<String> = config
        .trigger_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(
        out,
        "- trigger labels (`--trigger-label`): {}",
        code_list(triggers.iter().map(String::as_str))
    );
    let _ = writeln!(
        out,
        "- cloud annotation prefixes (`--cloud-annotation-prefix`): {}",
        code_list(config.cloud_annotation_prefixes.iter().map(String::as_str))
    );
    let _ = writeln!(
        out,
        "- gateway name (`--default-gateway-name`): `{}`",
        config.default_gateway_name
    );
    let _ = writeln!(
        out,
        "- gateway namespace (`--default-gateway-namespace`): `{}`",
        config.default_gateway_namespace
    );
    let _ = writeln!(
        out,
        "- the keys the agent reads: {}",
        code_list(keys::KNOWN.iter().copied())
    );

    out.push('\n');
    out
}

/// One entry per rule: its title, level, scope, where it is reported, and its description.
fn rule_details() -> String {
    let sources = engine_sources();
    let mut out = String::new();
    out.push_str("\n## Each rule\n");
    for id in RuleId::ALL {
        let files = reported_in(*id, &sources);
        let place = if files.is_empty() {
            "reported nowhere in src/rules".to_owned()
        } else {
            let links: Vec<String> = files
                .iter()
                .map(|f| {
                    let name = f.strip_prefix("src/rules/").unwrap_or(f);
                    format!("[{name}](../{f})")
                })
                .collect();
            format!("reported in {}", links.join(", "))
        };
        let _ = write!(
            out,
            "\n### {id}\n\n{title}\n\n**{level}** · {objects} · {writes} · {place}\n\n{description}\n",
            title = id.title(),
            level = level_word(id.default_level()),
            objects = id.objects(),
            writes = id.writes(),
            description = id.description(),
        );
    }
    out.push('\n');
    out
}

#[test]
fn rules_reference_is_generated_from_the_catalog() {
    check_block("docs/rules.md", "rule-table", &rule_table());
    check_block("docs/rules.md", "rule-details", &rule_details());
}

#[test]
fn every_rule_is_reported_somewhere_in_the_engine() {
    let sources = engine_sources();
    for id in RuleId::ALL {
        assert!(
            !reported_in(*id, &sources).is_empty(),
            "no file under src/rules reports {id}"
        );
    }
}

// --- links -----------------------------------------------------------------------------------

/// The markdown files whose links are checked: the repository's own docs (not golden outputs).
fn markdown_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["", "docs", "certs"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The text of a markdown file without fenced code blocks and inline code spans, where `](`
/// is not a link.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || line.starts_with("    ") {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        out.push('\n');
    }
    out
}

/// The link targets of a markdown text: inline links `[text](target)` and reference
/// definitions `[name]: target`.
fn link_targets(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut targets = Vec::new();
    for (at, _) in prose.match_indices("](") {
        let rest = &prose[at + 2..];
        if let Some(end) = rest.find(')') {
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            targets.push(target.to_owned());
        }
    }
    for line in prose.lines() {
        if let Some(rest) = line.trim_start().strip_prefix('[')
            && let Some((_, target)) = rest.split_once("]: ")
        {
            targets.push(target.split_whitespace().next().unwrap_or("").to_owned());
        }
    }
    targets
}

/// The anchors GitHub gives a file's headings: lower case, punctuation other than `-` and `_`
/// dropped, spaces as `-`, a repeated heading suffixed `-1`, `-2`, ...
fn heading_anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#').trim();
        let slug: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
        anchors.insert(anchor);
    }
    anchors
}

#[test]
fn every_relative_link_resolves() {
    let files = markdown_files();
    assert!(files.len() >= 5, "found only {files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a markdown file");
        for target in link_targets(&text) {
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("a directory").join(path)
            };
            let name = file
                .strip_prefix(root())
                .unwrap_or(file)
                .display()
                .to_string();
            if !resolved.exists() {
                broken.push(format!("{name}: {target} (no such file)"));
                continue;
            }
            if let Some(anchor) = anchor
                && resolved.extension().is_some_and(|e| e == "md")
            {
                let target_text = std::fs::read_to_string(&resolved).expect("read a link target");
                if !heading_anchors(&target_text).contains(anchor) {
                    broken.push(format!("{name}: {target} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn link_reading_finds_links_and_skips_code() {
    let text = "See [a](a.md#x) and `[b](b.md)`.\n```\n[c](c.md)\n```\n    [d](d.md)\n[e]: e.md\n";
    assert_eq!(link_targets(text), ["a.md#x", "e.md"]);
    let anchors = heading_anchors("# Run the webhook\n## Flags\n## Flags\n### `check`: CI\n");
    let expected: BTreeSet<String> = ["run-the-webhook", "flags", "flags-1", "check-ci"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(anchors, expected);
}
