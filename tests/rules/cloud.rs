//! EW007..EW010: the gateway's cloud annotations (one annotation holding YAML), written from
//! SPEC.md's rows. EW007 says where the agent's YAML fails and what its line-by-line fallback
//! reads instead: nothing to read is no finding, a fallback that keeps every line as written a
//! warning, one that loses a line (or reads nothing) a denial. EW008 takes the keys that are no
//! annotation names, EW009 (a warning) the keys outside the documented prefixes, EW010 what the
//! load balancer's controller would misread or ignore, from a catalog of documented keys.
//!
//! Every fix a message offers here is an edit of the annotation's text ("write line N as
//! `...`", "remove line N", "add the line `...`"): [`apply_fixes`] carries it out as written,
//! and the text is judged again: the finding is gone and no denial is new.

use eastwest_guard::rules::{
    self, Config, Decision, Edit, Field, Level, NoCluster, ResourceKind, Review, RuleId, Violation,
};
use proptest::prelude::*;

use crate::support::assert::{assert_finding, assert_never_says, assert_says};
use crate::support::objects::{CLOUD, GLOBAL, ew_ns};
use crate::support::review::{check_ns, check_ns_with, ids, only, update_ns};

const TYPE: &str = "service.beta.kubernetes.io/aws-load-balancer-type";
const SCHEME: &str = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const INTERNAL: &str = "service.beta.kubernetes.io/aws-load-balancer-internal";
const CERT: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";

fn cloud(text: &str) -> Decision {
    check_ns(&ew_ns(&[(GLOBAL, "true"), (CLOUD, text)]))
}

/// The text's lines, one per entry: `lines(&["a: b", "c: d"])` is `"a: b\nc: d\n"`.
fn lines(ls: &[&str]) -> String {
    ls.iter().map(|l| format!("{l}\n")).collect()
}

/// The text after the fix of `v` is carried out: the annotation's text its [`Fix`] writes.
/// The fix's note says the same in steps of the text, separated by "; " ("write line N as
/// `...`", "remove line N", "make line N empty", "add the line `...` after line N"): carried
/// out as written, they give the same text.
fn apply_fixes(text: &str, v: &Violation) -> String {
    try_fixes(text, v).unwrap_or_else(|| panic!("no fix to carry out in {:?}", v.message))
}

/// [`apply_fixes`], or `None` when the fix writes no text (advice only).
fn try_fixes(text: &str, v: &Violation) -> Option<String> {
    let fix = v.fix.as_ref()?;
    let fixed = fix.edits.iter().find_map(|e| match e {
        Edit::Set {
            field: Field::Annotation(k),
            value,
            ..
        } if k == CLOUD => Some(value.clone()),
        _ => None,
    })?;
    assert_eq!(fix.edits.len(), 1, "one edit, of the text: {fix:?}");
    let note = fix.note.as_deref().unwrap_or_default();
    if let Some(by_words) = apply_steps(text, note) {
        assert_eq!(
            by_words, fixed,
            "the steps of {note:?} carried out on {text:?} differ from the fix's text"
        );
    }
    assert!(
        v.message.contains(" Fix: "),
        "the message renders the fix: {}",
        v.message
    );
    Some(fixed)
}

/// The note's steps carried out on `text`, up to the first alternative or remark; `None` when
/// it has none (a key renamed inside a flow map is said in words).
fn apply_steps(text: &str, note: &str) -> Option<String> {
    let mut steps = note.strip_prefix("in the annotation's text: ")?;
    for end in [
        ", or",
        "; or",
        ", which",
        ", where",
        ", line ",
        ", the scheme",
        ", for an",
        ", (",
        "; YAML then reads",
    ] {
        if let Some(at) = steps.find(end) {
            steps = &steps[..at];
        }
    }
    let mut out: Vec<Option<String>> = text.lines().map(|l| Some(l.to_owned())).collect();
    let mut added: Vec<Vec<String>> = vec![Vec::new(); out.len() + 1];
    let number = |s: &str| -> usize {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or_else(|_| panic!("a line number in {s:?}"))
    };
    let quoted = |s: &str| -> (String, usize) {
        let start = s.find('`').expect("a backtick") + 1;
        let len = s[start..].find('`').expect("a closing backtick");
        (s[start..start + len].to_owned(), start + len + 1)
    };
    let mut any = false;
    for step in steps.split("; ") {
        let first = [
            "write line ",
            "remove line ",
            "make line ",
            "add the line `",
        ]
        .iter()
        .filter_map(|w| step.find(w).map(|at| (at, *w)))
        .min();
        let Some((at, what)) = first else { continue };
        any = true;
        let rest = &step[at + what.len()..];
        match what {
            "write line " => {
                let n = number(rest);
                if out[n - 1].is_some() {
                    out[n - 1] = Some(quoted(rest).0);
                }
            }
            "remove line " => out[number(rest) - 1] = None,
            "make line " => out[number(rest) - 1] = Some(String::new()),
            _ => {
                let (line, end) = quoted(&step[at..]);
                let after = step[at + end..]
                    .strip_prefix(" after line ")
                    .map_or(out.len(), number);
                added[after].push(line);
            }
        }
    }
    let mut fixed = String::new();
    for l in added[0].iter() {
        fixed.push_str(&format!("{l}\n"));
    }
    for (i, line) in out.into_iter().enumerate() {
        if let Some(line) = line {
            fixed.push_str(&format!("{line}\n"));
        }
        for l in &added[i + 1] {
            fixed.push_str(&format!("{l}\n"));
        }
    }
    any.then_some(fixed)
}

/// `v`'s fix, carried out on `text`, clears `v` (no finding of its rule on its line, or none
/// at all for EW007) and denies nothing that was not denied before.
#[track_caller]
fn assert_fix_clears(text: &str, before: &Decision, v: &Violation) -> Decision {
    let fixed = apply_fixes(text, v);
    let after = cloud(&fixed);
    if let Err(why) = fix_clears(before, v, &fixed, &after) {
        panic!("{why}");
    }
    after
}

/// Whether `after` (the decision on `fixed`, `v`'s fix carried out) no longer holds `v`, and
/// denies nothing `before` did not.
fn fix_clears(
    before: &Decision,
    v: &Violation,
    fixed: &str,
    after: &Decision,
) -> Result<(), String> {
    // The same finding: its rule, where it points and what it says in short (a fix may leave
    // another finding on the same line, e.g. a scheme fixed to "internal" that the in-tree
    // provider ignores).
    let still = after.violations.iter().any(|w| {
        w.rule == v.rule
            && (v.rule == RuleId::EW007
                || (w.position_in_value == v.position_in_value && w.summary == v.summary))
    });
    if still {
        return Err(format!(
            "the fix of {v:#?} leaves it: {fixed:?} gives {after:#?}"
        ));
    }
    match after
        .denials()
        .find(|d| !before.denials().any(|b| b.rule == d.rule))
    {
        Some(d) => Err(format!(
            "the fix of {v:#?} adds a denial: {fixed:?} gives {d:#?}"
        )),
        None => Ok(()),
    }
}

// --- EW007: what the agent reads ----------------------------------------------------------

#[test]
fn ew007_nothing_to_read_is_no_finding() {
    // The agent reads no annotation, as without the annotation: an empty value (a Helm chart
    // renders an unset value as ""), blank lines, comments, an empty map or a null.
    for text in [
        "",
        "\n",
        "   \n",
        " \n\n  \n",
        "# cloud annotations go here\n",
        "# AWS: none yet\n# GCP: none either\n",
        "\n# only a comment\n\n",
        "{}",
        "~",
        "null\n",
        "---\n",
        // Go's YAML fails on a tab before a comment or on a blank line; the fallback then
        // finds nothing either (a comment without a colon is no `key: value`).
        "\t# a comment\n",
        "\t\n",
    ] {
        let d = cloud(text);
        assert!(d.violations.is_empty(), "{text:?}: {:#?}", d.violations);
    }
}

#[test]
fn ew007_a_comment_and_one_valid_line_is_clean() {
    for text in [
        lines(&["# the gateway's NLB", &format!("{TYPE}: nlb")]),
        lines(&[&format!("{TYPE}: nlb"), "# note: keep it an NLB"]),
        lines(&[&format!("{TYPE}: nlb # the type")]),
    ] {
        let d = cloud(&text);
        assert!(d.violations.is_empty(), "{text:?}: {:#?}", d.violations);
    }
}

#[test]
fn ew007_a_comment_with_a_colon_where_go_fails_is_denied() {
    // A tab before the comment fails Go's YAML; the fallback knows no comments and reads
    // "# note" as a key, which kube-apiserver refuses on the gateway's Service.
    let d = cloud("\t# note: keep it internal\n");
    assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &["line 1 (a comment", "\"# note\""],
    );
}

#[test]
fn ew007_yaml_fails_but_the_fallback_keeps_every_line_warns() {
    // An unquoted ": " in a value: YAML fails, the fallback splits at the first colon and
    // reads the value as written.
    let text = lines(&[
        &format!("{TYPE}: nlb"),
        &format!("{INTERNAL}: \"true\""),
        "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags: Note: team=payments",
    ]);
    let d = cloud(&text);
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Warn,
        &[
            "mapping values are not allowed",
            "line 3",
            "keeps every line as written",
            "\"Note: team=payments\"",
            "write line 3 as `service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags: \"Note: team=payments\"`",
        ],
    );
    assert!(d.allowed(), "{:#?}", d.violations);
    assert_eq!(v.position_in_value.map(|p| p.line), Some(3));
    // The fix: YAML then reads the same map, and nothing is left to say.
    let after = assert_fix_clears(&text, &d, v);
    assert!(after.violations.is_empty(), "{:#?}", after.violations);

    // Indentation by mistake, with a tab or under a line that has its value: the fallback
    // trims it and reads each line as written.
    for text in [
        lines(&[&format!("{TYPE}: nlb"), &format!("\t{INTERNAL}: \"true\"")]),
        lines(&[&format!("{TYPE}: nlb"), &format!("  {INTERNAL}: \"true\"")]),
        // The same key twice with the same value: nothing lost; the fix removes the repeat.
        lines(&[
            &format!("{TYPE}: nlb"),
            &format!("{INTERNAL}: \"true\""),
            &format!("{TYPE}: nlb"),
        ]),
    ] {
        let d = cloud(&text);
        let v = assert_finding(&d, RuleId::EW007, Level::Warn, &["keeps every line"]);
        let after = assert_fix_clears(&text, &d, v);
        assert!(
            after.violations.is_empty(),
            "{text:?}: {:#?}",
            after.violations
        );
    }
}

#[test]
fn ew007_the_fallbacks_map_is_what_the_other_rules_judge() {
    // EW010 on the value the fallback reads.
    let text = lines(&[
        &format!("{TYPE}: external"),
        &format!("{SCHEME}: internal: yes"),
    ]);
    let d = cloud(&text);
    assert_finding(&d, RuleId::EW007, Level::Warn, &["keeps every line"]);
    let v = assert_finding(
        &d,
        RuleId::EW010,
        Level::Warn,
        &[
            "\"internal: yes\"",
            "as the agent's line fallback reads it",
            "\"internal\" or \"internet-facing\"",
        ],
    );
    assert_eq!(v.position_in_value.map(|p| p.line), Some(2));
    // EW009 on a key outside the documented prefixes.
    let d = cloud(&lines(&["external-dns.alpha.kubernetes.io/hostname: a: b"]));
    assert_eq!(ids(&d), vec![RuleId::EW007, RuleId::EW009]);
    assert!(d.allowed());
    // EW008 on a key Kubernetes refuses: denied, as the agent would put it on the Service.
    let d = cloud(&lines(&["bad key: a: b"]));
    assert_finding(&d, RuleId::EW007, Level::Warn, &[]);
    assert_finding(
        &d,
        RuleId::EW008,
        Level::Deny,
        &["as the agent's line fallback reads it"],
    );
}

#[test]
fn ew007_the_fallback_losing_a_line_is_denied() {
    let t = TYPE;
    for (text, line, why) in [
        // A line without a colon: skipped.
        (
            lines(&[
                &format!("{t}: nlb"),
                &format!("{SCHEME} internal"),
                "x: a: b",
            ]),
            2,
            "skipped",
        ),
        // A block scalar: the fallback reads "|" and splits the block's lines on their own.
        (
            lines(&[
                &format!("{t}: nlb"),
                &format!("{CERT}: |"),
                "  arn:aws:acm:eu-west-1:1:certificate/x",
                "x: a: b",
            ]),
            2,
            "block scalar",
        ),
        // A nested map.
        (
            lines(&[
                "service.beta.kubernetes.io:",
                "  aws-load-balancer-type: nlb",
            ]),
            1,
            "nested block",
        ),
        // A key set twice to two values: the later wins.
        (
            lines(&[&format!("{t}: nlb"), &format!("{t}: external")]),
            1,
            "set again on line 2",
        ),
        // A commented-out annotation: the fallback reads it as a key starting with '#'.
        (
            lines(&[
                &format!("{t}: nlb"),
                &format!("#{INTERNAL}: \"true\""),
                "x: a: b",
            ]),
            2,
            "a comment",
        ),
        // A value YAML reads otherwise: the fallback keeps the comment in it.
        (
            lines(&[&format!("{t}: nlb # NLB, not CLB"), "x: a: b"]),
            1,
            "YAML reads it as",
        ),
        // A quoted key: the fallback keeps the quotes, which no annotation key may hold.
        (
            lines(&[&format!("\"{t}\": nlb"), "x: a: b"]),
            1,
            "YAML reads it as",
        ),
        // No space after the colon: one word to YAML.
        (
            lines(&["x: a: b", "https://example.com/x"]),
            2,
            "no space after",
        ),
    ] {
        let d = cloud(&text);
        let v = assert_finding(
            &d,
            RuleId::EW007,
            Level::Deny,
            &[&format!("line {line} ("), why, "would silently use"],
        );
        assert!(v.position_in_value.is_some(), "{text:?}");
    }
}

#[test]
fn ew007_the_fallback_reading_nothing_is_denied() {
    for text in ["- a\n- b\n", "nlb", "just some text\nand more\n"] {
        let d = cloud(text);
        assert_finding(
            &d,
            RuleId::EW007,
            Level::Deny,
            &["would find no annotation at all"],
        );
    }
}

#[test]
fn ew007_a_fix_where_only_comments_and_yaml_readings_are_lost() {
    // Quoting the value lets YAML read the text, after which the commented-out line is a
    // comment again: the denial offers that fix, and it clears the finding.
    let text = lines(&[
        &format!("{TYPE}: nlb"),
        &format!("#{SCHEME}: internal"),
        &format!("{INTERNAL}: \"true\""),
        "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags: Note: x",
    ]);
    let d = cloud(&text);
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &["line 2 (a comment", "YAML then reads"],
    );
    let after = assert_fix_clears(&text, &d, v);
    assert!(after.violations.is_empty(), "{:#?}", after.violations);
}

#[test]
fn ew007_cloud_annotations_must_be_a_flat_yaml_map() {
    let ok = lines(&[
        &format!("{TYPE}: \"nlb\""),
        &format!("{INTERNAL}: \"true\""),
        &format!("{CERT}: arn:aws:acm:us-east-1:123456789012:certificate/abc"),
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path: 'http://x/health'",
    ]);
    assert!(
        cloud(&ok).violations.is_empty(),
        "{:#?}",
        cloud(&ok).violations
    );
    for (text, what) in [
        (
            lines(&[&format!("{TYPE}: nlb"), &format!("{TYPE}: external")]),
            "repeats",
        ),
        (lines(&[&format!("{TYPE}:"), "  nested: map"]), "nested map"),
        (
            lines(&["service.beta.kubernetes.io/aws-load-balancer-subnets: [a, b]"]),
            "nested list",
        ),
        (lines(&[&format!("- {TYPE}: nlb")]), "list"),
        ("nlb".to_owned(), "single YAML value"),
    ] {
        assert_finding(
            &cloud(&text),
            RuleId::EW007,
            Level::Deny,
            &[what, "The agent's YAML parser fails on it"],
        );
    }
}

#[test]
fn ew007_a_tab_in_the_indentation_fails_the_agents_yaml() {
    // Go's YAML (as libyaml) refuses each of these; saphyr accepts some (the first two). The
    // fallback trims the tab and keeps the line: a warning whose fix removes the indentation.
    let t = TYPE;
    for text in [
        format!("\t{t}: nlb\n"),
        format!("  \t{t}: nlb\n"),
        format!("{t}: nlb\n\t# a comment\n"),
        format!("{t}: nlb\n\t\n{t}-x: y\n"),
    ] {
        let d = cloud(&text);
        let v = assert_finding(
            &d,
            RuleId::EW007,
            Level::Warn,
            &["tab in the indentation", "keeps every line"],
        );
        assert!(
            v.position_in_value.is_some_and(|p| p.column <= 3),
            "{text:?}"
        );
        assert_fix_clears(&text, &d, v);
    }
    // Where the tab is in a block, the block is lost to the fallback: denied.
    for text in [
        format!("{t}: |\n\tnlb\n"),
        format!("{t}: |\n  \tnlb\n"),
        format!("{t}: |\n  nlb\n \tmore\n"),
        format!("{t}: nlb\n\tmore\n"),
    ] {
        assert_finding(
            &cloud(&text),
            RuleId::EW007,
            Level::Deny,
            &["tab in the indentation"],
        );
    }
    // Tabs after the indentation are left to YAML: after a value, or in a block scalar's text
    // once its indentation is read, accepted (as Go's YAML accepts them).
    for text in [
        format!("{t}: nlb\t# c\n"),
        format!("{t}: |\n  nlb\n  \tmore\n"),
        format!("{t}: |2\n  \tnlb\n"),
        format!("{t}: >-\n  nlb\n\n  \tmore\n{t}-x: y\n"),
        format!("{t}: &a |\n  nlb\n  \tmore\n"),
    ] {
        let d = cloud(&text);
        assert!(
            only(&d, RuleId::EW007).is_empty(),
            "{text:?}: {:#?}",
            d.violations
        );
    }
    // A tab in a later document: the second document is the problem, and the message says
    // what the agent's YAML keeps of the first.
    let d = cloud(&format!("{t}: nlb\n---\n\t{t}-x: y\n"));
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &["more than one YAML document", "would silently use"],
    );
    assert_never_says(&d, &v.message, &["fallback"]);
}

#[test]
fn ew007_a_leading_document_end_marker_fails_the_agents_yaml() {
    let t = TYPE;
    for text in [
        format!("...\n{t}: nlb\n"),
        format!("# a comment\n\n... # end\n{t}: nlb\n"),
    ] {
        // The fallback skips the marker line: a line lost.
        assert_finding(
            &cloud(&text),
            RuleId::EW007,
            Level::Deny,
            &["document end marker"],
        );
    }
    // At the end of the map it is only the end of the document: fine.
    assert!(only(&cloud(&format!("{t}: nlb\n...\n")), RuleId::EW007).is_empty());
    // A value that merely starts with dots is no marker.
    assert!(only(&cloud(&format!("{t}: nlb\n{t}-x: ...a\n")), RuleId::EW007).is_empty());
}

#[test]
fn ew007_a_second_document_says_what_the_agents_yaml_keeps() {
    // Go's YAML reads the first document and succeeds: no fallback is involved.
    let t = "service.beta.kubernetes.io/aws-load-balancer";
    let d = cloud(&format!("{t}-type: nlb\n---\n{t}-scheme: internal\n"));
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &[
            "more than one YAML document",
            &format!("would silently use {{\"{t}-type\": \"nlb\"}}"),
            "ignore everything from line 2 on",
        ],
    );
    assert_never_says(&d, &v.message, &["fallback"]);
}

#[test]
fn ew007_says_where_yaml_fails_and_what_the_fallback_would_see() {
    // The fallback splits at the first colon: a certificate ARN written "arn: aws:..." gets
    // the value "arn: aws:...", as written: kept, and the message shows it.
    let text = lines(&[
        &format!("{TYPE}: \"nlb\""),
        &format!("{CERT}: arn: aws:acm:us-east-1:1:certificate/x"),
    ]);
    let d = cloud(&text);
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Warn,
        &[
            "line 2",
            "\"arn: aws:acm:us-east-1:1:certificate/x\"",
            "\"nlb\"",
        ],
    );
    assert_eq!(v.position_in_value.map(|p| p.line), Some(2));

    // Unterminated quote: the fallback keeps the quote character.
    let d = cloud(&format!("{TYPE}: \"nlb\n"));
    let v = assert_finding(
        &d,
        RuleId::EW007,
        Level::Deny,
        &["not valid YAML", "opens a quote"],
    );
    assert!(v.position_in_value.is_some());
}

#[test]
fn ew007_fallback_matches_the_agent() {
    use eastwest_guard::rules::cloud::agent_fallback;
    let fb = agent_fallback(
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert: \"arn:aws:acm:us-east-1:1:certificate/x\"\n\
         cloud.google.com/load-balancer-type: 'Internal'\n\
         no colon here\n\
         service.beta.kubernetes.io/aws-load-balancer-healthcheck-path: http://x:8080/h\n",
    );
    assert_eq!(
        fb.map["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"],
        "arn:aws:acm:us-east-1:1:certificate/x"
    );
    assert_eq!(fb.map["cloud.google.com/load-balancer-type"], "Internal");
    assert_eq!(
        fb.map["service.beta.kubernetes.io/aws-load-balancer-healthcheck-path"],
        "http://x:8080/h"
    );
    assert_eq!(fb.skipped_lines, vec![3]);
    assert!(agent_fallback("").map.is_empty());
}

// --- EW008, EW009 -------------------------------------------------------------------------

#[test]
fn ew008_cloud_annotation_keys_are_qualified_names() {
    for bad in [
        "bad key",
        "Example.com/x",
        "a/b/c",
        "service.beta.kubernetes.io/-x",
    ] {
        let text = format!("\"{bad}\": v\n");
        let d = cloud(&text);
        assert_eq!(ids(&d), vec![RuleId::EW008], "{bad:?}: {:#?}", d.violations);
        let v = assert_finding(&d, RuleId::EW008, Level::Deny, &["remove line 1"]);
        assert_fix_clears(&text, &d, v);
    }
}

#[test]
fn ew009_a_key_outside_the_documented_prefixes_warns() {
    for key in [
        "example.com/lb-type",
        "external-dns.alpha.kubernetes.io/hostname",
        "metallb.universe.tf/address-pool",
        "oci.oraclecloud.com/load-balancer-type",
    ] {
        let d = cloud(&format!("{key}: x\n"));
        let v = assert_finding(
            &d,
            RuleId::EW009,
            Level::Warn,
            &[
                "outside the prefixes the agent documents as supported",
                "service.beta.kubernetes.io/",
                "external-dns, MetalLB",
            ],
        );
        assert!(d.allowed());
        // The agent's documentation does not say it drops such a key: neither does the guard.
        assert_never_says(&d, &v.message, &["ignore", "drop", "discard"]);
        assert_never_says(&d, &v.summary, &["ignore", "drop", "discard"]);
    }
    for ok in [
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb",
        "service.kubernetes.io/topology-mode: Auto",
        "cloud.google.com/load-balancer-type: Internal",
        "networking.gke.io/load-balancer-type: Internal",
        "service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"",
    ] {
        assert!(
            cloud(ok).violations.is_empty(),
            "{ok}: {:#?}",
            cloud(ok).violations
        );
    }
    // The prefix list is configuration.
    let config = Config {
        cloud_annotation_prefixes: vec!["example.com/".into()],
        ..Config::default()
    };
    let obj = ew_ns(&[(GLOBAL, "true"), (CLOUD, "example.com/lb-type: nlb\n")]);
    assert!(check_ns_with(&obj, &config).violations.is_empty());
}

// --- EW010 --------------------------------------------------------------------------------

#[test]
fn the_seed_cloud_examples_are_clean() {
    // The agent's documentation's AWS NLB example: the in-tree provider (type nlb) reads
    // aws-load-balancer-internal, and so does the Load Balancer Controller.
    let aws = lines(&[
        &format!("{TYPE}: \"nlb\""),
        &format!("{INTERNAL}: \"true\""),
        "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled: \"true\"",
    ]);
    assert!(
        cloud(&aws).violations.is_empty(),
        "{:#?}",
        cloud(&aws).violations
    );
    let gcp = lines(&[
        "cloud.google.com/load-balancer-type: \"Internal\"",
        "networking.gke.io/load-balancer-type: \"Internal\"",
    ]);
    assert!(
        cloud(&gcp).violations.is_empty(),
        "{:#?}",
        cloud(&gcp).violations
    );
    // Its format example mixes AWS and Google Cloud keys: no finding either.
    let format_example = lines(&[
        &format!("{TYPE}: \"nlb\""),
        &format!("{INTERNAL}: \"true\""),
        "cloud.google.com/load-balancer-type: \"Internal\"",
    ]);
    let d = cloud(&format_example);
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
}

#[test]
fn ew010_aws_scheme_internal_under_the_in_tree_provider() {
    // Type nlb, or no type: the in-tree provider ignores the scheme.
    for text in [
        lines(&[&format!("{TYPE}: nlb"), &format!("{SCHEME}: internal")]),
        lines(&[&format!("{SCHEME}: internal")]),
    ] {
        let d = cloud(&text);
        let v = assert_finding(
            &d,
            RuleId::EW010,
            Level::Warn,
            &[
                "ignored by the in-tree AWS provider",
                "may come up internet-facing",
                &format!("add the line `{INTERNAL}: \"true\"`"),
                "external",
            ],
        );
        assert!(d.allowed());
        let after = assert_fix_clears(&text, &d, v);
        assert!(after.violations.is_empty(), "{:#?}", after.violations);
    }
    // With aws-load-balancer-internal, both controllers make it internal: clean.
    for text in [
        lines(&[
            &format!("{TYPE}: nlb"),
            &format!("{SCHEME}: internal"),
            &format!("{INTERNAL}: \"true\""),
        ]),
        lines(&[&format!("{TYPE}: nlb"), &format!("{INTERNAL}: \"true\"")]),
        lines(&[&format!("{INTERNAL}: \"true\"")]),
        // internet-facing is the in-tree default anyway.
        lines(&[
            &format!("{TYPE}: nlb"),
            &format!("{SCHEME}: internet-facing"),
        ]),
        lines(&[&format!("{SCHEME}: internet-facing")]),
    ] {
        let d = cloud(&text);
        assert!(d.violations.is_empty(), "{text:?}: {:#?}", d.violations);
    }
}

#[test]
fn ew010_aws_internal_and_scheme_that_disagree() {
    // Each controller would build a different load balancer.
    for (text, says) in [
        (
            lines(&[
                &format!("{TYPE}: nlb"),
                &format!("{SCHEME}: internal"),
                &format!("{INTERNAL}: \"false\""),
            ]),
            "internet-facing under the in-tree AWS provider",
        ),
        (
            lines(&[
                &format!("{TYPE}: nlb"),
                &format!("{SCHEME}: internet-facing"),
                &format!("{INTERNAL}: \"true\""),
            ]),
            "internal under the in-tree AWS provider",
        ),
    ] {
        let d = cloud(&text);
        let v = assert_finding(&d, RuleId::EW010, Level::Warn, &[says]);
        let after = assert_fix_clears(&text, &d, v);
        assert!(after.violations.is_empty(), "{:#?}", after.violations);
    }
}

#[test]
fn ew010_aws_internal_under_the_load_balancer_controller_is_deprecated() {
    for (ty, internal, to) in [
        ("external", "\"true\"", "internal"),
        ("nlb-ip", "\"true\"", "internal"),
        ("external", "\"false\"", "internet-facing"),
    ] {
        let text = lines(&[&format!("{TYPE}: {ty}"), &format!("{INTERNAL}: {internal}")]);
        let d = cloud(&text);
        let v = assert_finding(
            &d,
            RuleId::EW010,
            Level::Warn,
            &[
                "deprecated in the AWS Load Balancer Controller",
                &format!("write line 2 as `{SCHEME}: \"{to}\"`"),
            ],
        );
        let after = assert_fix_clears(&text, &d, v);
        assert!(after.violations.is_empty(), "{:#?}", after.violations);
    }
    // Beside a scheme, which the controller takes over it: remove it.
    let text = lines(&[
        &format!("{TYPE}: external"),
        &format!("{SCHEME}: internal"),
        &format!("{INTERNAL}: \"true\""),
    ]);
    let d = cloud(&text);
    let v = assert_finding(&d, RuleId::EW010, Level::Warn, &["remove line 3"]);
    assert_fix_clears(&text, &d, v);
    // The scheme alone under the controller: clean.
    let d = cloud(&lines(&[
        &format!("{TYPE}: external"),
        &format!("{SCHEME}: internal"),
    ]));
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
}

#[test]
fn ew010_other_providers_keys_and_mixed_clouds_are_silent() {
    for text in [
        // DigitalOcean, OCI, IBM, Alibaba, Linode, Azure's port_ patterns under the documented
        // prefixes: no typo of anything the catalog knows.
        "service.beta.kubernetes.io/do-loadbalancer-protocol: \"http\"\n",
        "service.beta.kubernetes.io/do-loadbalancer-size-unit: \"3\"\n",
        "service.beta.kubernetes.io/oci-load-balancer-shape: \"flexible\"\n",
        "service.beta.kubernetes.io/oci-load-balancer-internal: \"true\"\n",
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type: \"private\"\n",
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type: \"intranet\"\n",
        "service.beta.kubernetes.io/linode-loadbalancer-throttle: \"4\"\n",
        "service.beta.kubernetes.io/port_443_health-probe_protocol: \"Tcp\"\n",
        "service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-443: tcp.idle_timeout.seconds=400\n",
        // Keys newer than the catalog, far from every documented key.
        "service.beta.kubernetes.io/aws-load-balancer-some-future-setting: \"on\"\n",
        // AWS and Google Cloud (and Azure) in one map: a manifest shared by two clouds.
        "service.beta.kubernetes.io/aws-load-balancer-type: nlb\n\
         service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"\n\
         networking.gke.io/load-balancer-type: Internal\n\
         service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"\n",
    ] {
        let d = cloud(text);
        assert!(d.violations.is_empty(), "{text:?}: {:#?}", d.violations);
    }
}

#[test]
fn ew010_a_typo_within_two_edits_of_a_documented_key() {
    for (key, meant, value) in [
        // Two letters swapped: one edit.
        (
            "service.beta.kubernetes.io/aws-load-balancer-tpye",
            TYPE,
            "nlb",
        ),
        // Two edits.
        (
            "service.beta.kubernetes.io/aws-load-balancer-schmeex",
            SCHEME,
            "internet-facing",
        ),
        (
            "service.beta.kubernetes.io/load-balancer-source-range",
            "service.beta.kubernetes.io/load-balancer-source-ranges",
            "10.0.0.0/8",
        ),
        (
            "service.beta.kubernetes.io/azure-load-balancer-internl",
            "service.beta.kubernetes.io/azure-load-balancer-internal",
            "true",
        ),
        (
            "networking.gke.io/load-balancer-tpe",
            "networking.gke.io/load-balancer-type",
            "Internal",
        ),
    ] {
        let text = format!("{key}: {value}\n");
        let d = cloud(&text);
        let v = assert_finding(
            &d,
            RuleId::EW010,
            Level::Warn,
            &[
                &format!("documented \"{meant}\""),
                &format!("write line 1 as `{meant}: \"{value}\"`"),
            ],
        );
        assert_says(&d, &v.summary, &[&format!("did you mean \"{meant}\"")]);
        let after = assert_fix_clears(&text, &d, v);
        assert!(after.violations.is_empty(), "{:#?}", after.violations);
    }
    // Three edits: no typo the catalog can name, no finding.
    for key in [
        "service.beta.kubernetes.io/aws-load-balancer-tpyexx",
        "service.beta.kubernetes.io/aws-load-balancer-scemexy",
    ] {
        let d = cloud(&format!("{key}: x\n"));
        assert!(d.violations.is_empty(), "{key}: {:#?}", d.violations);
    }
    // The documented key already set: the fix removes the typo's line.
    let text = lines(&[
        &format!("{TYPE}: nlb"),
        "service.beta.kubernetes.io/aws-load-balancer-tpye: nlb",
    ]);
    let d = cloud(&text);
    let v = assert_finding(
        &d,
        RuleId::EW010,
        Level::Warn,
        &["remove line 2, line 1 already sets"],
    );
    assert_fix_clears(&text, &d, v);
}

#[test]
fn ew010_documented_keys_with_undocumented_values() {
    for (text, expected, fixed) in [
        (
            format!("{SCHEME}: Internal"),
            "\"internal\" or \"internet-facing\"",
            true,
        ),
        (
            format!("{SCHEME}: private"),
            "\"internal\" or \"internet-facing\"",
            true,
        ),
        (
            "service.beta.kubernetes.io/aws-load-balancer-ip-address-type: ipv6".to_owned(),
            "\"ipv4\" or \"dualstack\"",
            true,
        ),
        (
            "service.beta.kubernetes.io/azure-load-balancer-internal: \"yes\"".to_owned(),
            "\"true\" or \"false\"",
            true,
        ),
        (
            "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: \"3\"".to_owned(),
            "4 to 30",
            true,
        ),
        (
            "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: \"31\"".to_owned(),
            "4 to 30",
            true,
        ),
        (
            "networking.gke.io/load-balancer-type: External".to_owned(),
            "\"Internal\"",
            true,
        ),
    ] {
        let text = format!("{text}\n");
        let d = cloud(&text);
        let v = assert_finding(
            &d,
            RuleId::EW010,
            Level::Warn,
            &[expected, "write line 1 as"],
        );
        assert!(d.allowed());
        if fixed {
            let after = assert_fix_clears(&text, &d, v);
            // A scheme fixed to "internal" with no type is then told the in-tree provider
            // ignores it: a second step, not a denial.
            assert!(after.allowed(), "{:#?}", after.violations);
        }
    }
    for ok in [
        format!("{SCHEME}: internet-facing"),
        "service.beta.kubernetes.io/aws-load-balancer-ip-address-type: dualstack".to_owned(),
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: \"4\"".to_owned(),
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout: 30".to_owned(),
        format!("{TYPE}: nlb\nservice.kubernetes.io/topology-mode: Auto"),
    ] {
        assert!(
            cloud(&ok).violations.is_empty(),
            "{ok}: {:#?}",
            cloud(&ok).violations
        );
    }
}

/// EW010: a cloud annotation written with no value becomes an empty annotation on the
/// gateway Service; almost always a forgotten value.
#[test]
fn ew010_a_cloud_annotation_without_a_value() {
    let text = lines(&[&format!("{TYPE}: nlb"), &format!("{CERT}:")]);
    let d = cloud(&text);
    let v = assert_finding(
        &d,
        RuleId::EW010,
        Level::Warn,
        &["has no value", "remove line 2"],
    );
    assert_fix_clears(&text, &d, v);
}

#[test]
fn ew010_a_deprecated_key() {
    let text = "service.kubernetes.io/topology-aware-hints: Auto\n";
    let d = cloud(text);
    let v = assert_finding(
        &d,
        RuleId::EW010,
        Level::Warn,
        &["deprecated: use \"service.kubernetes.io/topology-mode\""],
    );
    assert_fix_clears(text, &d, v);
}

/// Lines near the edges of what YAML and the fallback read alike: documented keys and near
/// misses, values holding `: ` or ` #`, quotes, nulls, comments with and without a colon,
/// indentation by tabs and spaces, blank lines, repeats.
fn cloud_text() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        TYPE,
        SCHEME,
        INTERNAL,
        CERT,
        "service.beta.kubernetes.io/aws-load-balancer-tpye",
        "service.beta.kubernetes.io/load-balancer-source-range",
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "service.beta.kubernetes.io/do-loadbalancer-protocol",
        "networking.gke.io/load-balancer-type",
        "external-dns.alpha.kubernetes.io/hostname",
        "bad key",
        "\"quoted.io/key\"",
    ]);
    let value = prop::sample::select(vec![
        "nlb",
        "external",
        "internal",
        "Internal",
        "internet-facing",
        "\"true\"",
        "\"false\"",
        "'true'",
        "a: b",
        "Note: team=x",
        "arn: aws:acm:1:certificate/x",
        "nlb # c",
        "a: b # c",
        "null",
        "~",
        "",
        "\"x",
        "|",
        "[a, b]",
        "\"say \\\"hi\\\": now\"",
        "'it''s'",
        "10.0.0.0/8",
    ]);
    let indent = prop::sample::select(vec!["", "", "", "  ", "\t"]);
    let entry = (indent, key, value).prop_map(|(i, k, v)| {
        if v.is_empty() {
            format!("{i}{k}:")
        } else {
            format!("{i}{k}: {v}")
        }
    });
    let other = prop::sample::select(vec![
        "",
        "# note",
        "# note: with a colon",
        "\t# tabbed",
        "no colon here",
        "  more",
        "---",
    ])
    .prop_map(str::to_owned);
    prop::collection::vec(prop_oneof![4 => entry, 1 => other], 1..6)
        .prop_map(|lines| lines.iter().map(|l| format!("{l}\n")).collect())
}

/// The engine's decision on the text, outside the corpus of cases (the inputs are generated).
fn judge(text: &str) -> Decision {
    let obj = ew_ns(&[(GLOBAL, "true"), (CLOUD, text)]);
    rules::validate(
        &Review::create(ResourceKind::Namespace, &obj),
        &Config::default(),
        &NoCluster,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 30000, ..ProptestConfig::default() })]

    /// Every fix a cloud finding offers as an edit of the text, carried out as written, clears
    /// that finding and denies nothing that was not denied before; and where the fallback
    /// keeps every line (an EW007 warning), there is one.
    #[test]
    fn every_cloud_fix_clears_its_finding(text in cloud_text()) {
        let before = judge(&text);
        for v in &before.violations {
            let fixed = try_fixes(&text, v);
            if v.rule == RuleId::EW007 && v.level == Level::Warn {
                prop_assert!(fixed.is_some(), "{:?}: {:#?}", text, v);
            }
            let Some(fixed) = fixed else { continue };
            let after = judge(&fixed);
            if let Err(why) = fix_clears(&before, v, &fixed, &after) {
                prop_assert!(false, "{:?}: {}", text, why);
            }
        }
    }
}

/// On an UPDATE through the webhook the Namespace exists: a cloud fix is one `kubectl patch
/// --type=merge` that writes the corrected text (JSON keeps its line breaks on one line), which
/// the fix simulator (`fixes.rs`) runs over the corpus of cases.
#[test]
fn cloud_fixes_on_an_update_are_one_merge_patch() {
    let old = ew_ns(&[
        (GLOBAL, "true"),
        (CLOUD, &lines(&[&format!("{TYPE}: nlb")])),
    ]);
    for text in [
        // YAML fails, the fallback keeps every line: an EW007 warning.
        lines(&[
            &format!("{TYPE}: nlb"),
            &format!("{CERT}: arn: aws:acm:1:certificate/x"),
        ]),
        // A typo within two edits: an EW010 warning, the key rewritten.
        lines(&[
            &format!("{TYPE}: nlb"),
            "service.beta.kubernetes.io/aws-load-balancer-tpye: nlb",
        ]),
        // Scheme internal under the in-tree provider: the fix adds the key both honour.
        lines(&[&format!("{TYPE}: nlb"), &format!("{SCHEME}: internal")]),
    ] {
        let new = ew_ns(&[(GLOBAL, "true"), (CLOUD, &text)]);
        let d = update_ns(&old, &new, &NoCluster);
        assert!(d.allowed(), "{text:?}: {d:#?}");
        let v = d
            .violations
            .iter()
            .find(|v| matches!(v.rule, RuleId::EW007 | RuleId::EW010))
            .unwrap_or_else(|| panic!("{text:?}: {d:#?}"));
        assert_says(
            &d,
            &v.message,
            &[
                "`kubectl patch namespace payments --type=merge -p '{\"metadata\":{\"annotations\":{\"traffic.tetrate.io/eastwest-gateway-cloud-annotations\":",
            ],
        );
        let fixed = apply_fixes(&text, v);
        let after = cloud(&fixed);
        fix_clears(&d, v, &fixed, &after).unwrap_or_else(|why| panic!("{why}"));
    }
}
