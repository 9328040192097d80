//! Every fix works (SPEC "Fixes"): over every case of the corpus (tests/data/rules/cases), each
//! kubectl command a message or a summary offers is read out of the text as a user copies it
//! (between backticks, split into words as a POSIX shell splits them) and run by a small
//! simulator of `kubectl label`, `kubectl annotate` and `kubectl patch --type=merge|json`, with
//! kubectl's own refusals (a key set again without `--overwrite`, the wrong kind, name or
//! namespace); on a CREATE and in manifests, the fix's edits of the manifest are applied. Then
//! the guard judges the result again: the finding is gone (for the rules whose fix clears it),
//! no denial of its rule on its key remains, and no denial appears that was not there.
//!
//! Where the fix is a command, the write is the one the command makes: on the object as it is
//! in the cluster (after the write if the write went through, before it if it was denied), an
//! UPDATE from that object to the object the command leaves. A write that was denied is also
//! tried as corrected (the command applied to the object the user wrote): that write must pass
//! too. A command on a Service's Namespace (EW031) is run on the Namespace the cluster holds,
//! and the Service judged again against it; the Namespace's own write must not be denied.

use std::collections::BTreeSet;
use std::sync::Arc;

use eastwest_guard::rules::{
    self, Decision, Edit, Field, Fix, Level, NamespaceFacts, NoCluster, ObjectView, Operation,
    Origin, ResourceKind, Review, RuleId, StrMap, Target,
};
use serde_json::{Map, Value, json};

use crate::support::cases::{self, Case, FakeCluster};

/// The rules whose fix clears the finding itself (EW020, EW021 and EW032 give advice or a
/// follow-up: their finding is about the change, or about another object).
const CLEARED: &[RuleId] = &[
    RuleId::EW001,
    RuleId::EW002,
    RuleId::EW003,
    RuleId::EW004,
    RuleId::EW005,
    RuleId::EW006,
    RuleId::EW011,
    RuleId::EW012,
    RuleId::EW013,
    RuleId::EW030,
    RuleId::EW031,
    RuleId::EW040,
];

// --- reading commands out of a message -----------------------------------------------------

/// The words of `line` as a POSIX shell splits them: single quotes keep everything, double
/// quotes keep all but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes keeps the next
/// character. A character the shell would act on (`|`, `;`, `&`, `<`, `>`, `$`, a backtick,
/// `(`) outside quotes is refused: the command would not run as written.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed ' in {line:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unclosed \" in {line:?}")),
                        },
                        Some(c @ ('$' | '`')) => {
                            return Err(format!("{c} inside \"...\" in {line:?}"));
                        }
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed \" in {line:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or("a trailing backslash")?);
            }
            '|' | ';' | '&' | '<' | '>' | '$' | '`' | '(' | ')' | '*' | '?' | '[' | '#' => {
                return Err(format!("{c:?} outside quotes in {line:?}"));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The kubectl commands a text offers: each span between backticks that starts with
/// `kubectl `. Every `kubectl` of the text must be in one (a command outside backticks cannot
/// be copied whole); a backticked span that is not a command is words (`app=<name>`).
fn commands_in(text: &str) -> Result<Vec<String>, String> {
    let mut commands = Vec::new();
    let mut outside = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 && part.starts_with("kubectl ") {
            commands.push(part.to_owned());
        } else {
            outside.push_str(part);
            outside.push(' ');
        }
    }
    if text.matches('`').count() % 2 == 1 {
        return Err(format!("an unclosed backtick in {text:?}"));
    }
    if outside.contains("kubectl ") {
        return Err(format!("a kubectl command outside backticks in {text:?}"));
    }
    Ok(commands)
}

// --- the simulator -------------------------------------------------------------------------

/// One kubectl command, as the simulator understands it.
#[derive(Debug)]
struct Kubectl {
    verb: String,
    /// `namespace` or `service`.
    kind: &'static str,
    name: String,
    namespace: Option<String>,
    overwrite: bool,
    /// `k=v` and `k-` arguments (label, annotate).
    args: Vec<String>,
    /// `--type` and `-p` (patch).
    patch: Option<(String, String)>,
}

fn parse(command: &str) -> Result<Kubectl, String> {
    let words = shell_words(command)?;
    let mut it = words.iter().map(String::as_str);
    if it.next() != Some("kubectl") {
        return Err(format!("not kubectl: {command}"));
    }
    let verb = it.next().ok_or("no verb")?.to_owned();
    if !matches!(verb.as_str(), "label" | "annotate" | "patch") {
        return Err(format!(
            "the simulator runs label, annotate and patch, not {verb}"
        ));
    }
    let mut positional = Vec::new();
    let mut namespace = None;
    let mut overwrite = false;
    let mut patch_type = None;
    let mut patch = None;
    while let Some(w) = it.next() {
        match w {
            "-n" | "--namespace" => namespace = Some(it.next().ok_or("-n without value")?),
            "--overwrite" | "--overwrite=true" => overwrite = true,
            "--type" => patch_type = Some(it.next().ok_or("--type without value")?),
            "-p" | "--patch" => patch = Some(it.next().ok_or("-p without value")?),
            w if w.starts_with("--namespace=") => namespace = w.strip_prefix("--namespace="),
            w if w.starts_with("--type=") => patch_type = w.strip_prefix("--type="),
            w if w.starts_with("--patch=") => patch = w.strip_prefix("--patch="),
            w if w.starts_with('-') && w.len() > 1 => return Err(format!("unknown flag {w}")),
            w => positional.push(w.to_owned()),
        }
    }
    if positional.len() < 2 {
        return Err(format!("no kind and name in {command}"));
    }
    let kind = match positional[0].as_str() {
        "namespace" | "namespaces" | "ns" => "namespace",
        "service" | "services" | "svc" => "service",
        other => return Err(format!("kind {other} in {command}")),
    };
    let name = positional[1].clone();
    let args = positional[2..].to_vec();
    let patch = match verb.as_str() {
        "patch" => {
            if !args.is_empty() {
                return Err(format!("patch with arguments {args:?}"));
            }
            let kind = patch_type.unwrap_or("strategic");
            if !matches!(kind, "merge" | "json") {
                return Err(format!("--type={kind}: the simulator runs merge and json"));
            }
            Some((kind.to_owned(), patch.ok_or("patch without -p")?.to_owned()))
        }
        _ => {
            if patch.is_some() || patch_type.is_some() || args.is_empty() {
                return Err(format!("{verb} without keys, or with -p: {command}"));
            }
            None
        }
    };
    Ok(Kubectl {
        verb,
        kind,
        name,
        namespace: namespace.map(str::to_owned),
        overwrite,
        args,
        patch,
    })
}

/// An object the simulator edits: its kind as kubectl names it, and its JSON.
struct Live {
    kind: &'static str,
    json: Value,
}

impl Live {
    fn name(&self) -> &str {
        self.json["metadata"]["name"].as_str().unwrap_or_default()
    }

    fn namespace(&self) -> Option<&str> {
        self.json["metadata"]["namespace"].as_str()
    }
}

/// Runs `cmd` on `object` as kubectl does, or says why kubectl refuses it.
fn run(cmd: &Kubectl, object: &mut Live) -> Result<(), String> {
    if cmd.kind != object.kind || cmd.name != object.name() {
        return Err(format!(
            "{} {} not found (the command names {} {})",
            object.kind,
            object.name(),
            cmd.kind,
            cmd.name
        ));
    }
    if object.kind == "service" {
        // Without -n, kubectl acts in the context's namespace: "default" here.
        let ns = cmd.namespace.as_deref().unwrap_or("default");
        if Some(ns) != object.namespace() {
            return Err(format!(
                "service {} not found in namespace {ns}",
                object.name()
            ));
        }
    } else if cmd.namespace.is_some() {
        // kubectl ignores -n for a cluster-scoped kind; the guard never writes it there.
        return Err("-n on a Namespace".to_owned());
    }
    let meta = object.json["metadata"]
        .as_object_mut()
        .ok_or("no metadata")?;
    match cmd.verb.as_str() {
        "label" | "annotate" => {
            let block = if cmd.verb == "label" {
                "labels"
            } else {
                "annotations"
            };
            let map = meta
                .entry(block)
                .or_insert_with(|| Value::Object(Map::new()));
            if map.is_null() {
                *map = Value::Object(Map::new());
            }
            let map = map.as_object_mut().ok_or("labels not a map")?;
            for arg in &cmd.args {
                if let Some(key) = arg.strip_suffix('-').filter(|k| !k.contains('=')) {
                    map.remove(key);
                    continue;
                }
                let (key, value) = arg
                    .split_once('=')
                    .ok_or_else(|| format!("{arg}: neither k=v nor k-"))?;
                if key.is_empty() {
                    return Err(format!("{arg}: an empty key"));
                }
                // Strict: kubectl refuses a key that is there without --overwrite (older
                // versions even with the same value).
                if map.contains_key(key) && !cmd.overwrite {
                    return Err(format!(
                        "'{key}' already has a value ({}), and --overwrite is false",
                        map[key]
                    ));
                }
                map.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        _ => {
            let (kind, text) = cmd.patch.as_ref().ok_or("no patch")?;
            let patch: Value =
                serde_json::from_str(text).map_err(|e| format!("patch is not JSON: {e}"))?;
            match kind.as_str() {
                "merge" => json_patch::merge(&mut object.json, &patch),
                _ => {
                    let patch: json_patch::Patch = serde_json::from_value(patch)
                        .map_err(|e| format!("not a JSON Patch: {e}"))?;
                    json_patch::patch(&mut object.json, &patch)
                        .map_err(|e| format!("the JSON Patch does not apply: {e}"))?;
                }
            }
        }
    }
    Ok(())
}

/// The structured edits of `fix` on `target`, applied to `object` (a manifest edited).
fn apply_edits(fix: &Fix, target: &Target, object: &mut Value) {
    for e in fix.edits.iter().filter(|e| e.target() == target) {
        let (block, key) = match e.field() {
            Field::Label(k) => ("labels", k),
            Field::Annotation(k) => ("annotations", k),
            Field::SpecType => panic!("a fix edits spec.type: {e:?}"),
        };
        let meta = &mut object["metadata"];
        if !meta[block].is_object() {
            meta[block] = json!({});
        }
        let map = meta[block].as_object_mut().expect("a map");
        match e {
            Edit::Set { value, .. } => {
                map.insert(key.clone(), Value::String(value.clone()));
            }
            Edit::Remove { .. } => {
                map.remove(key);
            }
        }
    }
}

// --- judging again -------------------------------------------------------------------------

/// The case's review with other objects and another cluster.
fn judge(
    case: &Case,
    operation: Operation,
    object: &ObjectView,
    old: Option<&ObjectView>,
    cluster: Option<&FakeCluster>,
) -> Decision {
    let origin = match case.json["origin"].as_str() {
        Some("manifests") => Origin::Manifests,
        _ => Origin::Admission,
    };
    let review = Review {
        operation,
        kind: case.kind(),
        name: case.json["name"].as_str().unwrap_or_default(),
        namespace: case.json["namespace"].as_str(),
        object: Some(object),
        old_object: old,
        origin,
    };
    let config = case.config();
    match cluster {
        Some(c) => rules::validate(&review, &config, c),
        None => rules::validate(&review, &config, &NoCluster),
    }
}

/// The labels and annotations of an object, an absent map read as an empty one.
fn maps(o: &ObjectView) -> (StrMap, StrMap) {
    (
        o.labels().cloned().unwrap_or_default(),
        o.annotations().cloned().unwrap_or_default(),
    )
}

fn view(v: &Value) -> ObjectView {
    serde_json::from_value(v.clone()).expect("an object")
}

/// The denials of a decision, by rule and key.
fn denials(d: &Decision) -> BTreeSet<(RuleId, String)> {
    d.denials()
        .map(|v| (v.rule, format!("{:?}", v.field)))
        .collect()
}

/// What must hold after a fix of `finding` (from the decision `before`): see the module.
fn check_after(
    what: &str,
    finding: &rules::Violation,
    before: &Decision,
    after: &Decision,
) -> Result<(), String> {
    let key = format!("{:?}", finding.field);
    // A finding inside the cloud annotations' text is one of several on that annotation:
    // the same one also holds the same value (its key, or the text itself).
    let same = |v: &&rules::Violation| {
        v.rule == finding.rule
            && format!("{:?}", v.field) == key
            && (finding.position_in_value.is_none() || v.value == finding.value)
    };
    if let Some(v) = after.denials().find(same) {
        return Err(format!("{what}: {} is still denied: {}", v.rule, v.message));
    }
    if CLEARED.contains(&finding.rule)
        && finding.fix.as_ref().is_some_and(|f| !f.edits.is_empty())
        && let Some(v) = after.violations.iter().find(same)
    {
        return Err(format!("{what}: {} is still there: {}", v.rule, v.message));
    }
    let was = denials(before);
    for v in after.denials() {
        if !was.contains(&(v.rule, format!("{:?}", v.field))) {
            return Err(format!("{what}: a new denial {}: {}", v.rule, v.message));
        }
    }
    Ok(())
}

/// The Namespace a cluster holds, as an object kubectl could edit.
fn namespace_object(name: &str, facts: &NamespaceFacts) -> Value {
    let map = |m: &StrMap| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                .collect(),
        )
    };
    json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": map(&facts.labels), "annotations": map(&facts.annotations)}})
}

/// `cluster` with the Namespace `name` as `object` says.
fn with_namespace(cluster: &FakeCluster, name: &str, object: &ObjectView) -> FakeCluster {
    let mut cluster = cluster.clone();
    cluster.namespaces.insert(
        name.to_owned(),
        Arc::new(NamespaceFacts {
            labels: object.labels().cloned().unwrap_or_default(),
            annotations: object.annotations().cloned().unwrap_or_default(),
        }),
    );
    cluster
}

/// What the simulator did, for the summary at the end.
#[derive(Default)]
struct Tally {
    commands: usize,
    edits: usize,
    by_rule: std::collections::BTreeMap<RuleId, usize>,
}

/// Checks every fix of one case; `Err` says what failed.
fn check_case(case: &Case, tally: &mut Tally) -> Result<(), String> {
    let decision = case.judge();
    let operation = match case.operation() {
        "CREATE" => Operation::Create,
        "UPDATE" => Operation::Update,
        _ => return Ok(()),
    };
    let Some(new) = case.object() else {
        return Ok(());
    };
    let old = case.old_object();
    let manifests = case.json["origin"] == "manifests";
    let cluster = case.cluster();
    let kind = match case.kind() {
        ResourceKind::Namespace => "namespace",
        ResourceKind::Service => "service",
        ResourceKind::Other => return Ok(()),
    };
    let object_json = serde_json::to_value(&new).expect("JSON");
    for finding in &decision.violations {
        let mut commands = commands_in(&finding.message)?;
        let in_summary = commands_in(&finding.summary)?;
        // The summary repeats the message's commands, never others.
        for c in &in_summary {
            if !commands.contains(c) {
                return Err(format!("the summary's command {c} is not in the message"));
            }
        }
        commands.dedup();
        let fix = finding.fix.clone().unwrap_or_default();
        if commands.is_empty() {
            if fix.edits.is_empty() {
                continue;
            }
            // The edit of a manifest: on a CREATE and in the CLI.
            let mut edited = object_json.clone();
            apply_edits(&fix, &Target::Object, &mut edited);
            let mut cluster_after = cluster.clone();
            for e in &fix.edits {
                if let Target::Namespace(name) = e.target() {
                    let c = cluster_after
                        .as_ref()
                        .ok_or("a Namespace fix without a cluster")?;
                    let facts = match c.namespaces.get(name) {
                        Some(f) => f.clone(),
                        None => {
                            return Err(format!("a fix on Namespace {name}, not in the cluster"));
                        }
                    };
                    let mut ns = namespace_object(name, &facts);
                    apply_edits(&fix, e.target(), &mut ns);
                    cluster_after = Some(with_namespace(c, name, &view(&ns)));
                }
            }
            if !manifests && operation == Operation::Update {
                return Err(format!(
                    "{}: an UPDATE through the webhook with no command: {}",
                    finding.rule, finding.message
                ));
            }
            let after = judge(
                case,
                operation.clone(),
                &view(&edited),
                old.as_ref(),
                cluster_after.as_ref(),
            );
            check_after("the edited manifest", finding, &decision, &after)?;
            tally.edits += 1;
            *tally.by_rule.entry(finding.rule).or_default() += 1;
            continue;
        }
        if manifests {
            return Err(format!("a kubectl command in the CLI: {}", finding.message));
        }
        let parsed: Vec<Kubectl> = commands
            .iter()
            .map(|c| parse(c))
            .collect::<Result<_, _>>()?;
        if operation == Operation::Create && parsed.iter().any(|c| c.kind == kind) {
            return Err(format!(
                "a command on an object that does not exist yet: {}",
                finding.message
            ));
        }
        // The object as the cluster holds it when the message is read, and the corrected write.
        let live = match (&old, decision.allowed()) {
            (Some(old), false) => serde_json::to_value(old).expect("JSON"),
            _ => object_json.clone(),
        };
        let mut bases = vec![("the command on the object in the cluster", live)];
        if operation == Operation::Update && !decision.allowed() {
            bases.push(("the corrected write", object_json.clone()));
        }
        for (what, base) in bases {
            let mut object = Live {
                kind,
                json: base.clone(),
            };
            let mut namespace: Option<(String, Live)> = None;
            for cmd in &parsed {
                if cmd.kind == kind {
                    run(cmd, &mut object)
                        .map_err(|e| format!("{what}: {e}: {}", commands.join(" ; ")))?;
                } else {
                    let c = cluster
                        .as_ref()
                        .ok_or("a command on a Namespace without a cluster")?;
                    let facts = c
                        .namespaces
                        .get(&cmd.name)
                        .ok_or_else(|| format!("Namespace {} not found", cmd.name))?;
                    let ns = namespace.get_or_insert_with(|| {
                        (
                            cmd.name.clone(),
                            Live {
                                kind: "namespace",
                                json: namespace_object(&cmd.name, facts),
                            },
                        )
                    });
                    run(cmd, &mut ns.1).map_err(|e| format!("{what}: {e}"))?;
                }
            }
            // The commands do what the fix's edits say.
            let mut edited = base.clone();
            apply_edits(&fix, &Target::Object, &mut edited);
            if maps(&view(&edited)) != maps(&view(&object.json)) {
                return Err(format!(
                    "{what}: the commands and the fix's edits differ: {} vs {:?}",
                    commands.join(" ; "),
                    fix.edits
                ));
            }
            let mut cluster_after = cluster.clone();
            if let Some((name, ns)) = &namespace {
                let c = cluster.as_ref().expect("checked above");
                let before_ns = namespace_object(name, &c.namespaces[name]);
                // The Namespace's own write passes.
                let (ns_old, ns_new) = (view(&before_ns), view(&ns.json));
                let ns_review = Review::update(ResourceKind::Namespace, &ns_old, &ns_new);
                let ns_decision = rules::validate(&ns_review, &case.config(), c);
                if !ns_decision.allowed() {
                    return Err(format!(
                        "{what}: the Namespace's write is denied: {ns_decision:?}"
                    ));
                }
                cluster_after = Some(with_namespace(c, name, &view(&ns.json)));
            }
            let after_object = view(&object.json);
            let after = if parsed.iter().any(|c| c.kind == kind) {
                let from = if what == "the corrected write" {
                    old.clone().expect("an UPDATE")
                } else {
                    view(&base)
                };
                judge(
                    case,
                    Operation::Update,
                    &after_object,
                    Some(&from),
                    cluster_after.as_ref(),
                )
            } else {
                judge(
                    case,
                    operation.clone(),
                    &after_object,
                    old.as_ref(),
                    cluster_after.as_ref(),
                )
            };
            check_after(what, finding, &decision, &after)?;
        }
        tally.commands += commands.len();
        *tally.by_rule.entry(finding.rule).or_default() += 1;
    }
    Ok(())
}

/// Every fix of every case of the corpus works.
#[test]
fn every_fix_offered_works() {
    if cases::recording() {
        return;
    }
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for case in cases::corpus().iter().filter(|c| c.input_kept()) {
        if let Err(why) = check_case(case, &mut tally) {
            failures.push(format!("{}: {why}", case.file.display()));
        }
    }
    eprintln!(
        "{} commands and {} manifest edits carried out; fixes by rule: {:?}",
        tally.commands, tally.edits, tally.by_rule
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The simulator ran commands and edits of every kind of fix.
    assert!(
        tally.commands > 20 && tally.edits > 20,
        "too few fixes tried"
    );
    for rule in [
        RuleId::EW001,
        RuleId::EW004,
        RuleId::EW005,
        RuleId::EW006,
        RuleId::EW011,
        RuleId::EW012,
        RuleId::EW013,
        RuleId::EW030,
        RuleId::EW031,
    ] {
        assert!(tally.by_rule.contains_key(&rule), "no fix of {rule} tried");
    }
}

/// The simulator itself: kubectl's refusals, quoting as a shell reads it.
#[test]
fn the_simulator_refuses_what_kubectl_refuses() {
    let svc = || Live {
        kind: "service",
        json: json!({"metadata": {"name": "api", "namespace": "shop", "labels": {"a": "1"}}}),
    };
    let run_text = |cmd: &str| -> Result<Value, String> {
        let mut live = svc();
        run(&parse(cmd)?, &mut live)?;
        Ok(live.json)
    };
    assert!(run_text("kubectl label service api -n shop a=2").is_err());
    assert!(run_text("kubectl label service api -n shop a=1").is_err());
    assert_eq!(
        run_text("kubectl label service api -n shop a=2 --overwrite").unwrap()["metadata"]["labels"]
            ["a"],
        "2"
    );
    assert!(run_text("kubectl label service api a=2 --overwrite").is_err());
    assert!(run_text("kubectl label service other -n shop b=2").is_err());
    assert!(run_text("kubectl label namespace api b=2").is_err());
    assert!(run_text("kubectl create namespace x").is_err());
    assert!(run_text("kubectl label service api -n shop b=2 && kubectl label x").is_err());
    let patched = run_text(
        r#"kubectl patch service api -n shop --type=merge -p '{"metadata":{"labels":{"a":null,"b":"x y"},"annotations":{"c":"it'\''s"}}}'"#,
    )
    .unwrap();
    assert_eq!(
        patched["metadata"],
        json!({"name": "api", "namespace": "shop", "labels": {"b": "x y"}, "annotations": {"c": "it's"}})
    );
    let patched = run_text(
        r#"kubectl patch svc api -n shop --type=json -p '[{"op":"remove","path":"/metadata/labels/a"}]'"#,
    )
    .unwrap();
    assert_eq!(patched["metadata"]["labels"], json!({}));
    assert_eq!(
        shell_words(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(),
        ["a", "b c", "d \"e\"", "f g"]
    );
    assert!(commands_in("run kubectl label x").is_err());
    assert_eq!(
        commands_in("Fix: `kubectl label service a b=c`, then `app=<name>`").unwrap(),
        ["kubectl label service a b=c"]
    );
}

/// The case corpus holds fixes of each surface: a command on a live object, a command on a
/// Service's Namespace, the edit of a manifest.
#[test]
fn fixes_render_for_where_they_are_read() {
    if cases::recording() {
        return;
    }
    let mut seen = BTreeSet::new();
    for case in cases::corpus().iter().filter(|c| c.input_kept()) {
        for v in case.judge().violations {
            let commands = commands_in(&v.message).unwrap_or_default();
            let create = case.operation() == "CREATE";
            let manifests = case.json["origin"] == "manifests";
            if commands.iter().any(|c| c.starts_with("kubectl patch")) {
                seen.insert("a move in one merge patch");
            }
            if commands.iter().any(|c| c.contains(" namespace "))
                && case.kind() == ResourceKind::Service
            {
                seen.insert("a command on a Service's Namespace");
            }
            if (create || manifests) && v.message.contains("under metadata.") {
                seen.insert("the edit of a manifest");
            }
            if v.level == Level::Warn && v.pre_existing {
                seen.insert("a problem already there, as a warning with its fix");
            }
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}
