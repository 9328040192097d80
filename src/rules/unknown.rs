//! EW011: a `traffic.tetrate.io/` key the agent does not know, on a Namespace or a Service. The
//! agent ignores it silently, so a typo of a gateway setting leaves the gateway as it was.

use super::decision::Field;
use super::ids::{Level, RuleId};
use super::keys;
use super::report::{Finding, Report, shorten};

/// Which object an unknown key is on: the keys the agent reads differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnKind {
    Namespace,
    Service,
}

/// EW011: deny for an unknown `eastwest-*` key (a typo of a gateway setting, silently ignored),
/// warn for other unknown `traffic.tetrate.io/` keys.
pub(crate) fn ew011_unknown_key(
    key: &str,
    value: &str,
    field: Field,
    on: OnKind,
    out: &mut Report<'_>,
) {
    let level = if keys::is_eastwest(key) {
        Level::Deny
    } else {
        Level::Warn
    };
    if out.is_full(RuleId::EW011, level) {
        out.push(Finding::counted(RuleId::EW011, field).level(level));
        return;
    }
    // On a Service the agent reads only the `global` label: a gateway key it is near belongs
    // on the Namespace (EW012 would refuse it here).
    let near = keys::nearest_known(key);
    let hint = match (near, on) {
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
    // The summary (kubectl's warning, kept under 120 characters where it can be) names the
    // nearest key, not the whole list.
    let short_hint = match near {
        Some(near) => format!("did you mean \"{near}\"?"),
        None => "not a key the agent reads".to_owned(),
    };
    let place = match &field {
        Field::Label(_) => "label",
        _ => "annotation",
    };
    // Only a direct caller can send a key longer than Kubernetes allows (kube-apiserver checks
    // keys before validating webhooks): do not echo megabytes of it.
    let shown;
    let key = if key.len() > keys::LONGEST_KEY {
        shown = format!("{} ({} bytes)", shorten(key, 80), key.len());
        shown.as_str()
    } else {
        key
    };
    out.push(
        Finding::new(RuleId::EW011, field, Some(value))
            .level(level)
            .message(format!(
                "{place} {key} is not a key the agent knows, so it is silently ignored: {hint}"
            ))
            .summary(format!("unknown key {key}: {short_hint}")),
    );
}
