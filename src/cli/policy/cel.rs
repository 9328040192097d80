//! The CEL of the backstop: the variables every validation reads, and one validation per rule
//! (two for EW004: a given name, a derived one), each written to deny exactly where the engine
//! denies with that rule (`src/rules`), within what CEL can follow. tests/cel/
//! test_policy_backstop.py evaluates them over every case of the rules corpus against the
//! engine's decision.
//!
//! Expressions stay in the subset both kube-apiserver's CEL (cel-go with the Kubernetes
//! libraries, 1.30+) and cel-python (the CI's evaluator) read the same way: `matches` is RE2
//! in both, always anchored here; `split` and `join` (Kubernetes' strings library) are
//! supplied to cel-python by the test. Every map read is guarded by `in` or `has()`, so no
//! expression errors on any object (an error is a failure: with `failurePolicy: Fail` it
//! would deny).

use crate::rules::RuleId;
use crate::rules::keys::{
    GATEWAY_DEPLOY, GATEWAY_KEYS, GATEWAY_NAME, GATEWAY_NAMESPACE, GATEWAY_SELECTOR, GLOBAL, KNOWN,
    PREFIX,
};
use crate::rules::model::SAFE_PATH_FROM_NAMESPACE_LEVEL;

/// Longest workload selector whose pairs the backstop checks (EW005's syntax): the check is
/// linear, a few dozen cost units a pair, so at most some 0.3M units for the 5,461 pairs of
/// 16 KiB. Real selectors are a few dozen characters; a longer one is left to the webhook.
pub const SELECTOR_MAX: usize = 16 * 1024;

/// Longest workload selector the backstop checks for a key given twice, and so judges valid
/// (EW004 from a derived name, EW006, EW012's valid copy): that takes a comparison of every
/// key with every other, so the cost grows with the square of the pair count; at 512
/// characters (at most 171 pairs) it stays near 0.2M units.
pub const SELECTOR_KEYS_MAX: usize = 512;

/// A `key=value` pair of a workload selector: the key a qualified name (an optional DNS-1123
/// subdomain prefix and `/`, then a name of at most 63), the value a label value (empty, or at
/// most 63), as `src/rules/names.rs` checks them. The prefix's 253 limit is checked apart.
const PAIR: &str = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?\
[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$";

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`: a DNS-1123 label's shape (the length is checked apart).
const DNS1123_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// `[a-z]([-a-z0-9]*[a-z0-9])?`: a DNS-1035 label's shape.
const DNS1035_LABEL: &str = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

/// A CEL string literal of `s`.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A CEL list literal of strings.
fn list(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("[{}]", items.join(", "))
}

/// `x` is a DNS-1123 label: at most 63 characters (checked first: `matches` costs the
/// string's length times the pattern's) of the label's shape.
fn dns1123_label(x: &str) -> String {
    format!("(size({x}) <= 63 && {x}.matches({}))", lit(DNS1123_LABEL))
}

fn dns1035_label(x: &str) -> String {
    format!("(size({x}) <= 63 && {x}.matches({}))", lit(DNS1035_LABEL))
}

fn annotation(key: &str) -> String {
    format!("variables.annotations[{}]", lit(key))
}

fn has_annotation(key: &str) -> String {
    format!("{} in variables.annotations", lit(key))
}

fn has_label(key: &str) -> String {
    format!("{} in variables.labels", lit(key))
}

/// A value quoted for a message, where it is short and on one line (a message cannot hold a
/// line break); otherwise words that say what it is.
fn quoted(x: &str) -> String {
    format!(
        "(size({x}) <= 63 && !{x}.matches('[[:cntrl:]]') ? '\"' + {x} + '\"' : 'a long or \
         multi-line value')"
    )
}

/// Where a key is: the pre-existing-problem tolerance asks whether the write changed it.
#[derive(Clone, Copy)]
enum Place {
    Label,
    Annotation,
}

/// How the backstop treats a problem a write did not make (SPEC "Pre-existing problems").
#[derive(Clone, Copy)]
pub struct Tolerance {
    /// `--deny-existing`: denied all the same, except on an object being deleted whose
    /// `traffic.tetrate.io/` keys the write leaves as they were.
    pub deny_existing: bool,
}

impl Tolerance {
    /// A CEL condition true when a finding on `key_expr` (a CEL string) in `place` is not
    /// denied: the write left it as it was.
    fn kept(self, place: Place, key_expr: &str) -> String {
        format!("!{}", self.counts(place, key_expr))
    }

    /// The negation of [`Tolerance::kept`]: a finding on the key is denied.
    fn counts(self, place: Place, key_expr: &str) -> String {
        if self.deny_existing {
            return "!variables.deletingUnchanged".into();
        }
        let changed = match place {
            Place::Label => "variables.changedLabels",
            Place::Annotation => "variables.changedAnnotations",
        };
        format!("({key_expr} in {changed})")
    }

    fn kept_annotation(self, key: &str) -> String {
        self.kept(Place::Annotation, &lit(key))
    }

    fn kept_label(self, key: &str) -> String {
        self.kept(Place::Label, &lit(key))
    }
}

/// One named CEL variable of the policy.
pub struct Variable {
    pub name: &'static str,
    pub expression: String,
}

/// The variables, in order (each may read the ones before it).
pub fn variables(t: Tolerance) -> Vec<Variable> {
    let sel = annotation(GATEWAY_SELECTOR);
    let metadata_map = |object: &str, field: &str, guard: &str| {
        format!(
            "{guard}has({object}.metadata) && has({object}.metadata.{field}) ? \
             {object}.metadata.{field} : {{}}"
        )
    };
    let update = "request.operation == 'UPDATE' && ";
    // The known keys the write sets, changes or removes in one map (on CREATE every key it
    // sets): a list of six to look through, whatever the size of the maps. (Conditionals
    // rather than && and ||: no operand is evaluated where it would fail.)
    let changed = |new: &str, old: &str| {
        format!(
            "{}.filter(k, k in {new} ? (k in {old} ? {new}[k] != {old}[k] : true) : k in {old})",
            list(KNOWN)
        )
    };
    // Whether the write leaves every traffic.tetrate.io/ key of one map as it was.
    let kept_all = |new: &str, old: &str| {
        format!(
            "!{new}.exists(k, k.startsWith({p}) && (k in {old} ? {old}[k] != {new}[k] : true)) \
             && !{old}.exists(k, k.startsWith({p}) && !(k in {new}))",
            p = lit(PREFIX)
        )
    };
    let mut vars = vec![
        Variable {
            name: "isNamespace",
            expression: "request.kind.kind == 'Namespace'".into(),
        },
        Variable {
            name: "labels",
            expression: metadata_map("object", "labels", ""),
        },
        Variable {
            name: "annotations",
            expression: metadata_map("object", "annotations", ""),
        },
        Variable {
            name: "oldLabels",
            expression: metadata_map("oldObject", "labels", update),
        },
        Variable {
            name: "oldAnnotations",
            expression: metadata_map("oldObject", "annotations", update),
        },
        Variable {
            name: "changedLabels",
            expression: changed("variables.labels", "variables.oldLabels"),
        },
        Variable {
            name: "changedAnnotations",
            expression: changed("variables.annotations", "variables.oldAnnotations"),
        },
        Variable {
            name: "deleting",
            expression: "(has(object.metadata) && has(object.metadata.deletionTimestamp)) || \
                 (request.operation == 'UPDATE' && has(oldObject.metadata) && \
                 has(oldObject.metadata.deletionTimestamp))"
                .into(),
        },
    ];
    if t.deny_existing {
        vars.push(Variable {
            name: "deletingUnchanged",
            expression: format!(
                "request.operation == 'UPDATE' && variables.deleting && {} && {}",
                kept_all("variables.labels", "variables.oldLabels"),
                kept_all("variables.annotations", "variables.oldAnnotations")
            ),
        });
    }
    let bool_bad = |key: &str| {
        format!(
            "{} && !({} in ['true', 'false'])",
            has_annotation(key),
            annotation(key)
        )
    };
    vars.extend([
        Variable {
            name: "globalBad",
            expression: bool_bad(GLOBAL),
        },
        Variable {
            name: "deployBad",
            expression: bool_bad(GATEWAY_DEPLOY),
        },
        Variable {
            name: "gatewayNamespaceBad",
            expression: format!(
                "{} && !{}",
                has_annotation(GATEWAY_NAMESPACE),
                dns1123_label(&annotation(GATEWAY_NAMESPACE))
            ),
        },
        Variable {
            name: "nameGiven",
            expression: has_annotation(GATEWAY_NAME),
        },
        Variable {
            name: "gatewayNameBad",
            expression: format!(
                "variables.nameGiven && !{}",
                dns1035_label(&annotation(GATEWAY_NAME))
            ),
        },
        Variable {
            name: "hasSelector",
            expression: has_annotation(GATEWAY_SELECTOR),
        },
        Variable {
            name: "selectorChecked",
            expression: format!("variables.hasSelector && size({sel}) <= {SELECTOR_MAX}"),
        },
        Variable {
            name: "selectorPairs",
            expression: format!("variables.selectorChecked ? {sel}.split(',') : []"),
        },
        // src/rules/selector.rs: every pair key=value with a label key and a label value.
        Variable {
            name: "selectorSyntaxOk",
            expression: format!(
                "variables.selectorChecked && variables.selectorPairs.all(p, size(p) <= 381 && \
                 p.matches({}) && (!p.contains('/') || p.matches('^[^/]{{1,253}}/')))",
                lit(PAIR)
            ),
        },
        Variable {
            name: "selectorKeys",
            expression: "variables.selectorPairs.map(p, p.split('=')[0])".into(),
        },
        Variable {
            name: "selectorKeysRepeat",
            expression: format!(
                "variables.selectorChecked && size({sel}) <= {SELECTOR_KEYS_MAX} ? \
                 !variables.selectorKeys.all(k, variables.selectorKeys.exists_one(j, j == k)) : \
                 false"
            ),
        },
        // EW005: malformed, as far as the backstop checks.
        Variable {
            name: "selectorMalformed",
            expression: "variables.selectorChecked && (!variables.selectorSyntaxOk || \
                 variables.selectorKeysRepeat)"
                .into(),
        },
        // Valid: well formed, checked for repeated keys, none repeated.
        Variable {
            name: "selectorValid",
            expression: format!(
                "variables.selectorSyntaxOk && size({sel}) <= {SELECTOR_KEYS_MAX} && \
                 !variables.selectorKeysRepeat"
            ),
        },
        Variable {
            name: "selectorHasApp",
            expression: "variables.selectorValid && variables.selectorKeys.exists(k, k == 'app')"
                .into(),
        },
        Variable {
            name: "selectorApp",
            expression: "variables.selectorHasApp ? \
                 variables.selectorPairs.filter(p, p.startsWith('app='))[0].split('=')[1] : ''"
                .into(),
        },
        // The selector as a value the agent can use (src/rules/fixes.rs namespace_value):
        // valid, and with a gateway name given or derivable from its app value.
        Variable {
            name: "selectorBad",
            expression: format!(
                "variables.selectorMalformed || (variables.selectorValid && !(variables.nameGiven \
                 || (variables.selectorHasApp && {})))",
                dns1035_label("variables.selectorApp")
            ),
        },
    ]);
    // EW012 on a Namespace: known keys written as labels, unless the annotation is there too
    // with a valid value (the label is then a stray copy: a warning). The cloud annotations'
    // YAML is the webhook's to judge: with that annotation there too, the backstop is silent.
    let valid_annotation = format!(
        "!(k == {g} ? variables.globalBad : k == {d} ? variables.deployBad : k == {ns} ? \
         variables.gatewayNamespaceBad : k == {n} ? variables.gatewayNameBad : k == {s} ? \
         variables.selectorBad : false)",
        g = lit(GLOBAL),
        d = lit(GATEWAY_DEPLOY),
        ns = lit(GATEWAY_NAMESPACE),
        n = lit(GATEWAY_NAME),
        s = lit(GATEWAY_SELECTOR),
    );
    vars.push(Variable {
        name: "namespaceKeysAsLabels",
        expression: format!(
            "{}.filter(k, k in variables.labels && !(k in variables.annotations && \
             {valid_annotation}) && {})",
            list(KNOWN),
            t.counts(Place::Label, "k")
        ),
    });
    // EW012 on a Service: gateway keys (labels or annotations), and global as an annotation
    // unless the label is there too with a valid value.
    vars.push(Variable {
        name: "serviceKeysMisplaced",
        expression: format!(
            "{gw}.filter(k, k in variables.labels && {label_counts}).map(k, 'label ' + k) + \
             {gw}.filter(k, k in variables.annotations && {ann_counts}).map(k, 'annotation ' + \
             k) + ({has_g} && !({has_g_label} && variables.labels[{g}] in ['true', 'false']) \
             && {g_counts} ? ['annotation ' + {g}] : [])",
            gw = list(GATEWAY_KEYS),
            label_counts = t.counts(Place::Label, "k"),
            ann_counts = t.counts(Place::Annotation, "k"),
            has_g = has_annotation(GLOBAL),
            has_g_label = has_label(GLOBAL),
            g = lit(GLOBAL),
            g_counts = t.counts(Place::Annotation, &lit(GLOBAL)),
        ),
    });
    vars
}

/// One validation: the rule it stands for, the CEL that must hold, and its messages.
pub struct Validation {
    pub rule: RuleId,
    pub expression: String,
    pub message: String,
    pub message_expression: String,
}

/// `message` as a CEL string expression, with the CEL string `middle` where it says `{}`.
fn message_around(message: &str, middle: &str) -> String {
    let (before, after) = message.split_once("{}").unwrap_or((message, ""));
    format!("{} + {middle} + {}", lit(before), lit(after))
}

/// `message` as a CEL string expression, with `value` (CEL) quoted where it says `{}`.
fn message_with(message: &str, value: &str) -> String {
    message_around(message, &quoted(value))
}

/// Every validation of the backstop, in rule order.
pub fn validations(t: Tolerance) -> Vec<Validation> {
    let mut out = Vec::new();
    let g = GLOBAL;
    let mut push = |rule: RuleId, expression: String, message: String, expr_message: String| {
        out.push(Validation {
            rule,
            expression,
            message,
            message_expression: expr_message,
        });
    };

    let boolean = |rule: RuleId, key: &str, var: &str, what: &str| {
        let text = |value: &str| {
            format!(
                "{rule}: the Namespace annotation {key} is {value}; expected exactly \"true\" \
                 or \"false\" (lower case): {what}. Fix: set it to \"true\" or \"false\"",
                rule = rule.as_str()
            )
        };
        (
            format!(
                "!variables.isNamespace || !variables.{var} || {}",
                t.kept_annotation(key)
            ),
            text("not \"true\" or \"false\""),
            message_with(&text("{}"), &annotation(key)),
        )
    };
    let (e, m, x) = boolean(
        RuleId::EW001,
        g,
        "globalBad",
        "read strictly, anything else is \"false\", so east-west stays off",
    );
    push(RuleId::EW001, e, m, x);
    let (e, m, x) = boolean(
        RuleId::EW002,
        GATEWAY_DEPLOY,
        "deployBad",
        "the default is \"true\"",
    );
    push(RuleId::EW002, e, m, x);

    let text = |value: &str| {
        format!(
            "EW003: the Namespace annotation {GATEWAY_NAMESPACE} is {value}: a gateway namespace \
             must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting \
             and ending with a letter or digit). Fix: set it to an existing namespace, or \
             remove it to use the default"
        )
    };
    push(
        RuleId::EW003,
        format!(
            "!variables.isNamespace || !variables.gatewayNamespaceBad || {}",
            t.kept_annotation(GATEWAY_NAMESPACE)
        ),
        text("not a DNS-1123 label"),
        message_with(&text("{}"), &annotation(GATEWAY_NAMESPACE)),
    );

    let dns1035 = "a DNS-1035 label (at most 63 lower-case letters, digits and '-', starting \
                   with a letter and ending with a letter or digit): it names the gateway's \
                   Service";
    let text = |value: &str| {
        format!(
            "EW004: the Namespace annotation {GATEWAY_NAME} is {value}: a gateway name must be \
             {dns1035}. Fix: set it to a DNS-1035 label"
        )
    };
    push(
        RuleId::EW004,
        format!(
            "!variables.isNamespace || !variables.gatewayNameBad || {}",
            t.kept_annotation(GATEWAY_NAME)
        ),
        text("not a DNS-1035 label"),
        message_with(&text("{}"), &annotation(GATEWAY_NAME)),
    );
    let text = |value: &str| {
        format!(
            "EW004: the gateway name derived from {GATEWAY_SELECTOR} (its app value {value}) \
             must be {dns1035}. Fix: set {GATEWAY_NAME} to a DNS-1035 label (the selector \
             stays as it is)"
        )
    };
    push(
        RuleId::EW004,
        format!(
            "!variables.isNamespace || variables.nameGiven || !variables.selectorHasApp || {} \
             || ({} && {})",
            dns1035_label("variables.selectorApp"),
            t.kept_annotation(GATEWAY_SELECTOR),
            t.kept_annotation(GATEWAY_NAME)
        ),
        text("is not one"),
        message_with(&text("{}"), "variables.selectorApp"),
    );

    let text = |value: &str| {
        format!(
            "EW005: the Namespace annotation {GATEWAY_SELECTOR} is {value}: a workload selector \
             is k=v[,k=v]... with label keys and values, no spaces, no empty pair, no key \
             twice. Fix: write it so, e.g. \"app=east-west-gateway\", or remove it to derive \
             app=<gateway name>"
        )
    };
    push(
        RuleId::EW005,
        format!(
            "!variables.isNamespace || !variables.selectorMalformed || {}",
            t.kept_annotation(GATEWAY_SELECTOR)
        ),
        text("malformed"),
        message_with(&text("{}"), &sel_annotation()),
    );

    let text = |value: &str| {
        format!(
            "EW006: the Namespace annotation {GATEWAY_SELECTOR} is {value} and has no app key, \
             and {GATEWAY_NAME} is not set, so the gateway name cannot be derived. Fix: set \
             {GATEWAY_NAME} to a DNS-1035 label, or add app=<gateway name> to the selector"
        )
    };
    push(
        RuleId::EW006,
        format!(
            "!variables.isNamespace || !variables.selectorValid || variables.selectorHasApp || \
             variables.nameGiven || ({} && {})",
            t.kept_annotation(GATEWAY_SELECTOR),
            t.kept_annotation(GATEWAY_NAME)
        ),
        text("set"),
        message_with(&text("{}"), &sel_annotation()),
    );

    let ns_text = "the agent reads the traffic.tetrate.io/ keys of a Namespace only as \
                   annotations. Fix: move each to metadata.annotations in the same write \
                   (kubectl patch namespace NAME --type=merge, setting the annotation and \
                   nulling the label)";
    push(
        RuleId::EW012,
        "!variables.isNamespace || size(variables.namespaceKeysAsLabels) == 0".into(),
        format!("EW012: a Namespace label belongs under metadata.annotations: {ns_text}"),
        format!(
            "{} + variables.namespaceKeysAsLabels.join(', ') + {}",
            lit("EW012: Namespace label "),
            lit(&format!(" belongs under metadata.annotations: {ns_text}"))
        ),
    );
    let svc_text = format!(
        "a Service's {g} is read only as a label, and gateway settings only from its \
         Namespace's annotations (there are no per-Service gateways; setting one on the \
         Namespace changes the gateway of every exposed Service in it). Fix: move {g} to \
         metadata.labels in the same write, remove the gateway keys"
    );
    push(
        RuleId::EW012,
        "variables.isNamespace || size(variables.serviceKeysMisplaced) == 0".into(),
        format!("EW012: a Service key is in the wrong place: {svc_text}"),
        format!(
            "{} + variables.serviceKeysMisplaced.join(', ') + {}",
            lit("EW012: Service "),
            lit(&format!(" in the wrong place: {svc_text}"))
        ),
    );

    let text = |value: &str| {
        format!(
            "EW013: the Service label {g} is {value}; expected exactly \"true\" or \"false\" \
             (lower case): the agent reads anything else as not \"true\", so the Service is \
             not exposed unless its Namespace is namespace-level. Fix: set it to \"true\" or \
             \"false\""
        )
    };
    push(
        RuleId::EW013,
        format!(
            "variables.isNamespace || !({}) || variables.labels[{}] in ['true', 'false'] || {}",
            has_label(g),
            lit(g),
            t.kept_label(g)
        ),
        text("not \"true\" or \"false\""),
        message_with(&text("{}"), &format!("variables.labels[{}]", lit(g))),
    );

    let text = |to: &str| {
        format!(
            "EW020: changing {g} from \"true\" (namespace-level: every Service exposed) to \
             {to} is blocked: every Service without the label {g}: \"true\" would silently stop \
             being exposed cross-cluster, and the agent refuses the transition and keeps the \
             old configuration. Safe path: {SAFE_PATH_FROM_NAMESPACE_LEVEL}. (service-level to \
             namespace-level is allowed.)"
        )
    };
    let old = format!("variables.oldAnnotations[{}]", lit(g));
    push(
        RuleId::EW020,
        format!(
            "!(variables.isNamespace && request.operation == 'UPDATE' && {lg} in \
             variables.oldAnnotations && {old} == 'true' && !({has} && {new} == 'true') && \
             !variables.deleting)",
            lg = lit(g),
            has = has_annotation(g),
            new = annotation(g),
        ),
        text("service-level or off"),
        message_around(
            &text("{}"),
            &format!(
                "({} ? {} : {})",
                has_annotation(g),
                quoted(&annotation(g)),
                lit("service-level (annotation removed)")
            ),
        ),
    );
    out
}

fn sel_annotation() -> String {
    annotation(GATEWAY_SELECTOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(lit("a'b\\c"), "'a\\'b\\\\c'");
    }

    #[test]
    fn every_validation_names_its_rule() {
        for t in [
            Tolerance {
                deny_existing: false,
            },
            Tolerance {
                deny_existing: true,
            },
        ] {
            for v in validations(t) {
                assert!(v.message.starts_with(v.rule.as_str()), "{}", v.message);
                assert!(!v.message.contains('\n'));
            }
        }
    }
}
