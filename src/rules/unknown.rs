//! EW011: a key the agent does not read as written, on a Namespace or a Service: a
//! `traffic.tetrate.io/` key it does not know, or a known key's name under a near miss of the
//! prefix (`tetrate.io/global`). The agent ignores it silently, so a typo of `global` leaves
//! east-west off and a typo of a gateway setting leaves the gateway as it was.

use super::config::Config;
use super::decision::{Field, Fix};
use super::fixes::{namespace_value, remove, service_label_value, set};
use super::ids::{Level, RuleId};
use super::keys;
use super::object::ObjectView;
use super::report::{Finding, Report, quote, shorten};

/// Which object an unknown key is on: the keys the agent reads differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnKind {
    Namespace,
    Service,
}

/// The object a key is on, as the fixes need it.
pub(crate) struct On<'a> {
    pub kind: OnKind,
    pub object: &'a ObjectView,
    /// A Service's namespace (for words about its Namespace).
    pub namespace: Option<&'a str>,
    pub config: &'a Config,
}

/// EW011 on an unknown `traffic.tetrate.io/` key: deny where it is a typo of a known key (any
/// unknown `eastwest-*` key, a known key in another case, or one within distance 2 of a known
/// key), warn for other unknown keys.
pub(crate) fn ew011_unknown_key(
    key: &str,
    value: &str,
    field: Field,
    on: &On<'_>,
    out: &mut Report<'_>,
) {
    let typo = keys::typo_of(key);
    let level = if keys::is_eastwest(key) || typo.is_some() {
        Level::Deny
    } else {
        Level::Warn
    };
    if out.is_full(RuleId::EW011, level) {
        out.push(Finding::counted(RuleId::EW011, field).level(level));
        return;
    }
    // The key meant: the typo's, else the nearest by words (for an `eastwest-*` key, what it
    // is renamed to; for another unknown key, which may be another tool's, a hint only).
    let meant = typo.or_else(|| keys::nearest_known(key));
    let hint = match (meant, on.kind) {
        (Some(near), OnKind::Service) if keys::is_gateway_key(near) => format!(
            "did you mean \"{near}\"? That is a gateway setting, read only from the Namespace's \
             annotations: set it on the Service's Namespace"
        ),
        (Some(near), _) => format!("did you mean \"{near}\"?"),
        (None, OnKind::Service) => format!(
            "the one key the agent reads on a Service is the label {}; gateway settings go on \
             the Namespace",
            keys::GLOBAL
        ),
        (None, OnKind::Namespace) => format!("known keys are {}", keys::KNOWN.join(", ")),
    };
    // What staying unread costs, where the key is a typo of `global`.
    let cost = match (typo, on.kind) {
        (Some(keys::GLOBAL), OnKind::Namespace) => " (east-west stays off for this Namespace)",
        (Some(keys::GLOBAL), OnKind::Service) => " (this Service is not selected for exposure)",
        _ => "",
    };
    // The summary (kubectl's warning, kept under 120 characters where it can be) names the
    // nearest key, not the whole list.
    let short_hint = match meant {
        Some(near) => format!("did you mean \"{near}\"?"),
        None => "not a key the agent reads".to_owned(),
    };
    let place = place(&field);
    // Only a direct caller can send a key longer than Kubernetes allows (kube-apiserver checks
    // keys before validating webhooks): do not echo megabytes of it.
    let shown;
    let shown_key = if key.len() > keys::LONGEST_KEY {
        shown = format!("{} ({} bytes)", shorten(key, 80), key.len());
        shown.as_str()
    } else {
        key
    };
    let fix = match meant {
        // A key longer than Kubernetes allows has no fix a message can carry.
        _ if key.len() > keys::LONGEST_KEY => None,
        Some(meant) if level == Level::Deny => Some(rename(value, &field, meant, on)),
        // An unknown `eastwest-*` key near no known one does nothing: removing it is safe.
        None if level == Level::Deny => Some(
            Fix::edits(vec![remove(field.clone())])
                .with_note("it sets nothing the agent reads; the known keys are listed above"),
        ),
        // Another unknown key may be another tool's: nothing to do for the agent.
        _ => None,
    };
    let finding = Finding::new(RuleId::EW011, field, Some(value))
        .level(level)
        .message(format!(
            "{place} {shown_key} is not a key the agent knows, so it is silently ignored{cost}: \
             {hint}"
        ))
        .summary(format!("unknown key {shown_key}: {short_hint}"));
    out.push(match fix {
        Some(fix) => finding.fix(fix),
        None => finding,
    });
}

/// EW011 (a warning) on a known key's name under a near miss of the prefix
/// (`tetrate.io/global`): the agent reads only `traffic.tetrate.io/`.
pub(crate) fn ew011_near_miss_prefix(
    key: &str,
    value: &str,
    field: Field,
    meant: &'static str,
    on: &On<'_>,
    out: &mut Report<'_>,
) {
    if out.is_full(RuleId::EW011, Level::Warn) {
        out.push(Finding::counted(RuleId::EW011, field).level(Level::Warn));
        return;
    }
    let place = place(&field);
    let fix = rename(value, &field, meant, on);
    out.push(
        Finding::new(RuleId::EW011, field, Some(value))
            .level(Level::Warn)
            .message(format!(
                "{place} {key} is not read by the agent, which reads only keys under \
                 traffic.tetrate.io/: did you mean \"{meant}\"?"
            ))
            .summary(format!("{key} is not read: did you mean \"{meant}\"?"))
            .fix(fix),
    );
}

fn place(field: &Field) -> &'static str {
    match field {
        Field::Label(_) => "label",
        _ => "annotation",
    }
}

/// The fix of a key the agent does not read, which means `meant`: write `meant` where the
/// agent reads it, with the value meant where the rules accept it there, and remove the key, in
/// one write. Never over a value `meant` has already (the agent reads that one), and never with
/// a value the rules would refuse (then only the removal, and the note says what to set).
fn rename(value: &str, field: &Field, meant: &str, on: &On<'_>) -> Fix {
    let drop = remove(field.clone());
    let right = match on.kind {
        OnKind::Namespace => Field::Annotation(meant.to_owned()),
        OnKind::Service if meant == keys::GLOBAL => Field::Label(meant.to_owned()),
        OnKind::Service => {
            let ns = on.namespace.unwrap_or("of this Service");
            return Fix::edits(vec![drop]).with_note(format!(
                "gateway settings are read only from the Namespace's annotations: to change \
                 the gateway of Namespace {ns} (of every exposed Service in it), set {meant} \
                 there"
            ));
        }
    };
    let existing = match &right {
        Field::Label(k) => on.object.label(k),
        _ => on.object.annotation(meant),
    };
    if let Some(existing) = existing {
        return Fix::edits(vec![drop]).with_note(format!(
            "{meant} is set already ({}), and that is what the agent reads",
            quote(existing)
        ));
    }
    let chosen = match on.kind {
        OnKind::Namespace => namespace_value(meant, value, on.object, on.config),
        OnKind::Service => Some(service_label_value(value)),
    };
    match chosen {
        Some((v, note)) => Fix::edits(vec![set(right, v), drop]).with_note(note),
        None => Fix::edits(vec![drop]).with_note(format!(
            "{} is not a valid value for {meant}: set {meant} yourself, to a value the rules \
             accept",
            quote(value)
        )),
    }
}
