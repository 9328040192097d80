//! Fixes: what a rule proposes, as data ([`Fix`]: the edits of labels and annotations and a
//! note), and the words a message renders them in for where its reader is.
//!
//! Every fix can be carried out as written and clears its finding without raising a new
//! denial: the values it writes are the ones the rules accept, a move between labels and
//! annotations is one write, and a kubectl command overwrites only the key being fixed.
//! Rendering follows what exists:
//! - an object the write updates through the webhook exists: kubectl commands
//!   (`kubectl label|annotate`, or one `kubectl patch --type=merge` for a move), each between
//!   backticks so it can be copied whole;
//! - an object being created (the webhook's CREATE) or a manifest (the CLI) does not, or is
//!   written in a file: the edit of the manifest, naming the block (`metadata.labels`) and the
//!   line to write (the CLI prints the file, line and column of the key beside it);
//! - a Namespace a Service's fix edits (EW031) exists through the webhook whatever the
//!   Service's operation: a command on it there, the edit of its manifest in the CLI.

use super::ResourceKind;
use super::cloud;
use super::config::Config;
use super::decision::{Edit, Field, Fix, Target};
use super::keys;
use super::meta::StrMap;
use super::names;
use super::object::ObjectView;
use super::report::{quote, shell_word};
use super::selector;

impl Fix {
    /// A fix made of these edits.
    pub(crate) fn edits(edits: Vec<Edit>) -> Self {
        Fix { edits, note: None }
    }

    /// A fix only a person can carry out: words, no edit.
    pub(crate) fn advice(note: impl Into<String>) -> Self {
        Fix {
            edits: Vec::new(),
            note: Some(note.into()),
        }
    }

    #[must_use]
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        let note = note.into();
        if !note.is_empty() {
            self.note = Some(note);
        }
        self
    }
}

/// The value the rules' fixes write for a boolean key (`traffic.tetrate.io/global`, the
/// gateway's deploy) written as `text` on an object of `kind` at `field`: the boolean `text`
/// means, else what the agent does today. `None` for other keys. The CLI's input check gives
/// the same value for such a key written unquoted (`deploy: yes`), so its fix and the rule's
/// are one.
pub fn intended_value(kind: ResourceKind, field: &Field, text: &str) -> Option<&'static str> {
    let key = field.key()?;
    let today = match (kind, key) {
        (ResourceKind::Namespace | ResourceKind::Service, keys::GLOBAL) => "false",
        (ResourceKind::Namespace, keys::GATEWAY_DEPLOY) => "true",
        _ => return None,
    };
    Some(bool_for_fix(text, today).0)
}

/// Writes `value` at `field` of the object.
pub(crate) fn set(field: Field, value: impl Into<String>) -> Edit {
    Edit::Set {
        target: Target::Object,
        field,
        value: value.into(),
    }
}

/// Removes `field` from the object.
pub(crate) fn remove(field: Field) -> Edit {
    Edit::Remove {
        target: Target::Object,
        field,
    }
}

/// The edits that move `key` from `from` to `to` (a label to an annotation or back) with
/// `value`: one write.
pub(crate) fn moved(key: &str, from: Field, to_value: &str) -> Vec<Edit> {
    let to = match from {
        Field::Label(_) => Field::Annotation(key.to_owned()),
        _ => Field::Label(key.to_owned()),
    };
    vec![set(to, to_value), remove(from)]
}

/// The boolean a near-boolean (`True`, `yes`, `ture`) plainly means; `None` when it is not plain.
pub(crate) fn intended_bool(v: &str) -> Option<&'static str> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" | "1" | "t" | "enabled" | "ture" | "treu" | "tru" => {
            Some("true")
        }
        "false" | "no" | "n" | "off" | "0" | "f" | "disabled" | "flase" | "fasle" | "fals" => {
            Some("false")
        }
        _ => None,
    }
}

/// The value a fix writes for a boolean key whose value `v` is misplaced or not exactly
/// `true`/`false`: the boolean `v` plainly means, else `today` (what the agent does now, which
/// the fix then keeps: a copied fix never exposes more than the user asked for), with a note
/// saying so.
pub(crate) fn bool_for_fix(v: &str, today: &'static str) -> (&'static str, String) {
    match intended_bool(v) {
        Some(b) => (b, String::new()),
        None => (
            today,
            format!(
                "{} is neither true nor false; \"{today}\" keeps what the agent does today",
                quote(v)
            ),
        ),
    }
}

/// The value a fix writes for the known key `key` as a Namespace annotation, from the value
/// `v` written somewhere it is not read (a label, a misspelt key): the boolean `v` means, or
/// `v` itself where the rules accept it there, with a note; `None` when no value written there
/// would be accepted without a decision (an invalid name: the fix removes the stray key and
/// says what to set).
pub(crate) fn namespace_value(
    key: &str,
    v: &str,
    ns: &ObjectView,
    config: &Config,
) -> Option<(String, String)> {
    let valid = match key {
        keys::GLOBAL => return Some(owned(bool_for_fix(v, "false"))),
        keys::GATEWAY_DEPLOY => return Some(owned(bool_for_fix(v, "true"))),
        keys::GATEWAY_NAMESPACE => names::dns1123_label(v).is_ok(),
        keys::GATEWAY_NAME => names::dns1035_label(v).is_ok(),
        keys::GATEWAY_SELECTOR => selector::parse(v).is_ok_and(|sel| {
            ns.annotation(keys::GATEWAY_NAME).is_some()
                || sel
                    .app()
                    .is_some_and(|app| names::dns1035_label(app).is_ok())
        }),
        keys::GATEWAY_CLOUD_ANNOTATIONS => cloud::is_valid(v, config),
        _ => false,
    };
    valid.then(|| (v.to_owned(), String::new()))
}

/// The value a fix writes for the Service label `traffic.tetrate.io/global`.
pub(crate) fn service_label_value(v: &str) -> (String, String) {
    owned(bool_for_fix(v, "false"))
}

fn owned((v, note): (&str, String)) -> (String, String) {
    (v.to_owned(), note)
}

/// A gateway name for a Namespace that needs one written down (EW004, EW006): `candidate`
/// where it is a DNS-1035 label, else `<namespace>-east-west`, else the configured default.
pub(crate) fn gateway_name_for(
    candidate: Option<&str>,
    namespace: &str,
    config: &Config,
) -> String {
    let cleaned = candidate.map(clean_name);
    [
        cleaned.clone(),
        cleaned.map(|c| format!("gw-{c}")),
        Some(format!("{namespace}-east-west")),
    ]
    .into_iter()
    .flatten()
    .find(|n| names::dns1035_label(n).is_ok())
    .unwrap_or_else(|| config.default_gateway_name.clone())
}

/// A name as it was most likely meant as a DNS label: lower case, `_`, `.` and spaces as `-`,
/// no `-` at either end.
pub(crate) fn clean_name(v: &str) -> String {
    let lower: String = v
        .trim()
        .chars()
        .map(|c| match c {
            '_' | '.' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    lower.trim_matches('-').to_owned()
}

/// The fix for a Namespace with none of the trigger labels (EW030, and EW031 on its Namespace):
/// add the first configured trigger label whose key the Namespace does not carry. A trigger key
/// it carries with another value (`istio.io/rev: canary`) is never overwritten: that value
/// picks its sidecars' revision or turns injection off, so changing it is a decision, which
/// the note leaves to a person when every trigger key is taken.
pub(crate) fn trigger_fix(labels: Option<&StrMap>, config: &Config, target: Target) -> Fix {
    let has = |k: &str| labels.and_then(|l| l.get(k));
    let Some((k, v)) = config.trigger_labels.iter().find(|(k, _)| has(k).is_none()) else {
        let taken = config
            .trigger_labels
            .iter()
            .map(|(k, v)| format!("{k}={} (the trigger is {v})", has(k).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ");
        return Fix::advice(format!(
            "every trigger label key is set to another value: {taken}. Changing one of them \
             also changes what it decides (a revision label picks the sidecars' revision, \
             istio-injection turns injection on or off), so choose which one to change, or \
             configure the value in use as a trigger label (--trigger-label)"
        ));
    };
    let also = if k == "istio-injection" {
        "istio-injection=enabled also turns sidecar injection on for the pods in it"
    } else if k.ends_with("/rev") && k != "tetrate.io/rev" {
        "a revision label also picks the revision of its sidecars"
    } else {
        ""
    };
    Fix {
        edits: vec![Edit::Set {
            target,
            field: Field::Label(k.clone()),
            value: v.clone(),
        }],
        note: (!also.is_empty()).then(|| also.to_owned()),
    }
}

/// Where the message is read, which decides how a fix is written.
pub(crate) struct Context<'a> {
    /// The kind as kubectl names it: `namespace` or `service`.
    pub kind: &'static str,
    /// The object's name as a command writes it (`<name>` without one).
    pub name: &'a str,
    /// A Service's namespace, for `-n`.
    pub namespace: Option<&'a str>,
    /// The object exists (an UPDATE through the webhook): kubectl commands on it.
    pub object_live: bool,
    /// Namespaces exist (through the webhook): a fix on a Service's Namespace is a command.
    pub namespaces_live: bool,
    /// The object after and before the write: a command overwrites a key only where either
    /// holds it with another value (after a denial the object is as it was before).
    pub new: Option<&'a ObjectView>,
    pub old: Option<&'a ObjectView>,
    /// The labels of the Namespace a Service's fix edits, as the cluster holds them.
    pub namespace_labels: Option<&'a StrMap>,
}

/// A fix in words: for the message, and shorter for the summary (the commands or edits only).
pub(crate) struct Rendered {
    pub text: String,
    pub short: String,
}

/// Renders `fix` for `ctx`.
pub(crate) fn render(fix: &Fix, ctx: &Context<'_>) -> Rendered {
    let mut targets: Vec<&Target> = Vec::new();
    for e in &fix.edits {
        if !targets.contains(&e.target()) {
            targets.push(e.target());
        }
    }
    let mut parts = Vec::new();
    for target in targets {
        let edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.target() == target).collect();
        let live = match target {
            Target::Object => ctx.object_live,
            Target::Namespace(_) => ctx.namespaces_live,
        };
        let commands = live.then(|| commands(&edits, target, ctx)).flatten();
        match commands {
            Some(commands) => parts.push(
                commands
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", then "),
            ),
            None => parts.push(manifest_edit(&edits, target, live)),
        }
    }
    let short = parts.join("; then ");
    let text = match (&fix.note, short.is_empty()) {
        (Some(note), true) => note.clone(),
        (Some(note), false) => format!("{short} ({note})"),
        (None, _) => short.clone(),
    };
    Rendered { text, short }
}

/// The kubectl commands that make `edits` on `target`: one `kubectl label` or `annotate`, or
/// one `kubectl patch --type=merge` where labels and annotations both change (a move is one
/// write: two commands, the first refused, would leave the object half moved), or where a
/// value holds a newline (the cloud annotations' text), which only JSON's `\n` keeps on one
/// line. `None` where a value cannot go in a message's backticks (a backtick).
fn commands(edits: &[&Edit], target: &Target, ctx: &Context<'_>) -> Option<Vec<String>> {
    let values = || edits.iter().filter_map(|e| e.value());
    if values().any(|v| v.contains('`')) {
        return None;
    }
    let multi_line = values().any(|v| v.chars().any(char::is_control));
    let object = match target {
        Target::Object => {
            let ns = ctx
                .namespace
                .map(|n| format!(" -n {n}"))
                .unwrap_or_default();
            format!("{} {}{ns}", ctx.kind, ctx.name)
        }
        Target::Namespace(name) => format!("namespace {name}"),
    };
    let labels = edits.iter().any(|e| matches!(e.field(), Field::Label(_)));
    let annotations = edits
        .iter()
        .any(|e| matches!(e.field(), Field::Annotation(_)));
    if (labels && annotations) || multi_line {
        let block = |label: bool| -> String {
            let entries: Vec<String> = edits
                .iter()
                .filter(|e| matches!(e.field(), Field::Label(_)) == label)
                .filter_map(|e| {
                    let key = serde_json::to_string(e.field().key()?).ok()?;
                    let value = match e.value() {
                        Some(v) => serde_json::to_string(v).ok()?,
                        None => "null".to_owned(),
                    };
                    Some(format!("{key}:{value}"))
                })
                .collect();
            entries.join(",")
        };
        let blocks: Vec<String> = [
            (labels, "labels", true),
            (annotations, "annotations", false),
        ]
        .into_iter()
        .filter(|(any, _, _)| *any)
        .map(|(_, name, label)| format!("\"{name}\":{{{}}}", block(label)))
        .collect();
        let patch = format!("{{\"metadata\":{{{}}}}}", blocks.join(","));
        return Some(vec![format!(
            "kubectl patch {object} --type=merge -p {}",
            shell_word(&patch)
        )]);
    }
    let verb = if labels { "label" } else { "annotate" };
    // `--overwrite` lets kubectl replace every key of its command: it goes on a command of
    // its own for each key the object holds already, never on one that also adds keys. (kubectl
    // refuses to set a key that is there without it; older versions even with the same value.)
    let mut plain = Vec::new();
    let mut overwriting = Vec::new();
    for e in edits {
        let key = e.field().key().unwrap_or_default();
        match e.value() {
            Some(v) if holds(ctx, target, e.field()) => {
                overwriting.push(shell_word(&format!("{key}={v}")));
            }
            Some(v) => plain.push(shell_word(&format!("{key}={v}"))),
            None => plain.push(shell_word(&format!("{key}-"))),
        }
    }
    let mut out = Vec::new();
    if !plain.is_empty() {
        out.push(format!("kubectl {verb} {object} {}", plain.join(" ")));
    }
    for arg in overwriting {
        out.push(format!("kubectl {verb} {object} {arg} --overwrite"));
    }
    Some(out)
}

/// Whether the target holds `field`, before or after the write.
fn holds(ctx: &Context<'_>, target: &Target, field: &Field) -> bool {
    let key = field.key().unwrap_or_default();
    match target {
        Target::Object => [ctx.new, ctx.old]
            .into_iter()
            .flatten()
            .any(|o| match field {
                Field::Label(_) => o.label(key).is_some(),
                _ => o.annotation(key).is_some(),
            }),
        Target::Namespace(_) => match field {
            Field::Label(_) => ctx.namespace_labels.is_some_and(|l| l.contains_key(key)),
            _ => false,
        },
    }
}

fn block(field: &Field) -> &'static str {
    match field {
        Field::Label(_) => "metadata.labels",
        _ => "metadata.annotations",
    }
}

/// A label or annotation as its manifest line: `key: "value"`.
fn line(key: &str, value: &str) -> String {
    format!(
        "{key}: {}",
        serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"))
    )
}

/// `edits` on `target` as the edit of its manifest (or, for a live object whose value cannot
/// go on a command line, of the object itself).
fn manifest_edit(edits: &[&Edit], target: &Target, live: bool) -> String {
    let mut parts = Vec::new();
    let mut done = vec![false; edits.len()];
    for (i, e) in edits.iter().enumerate() {
        if done[i] {
            continue;
        }
        let Edit::Set { field, value, .. } = e else {
            continue;
        };
        let key = field.key().unwrap_or_default();
        // A removal that goes with this write: a move (the same key elsewhere) or a rename.
        let partner = edits
            .iter()
            .enumerate()
            .position(|(j, other)| !done[j] && j != i && matches!(other, Edit::Remove { .. }));
        match partner {
            Some(j) => {
                done[j] = true;
                let from = edits[j].field();
                let from_key = from.key().unwrap_or_default();
                if from_key == key {
                    parts.push(format!(
                        "move {key} from {} to {}: {}",
                        block(from),
                        block(field),
                        line(key, value)
                    ));
                } else {
                    parts.push(format!(
                        "replace {from_key} under {} with {} under {}",
                        block(from),
                        line(key, value),
                        block(field)
                    ));
                }
            }
            None => parts.push(format!(
                "under {}, write {}",
                block(field),
                line(key, value)
            )),
        }
        done[i] = true;
    }
    for (i, e) in edits.iter().enumerate() {
        if !done[i] {
            let field = e.field();
            parts.push(format!(
                "remove {} from {}",
                field.key().unwrap_or_default(),
                block(field)
            ));
        }
    }
    let edit = parts.join(", and ");
    match (target, live) {
        (Target::Object, true) => format!("edit the object: {edit}"),
        (Target::Object, false) => edit,
        (Target::Namespace(name), true) => format!("edit Namespace {name}: {edit}"),
        (Target::Namespace(name), false) => {
            format!("in the manifest of Namespace {name}, {edit}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(live: bool, new: Option<&'a ObjectView>) -> Context<'a> {
        Context {
            kind: "service",
            name: "api",
            namespace: Some("shop"),
            object_live: live,
            namespaces_live: live,
            new,
            old: None,
            namespace_labels: None,
        }
    }

    #[test]
    fn a_move_is_one_merge_patch_live_and_one_edit_in_a_manifest() {
        let fix = Fix::edits(moved(
            keys::GLOBAL,
            Field::Annotation(keys::GLOBAL.into()),
            "true",
        ));
        assert_eq!(
            render(&fix, &ctx(true, None)).text,
            "`kubectl patch service api -n shop --type=merge -p \
             '{\"metadata\":{\"labels\":{\"traffic.tetrate.io/global\":\"true\"},\
             \"annotations\":{\"traffic.tetrate.io/global\":null}}}'`"
        );
        assert_eq!(
            render(&fix, &ctx(false, None)).text,
            "move traffic.tetrate.io/global from metadata.annotations to metadata.labels: \
             traffic.tetrate.io/global: \"true\""
        );
    }

    #[test]
    fn overwrite_only_on_a_command_of_its_own_for_a_key_that_is_there() {
        let obj: ObjectView = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "api", "labels": {"a": "1", "b": "2"}}
        }))
        .unwrap();
        let fix = Fix::edits(vec![
            set(Field::Label("a".into()), "9"),
            set(Field::Label("b".into()), "2"),
            set(Field::Label("c".into()), "3"),
            remove(Field::Label("d".into())),
        ]);
        assert_eq!(
            render(&fix, &ctx(true, Some(&obj))).text,
            "`kubectl label service api -n shop c=3 d-`, then \
             `kubectl label service api -n shop a=9 --overwrite`, then \
             `kubectl label service api -n shop b=2 --overwrite`"
        );
    }

    #[test]
    fn trigger_labels_are_added_never_overwritten() {
        let c = Config::default();
        let labels: StrMap = [("istio.io/rev", "canary")].into_iter().collect();
        let fix = trigger_fix(Some(&labels), &c, Target::Object);
        assert_eq!(
            fix.edits,
            [set(Field::Label("tetrate.io/rev".into()), "default")]
        );
        let labels: StrMap = [("tetrate.io/rev", "canary")].into_iter().collect();
        let fix = trigger_fix(Some(&labels), &c, Target::Object);
        assert_eq!(
            fix.edits,
            [set(Field::Label("istio-injection".into()), "enabled")]
        );
        assert!(fix.note.unwrap().contains("turns sidecar injection on"));
        let labels: StrMap = [
            ("tetrate.io/rev", "canary"),
            ("istio-injection", "disabled"),
            ("istio.io/rev", "1-22"),
        ]
        .into_iter()
        .collect();
        let fix = trigger_fix(Some(&labels), &c, Target::Object);
        assert!(fix.edits.is_empty());
        assert!(fix.note.unwrap().contains("istio.io/rev=1-22"));
    }

    #[test]
    fn gateway_names_offered_are_dns_1035_labels() {
        let c = Config::default();
        assert_eq!(gateway_name_for(Some("Prod_GW"), "shop", &c), "prod-gw");
        assert_eq!(gateway_name_for(Some("9gw"), "shop", &c), "gw-9gw");
        assert_eq!(gateway_name_for(Some(""), "shop", &c), "shop-east-west");
        assert_eq!(gateway_name_for(None, "1shop", &c), "east-west-gateway");
    }
}
