//! EW050 to EW053, one function each, over one Namespace (or one Service's row) across the
//! fleet. Each pushes at most one finding, whose places name the key to change in each cluster
//! where it has to change.

use super::super::config::Config;
use super::super::decision::{Field, ObjectRef};
use super::super::ids::RuleId;
use super::super::keys;
use super::super::model::{ExposureMode, GatewayProblem, GatewayState, Reason, Trigger};
use super::super::selector;
use super::{
    Detail, Exposure, Finding, GatewayGroup, ModeDifference, NamespaceAcross, Place, Row, Setting,
};

/// What every rule reads besides its objects.
pub(crate) struct Context<'c> {
    pub clusters: &'c [&'c str],
    pub config: &'c Config,
}

impl Context<'_> {
    /// `east, west`: cluster names in the fleet's order.
    fn names(&self, clusters: &[usize]) -> String {
        clusters
            .iter()
            .map(|&i| self.clusters[i])
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The configured trigger labels in words: `tetrate.io/rev=default, istio-injection=enabled`.
pub fn trigger_labels(config: &Config) -> String {
    config
        .trigger_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The trigger label a fix adds: the first configured one (`tetrate.io/rev=default` by
/// default), which decides nothing else.
fn trigger_field(config: &Config) -> Field {
    Field::Label(
        config
            .trigger_labels
            .first()
            .map(|(k, _)| k.clone())
            .unwrap_or_default(),
    )
}

/// How to add a trigger label, in words: the first configured one, never an overwrite of a
/// revision or injection label that is set to something else (it would move the sidecars).
fn trigger_advice(config: &Config) -> String {
    match config.trigger_labels.first() {
        Some((k, v)) => format!(
            "add the label {k}: {v:?} (or another trigger label: {}); never overwrite an \
             istio.io/rev or istio-injection value set to something else, which moves its \
             sidecars",
            trigger_labels(config)
        ),
        None => "add a trigger label".to_owned(),
    }
}

fn service_ref(namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind: "Service".to_owned(),
        namespace: Some(namespace.to_owned()),
        name: name.to_owned(),
    }
}

fn namespace_ref(name: &str) -> ObjectRef {
    ObjectRef {
        kind: "Namespace".to_owned(),
        namespace: None,
        name: name.to_owned(),
    }
}

/// EW050: a Service runs in two or more clusters and is exposed in at least one, but in another
/// cluster where it runs its Namespace has no trigger label: no workspace there, so that
/// cluster's clients never fail over. A Namespace that is not in a cluster's input is unknown
/// there (it may have the label in the cluster), and judged nowhere.
pub(crate) fn ew050<'a, S: Clone>(
    ctx: &Context<'_>,
    row: &Row<'a, S>,
    out: &mut Vec<Finding<'a, S>>,
) {
    let exposed_in: Vec<usize> = row.exposed_in().collect();
    if exposed_in.is_empty() {
        return;
    }
    let without: Vec<&super::Presence<'a, S>> = row
        .runs
        .iter()
        .filter(|p| p.namespace.trigger == Trigger::Missing)
        .collect();
    if without.is_empty() {
        return;
    }
    let clusters: Vec<usize> = without.iter().map(|p| p.cluster).collect();
    let field = trigger_field(ctx.config);
    let places = without
        .iter()
        .map(|p| Place {
            cluster: p.cluster,
            object: namespace_ref(row.namespace),
            field: field.clone(),
            source: p.namespace.source.as_ref(),
        })
        .collect();
    let runs_in: Vec<usize> = row.runs.iter().map(|p| p.cluster).collect();
    let (there, they) = if clusters.len() == 1 {
        ("there", "its clients")
    } else {
        ("in each", "their clients")
    };
    let message = format!(
        "Service \"{ns}/{name}\" runs in {runs} and is exposed in {exposed}, but its Namespace \
         \"{ns}\" has no trigger label in {none} ({triggers}): the agent creates no workspace \
         {there}, so {they} never fail over to another cluster. Fix: on Namespace \"{ns}\" in \
         {none}, {advice}.",
        ns = row.namespace,
        name = row.name,
        runs = ctx.names(&runs_in),
        exposed = ctx.names(&exposed_in),
        none = ctx.names(&clusters),
        triggers = trigger_labels(ctx.config),
        advice = trigger_advice(ctx.config),
    );
    let summary = format!(
        "EW050 no workspace for Namespace {} in {}: clients there never fail over",
        row.namespace,
        ctx.names(&clusters)
    );
    out.push(Finding {
        rule: RuleId::EW050,
        level: ctx.config.level_of(RuleId::EW050),
        object: service_ref(row.namespace, row.name),
        clusters,
        detail: super::Detail::Service {
            runs_in,
            exposed_in,
        },
        places,
        message,
        summary,
        pre_existing: false,
    });
}

/// Why a Service is not exposed in one cluster, and the key to change there: (what to do,
/// which object, which key).
fn unexposed_fix(
    exposure: &Exposure,
    namespace: &str,
    gateway: &GatewayState,
    config: &Config,
) -> (String, bool, Field) {
    let g = keys::GLOBAL;
    let label = Field::Label(g.to_owned());
    match exposure {
        Exposure::NotExposed(reason) => match reason {
            Reason::NotLabelled | Reason::LabelFalse | Reason::LabelNotTrue => (
                format!(
                    "label the Service {g}: \"true\" (or annotate Namespace \"{namespace}\" \
                     {g}: \"true\" to expose all of it)"
                ),
                false,
                label,
            ),
            Reason::LabelAsAnnotation => (
                format!(
                    "move {g}: \"true\" from the Service's annotations to its labels, where the \
                     agent reads it"
                ),
                false,
                label,
            ),
            Reason::NoTriggerLabel(_) => (
                format!(
                    "on Namespace \"{namespace}\", {} (EW050)",
                    trigger_advice(config)
                ),
                true,
                trigger_field(config),
            ),
            Reason::ExternalName(_) => (
                "it is type ExternalName there, with no endpoints to expose: run the workload \
                 itself there, or accept that it is no failover target"
                    .to_owned(),
                false,
                Field::SpecType,
            ),
            // Exposed reasons never come with NotExposed.
            Reason::NamespaceLevel | Reason::Labelled => (String::new(), false, label),
        },
        Exposure::GatewayUnusable(problem) => {
            let (key, why) = match (problem, gateway) {
                (GatewayProblem::Underivable(_), _) => (
                    keys::GATEWAY_SELECTOR,
                    "its gateway name and selector cannot be derived (EW005, EW006)".to_owned(),
                ),
                (GatewayProblem::Name, GatewayState::Settings(gw)) => (
                    keys::GATEWAY_NAME,
                    format!(
                        "its gateway name {:?} is not a DNS-1035 label (EW004)",
                        gw.name
                    ),
                ),
                (GatewayProblem::Namespace, GatewayState::Settings(gw)) => (
                    keys::GATEWAY_NAMESPACE,
                    format!(
                        "its gateway namespace {:?} is not a DNS-1123 label (EW003)",
                        gw.namespace
                    ),
                ),
                (GatewayProblem::WorkloadSelector, GatewayState::Settings(gw)) => (
                    keys::GATEWAY_SELECTOR,
                    format!(
                        "its workload selector {:?} is malformed (EW005)",
                        gw.workload_selector
                    ),
                ),
                (_, _) => (
                    keys::GATEWAY_NAME,
                    "its gateway cannot be set up".to_owned(),
                ),
            };
            (
                format!("fix the gateway of Namespace \"{namespace}\": {why}"),
                true,
                Field::Annotation(key.to_owned()),
            )
        }
        Exposure::Exposed(_) => (String::new(), false, label),
    }
}

/// EW051: a Service runs in two or more clusters and is exposed in some but not all of them:
/// the clusters where it is not exposed are nobody's failover target (one-way failover).
pub(crate) fn ew051<'a, S: Clone>(
    ctx: &Context<'_>,
    row: &Row<'a, S>,
    out: &mut Vec<Finding<'a, S>>,
) {
    let exposed_in: Vec<usize> = row.exposed_in().collect();
    if exposed_in.is_empty() || exposed_in.len() == row.runs.len() {
        return;
    }
    let not: Vec<&super::Presence<'a, S>> = row
        .runs
        .iter()
        .filter(|p| !p.exposure.is_exposed())
        .collect();
    let clusters: Vec<usize> = not.iter().map(|p| p.cluster).collect();
    let mut fixes = Vec::with_capacity(not.len());
    let mut places = Vec::with_capacity(not.len());
    for p in &not {
        let (what, on_namespace, field) =
            unexposed_fix(&p.exposure, row.namespace, &p.namespace.gateway, ctx.config);
        fixes.push(format!(
            "in {} ({}): {what}",
            ctx.clusters[p.cluster],
            p.exposure.code()
        ));
        let (object, source) = if on_namespace {
            (namespace_ref(row.namespace), p.namespace.source.as_ref())
        } else {
            (
                service_ref(row.namespace, row.name),
                Some(&p.service.source),
            )
        };
        places.push(Place {
            cluster: p.cluster,
            object,
            field,
            source,
        });
    }
    let runs_in: Vec<usize> = row.runs.iter().map(|p| p.cluster).collect();
    let lone = if exposed_in.len() == 1 {
        format!(
            " and clients in {} have no other cluster to fail over to",
            ctx.names(&exposed_in)
        )
    } else {
        String::new()
    };
    let message = format!(
        "Service \"{ns}/{name}\" runs in {runs} but is exposed only in {exposed}, not in \
         {not}: {not} {is} nobody's failover target (one-way failover: when the instance in \
         {exposed} fails, nothing fails over to {not}{lone}). If that is intended, leave it; \
         else expose it {everywhere}: {fixes}.",
        ns = row.namespace,
        name = row.name,
        runs = ctx.names(&runs_in),
        exposed = ctx.names(&exposed_in),
        not = ctx.names(&clusters),
        is = if clusters.len() == 1 { "is" } else { "are" },
        everywhere = "in every cluster where it runs",
        fixes = fixes.join("; "),
    );
    let summary = format!(
        "EW051 {}/{} exposed in {} but not in {}: one-way failover",
        row.namespace,
        row.name,
        ctx.names(&exposed_in),
        ctx.names(&clusters)
    );
    out.push(Finding {
        rule: RuleId::EW051,
        level: ctx.config.level_of(RuleId::EW051),
        object: service_ref(row.namespace, row.name),
        clusters,
        detail: Detail::Service {
            runs_in,
            exposed_in,
        },
        places,
        message,
        summary,
        pre_existing: false,
    });
}

/// EW052: a Namespace has east-west on (namespace-level, or a labelled Service) in two or more
/// clusters with different gateway settings (name, workload selector, gateway namespace,
/// deploy). A cluster where it lacks its trigger label counts too: the settings are written for
/// the day it gets one, and EW050 says it has none. A gateway that cannot be derived (EW005,
/// EW006) has no settings to compare: `check` denies it in its cluster, and EW051 sees its
/// Services unexposed.
pub(crate) fn ew052<'a, S: Clone>(
    ctx: &Context<'_>,
    ns: &NamespaceAcross<'a, S>,
    out: &mut Vec<Finding<'a, S>>,
) {
    let on: Vec<(
        usize,
        &super::NamespaceModel<S>,
        &super::GatewaySettings<'static>,
    )> = ns
        .present
        .iter()
        .filter(|(_, n, _)| n.in_input() && n.mode != ExposureMode::Off)
        .filter_map(|(i, n, _)| match &n.gateway {
            GatewayState::Settings(gw) => Some((*i, *n, gw)),
            _ => None,
        })
        .collect();
    if on.len() < 2 {
        return;
    }
    let same = |a: &super::GatewaySettings<'_>, b: &super::GatewaySettings<'_>| {
        a.name == b.name
            && a.namespace == b.namespace
            && a.deploy == b.deploy
            && selector::same_pairs(&a.workload_selector, &b.workload_selector)
    };
    // Groups of clusters with the same settings, in the order first seen.
    let mut groups: Vec<(Vec<usize>, &super::GatewaySettings<'static>)> = Vec::new();
    for (i, _, gw) in &on {
        match groups.iter_mut().find(|(_, g)| same(g, gw)) {
            Some((clusters, _)) => clusters.push(*i),
            None => groups.push((vec![*i], gw)),
        }
    }
    if groups.len() < 2 {
        return;
    }
    // The most common first (ties: the first seen): the settings a fix aligns the others to.
    groups.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0[0].cmp(&b.0[0])));
    let first = groups[0].1;
    let differs = |gw: &super::GatewaySettings<'_>| -> Vec<Setting> {
        let mut d = Vec::new();
        if gw.name != first.name {
            d.push(Setting::Name);
        }
        if !selector::same_pairs(&gw.workload_selector, &first.workload_selector) {
            d.push(Setting::WorkloadSelector);
        }
        if gw.namespace != first.namespace {
            d.push(Setting::Namespace);
        }
        if gw.deploy != first.deploy {
            d.push(Setting::Deploy);
        }
        d
    };
    let detail: Vec<GatewayGroup> = groups
        .iter()
        .map(|(clusters, gw)| GatewayGroup {
            clusters: clusters.clone(),
            name: gw.name.to_string(),
            namespace: gw.namespace.to_string(),
            workload_selector: gw.workload_selector.to_string(),
            deploy: gw.deploy.to_string(),
            differs: differs(gw),
        })
        .collect();
    let mut places = Vec::new();
    let mut clusters = Vec::new();
    for group in &detail[1..] {
        for &c in &group.clusters {
            clusters.push(c);
            let source = on
                .iter()
                .find(|(i, _, _)| *i == c)
                .and_then(|(_, n, _)| n.source.as_ref());
            for s in &group.differs {
                places.push(Place {
                    cluster: c,
                    object: namespace_ref(ns.name),
                    field: Field::Annotation(s.key().to_owned()),
                    source,
                });
            }
        }
    }
    clusters.sort_unstable();
    let describe = |g: &GatewayGroup| {
        format!(
            "in {}: name {:?}, workload selector {:?}, namespace {:?}, deploy {:?}",
            ctx.names(&g.clusters),
            g.name,
            g.workload_selector,
            g.namespace,
            g.deploy
        )
    };
    let all: Vec<usize> = on.iter().map(|(i, _, _)| *i).collect();
    let settings: Vec<&str> = {
        let mut s: Vec<Setting> = detail[1..]
            .iter()
            .flat_map(|g| g.differs.iter().copied())
            .collect();
        s.sort_by_key(|s| *s as u8);
        s.dedup();
        s.into_iter().map(Setting::words).collect()
    };
    let keys_to_set: Vec<String> = {
        let mut s: Vec<Setting> = detail[1..]
            .iter()
            .flat_map(|g| g.differs.iter().copied())
            .collect();
        s.sort_by_key(|s| *s as u8);
        s.dedup();
        s.into_iter()
            .map(|s| {
                let value = match s {
                    Setting::Name => &detail[0].name,
                    Setting::WorkloadSelector => &detail[0].workload_selector,
                    Setting::Namespace => &detail[0].namespace,
                    Setting::Deploy => &detail[0].deploy,
                };
                format!("{}: {value:?}", s.key())
            })
            .collect()
    };
    let message = format!(
        "Namespace \"{ns}\" has east-west on in {all} with different gateway settings ({what}): \
         {groups}. The failover setup asks for the gateways in the other clusters \"exactly as \
         before\"; here cross-cluster traffic lands on differently set up gateways. Fix: on \
         Namespace \"{ns}\" in {others}, set {keys} (as in {firsts}), or make every cluster \
         agree on other values.",
        ns = ns.name,
        all = ctx.names(&all),
        what = settings.join(", "),
        groups = detail.iter().map(describe).collect::<Vec<_>>().join("; "),
        others = ctx.names(&clusters),
        keys = keys_to_set.join(", "),
        firsts = ctx.names(&detail[0].clusters),
    );
    let summary = format!(
        "EW052 Namespace {} has different gateway {} in {}",
        ns.name,
        settings.join(", "),
        ctx.names(&clusters)
    );
    out.push(Finding {
        rule: RuleId::EW052,
        level: ctx.config.level_of(RuleId::EW052),
        object: namespace_ref(ns.name),
        clusters,
        detail: Detail::Gateways(detail),
        places,
        message,
        summary,
        pre_existing: false,
    });
}

/// Whether the mode or the Service's label selects it for exposure, workspace or not.
fn selected(reason: Reason) -> bool {
    matches!(
        reason,
        Reason::NamespaceLevel
            | Reason::Labelled
            | Reason::NoTriggerLabel(_)
            | Reason::ExternalName(_)
    )
}

/// EW053: a Namespace is namespace-level in one cluster and not in another (service-level, or
/// off: no annotation and nothing labelled, which the agent reads the same way), among the
/// clusters whose input has the Namespace, where one of its Services runs in two of them.
/// Different Services are exposed in each: the message
/// lists those the mode (or their label) selects for exposure in one cluster and not in
/// another, where they run. Whether a workspace exists there is EW050's business, so the
/// selection is compared, not the exposure.
pub(crate) fn ew053<'a, S: Clone>(
    ctx: &Context<'_>,
    ns: &NamespaceAcross<'a, S>,
    rows: &[Row<'a, S>],
    out: &mut Vec<Finding<'a, S>>,
) {
    let compared: Vec<(usize, &super::NamespaceModel<S>)> = ns
        .present
        .iter()
        .filter(|(_, n, _)| n.in_input())
        .map(|(i, n, _)| (*i, *n))
        .collect();
    let level: Vec<usize> = compared
        .iter()
        .filter(|(_, n)| n.mode == ExposureMode::NamespaceLevel)
        .map(|(i, _)| *i)
        .collect();
    let other: Vec<usize> = compared
        .iter()
        .filter(|(_, n)| n.mode != ExposureMode::NamespaceLevel)
        .map(|(i, _)| *i)
        .collect();
    if level.is_empty() || other.is_empty() {
        return;
    }
    let in_compared = |c: usize| compared.iter().any(|(i, _)| *i == c);
    // Without a Service in two of those clusters there is no failover to differ.
    if !rows.iter().any(|r| {
        r.runs
            .iter()
            .filter(|p| in_compared(p.cluster))
            .nth(1)
            .is_some()
    }) {
        return;
    }
    let mut services = Vec::new();
    for row in rows {
        let runs: Vec<&super::Presence<'a, S>> =
            row.runs.iter().filter(|p| in_compared(p.cluster)).collect();
        let exposed: Vec<usize> = runs
            .iter()
            .filter(|p| selected(p.service.reason))
            .map(|p| p.cluster)
            .collect();
        if exposed.is_empty() || exposed.len() == runs.len() {
            continue;
        }
        services.push(ModeDifference {
            name: row.name.to_owned(),
            exposed_in: exposed,
            not_exposed_in: runs
                .iter()
                .filter(|p| !selected(p.service.reason))
                .map(|p| p.cluster)
                .collect(),
        });
    }
    let modes: Vec<(usize, ExposureMode)> = compared.iter().map(|(i, n)| (*i, n.mode)).collect();
    let mode_words = |m: ExposureMode| match m {
        ExposureMode::NamespaceLevel => "namespace-level",
        _ => "service-level",
    };
    let by_mode = |clusters: &[usize]| {
        clusters
            .iter()
            .map(|&c| {
                let mode = modes
                    .iter()
                    .find(|(i, _)| *i == c)
                    .map_or(ExposureMode::Off, |(_, m)| *m);
                match mode {
                    ExposureMode::Off => format!("{} (nothing labelled)", ctx.clusters[c]),
                    _ => ctx.clusters[c].to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let listed = if services.is_empty() {
        "the Services that run in both are exposed alike today, but an unlabelled Service \
         added to it is exposed only where it is namespace-level"
            .to_owned()
    } else {
        let mut parts: Vec<String> = Vec::new();
        for d in &services {
            parts.push(format!(
                "{} is exposed in {} and not in {}",
                d.name,
                ctx.names(&d.exposed_in),
                ctx.names(&d.not_exposed_in)
            ));
        }
        format!(
            "different Services are exposed in each: {}",
            parts.join("; ")
        )
    };
    let g = keys::GLOBAL;
    let message = format!(
        "Namespace \"{ns}\" is {nl} in {level} and {sl} in {other}: {listed}. Fix: annotate \
         Namespace \"{ns}\" {g}: \"true\" in {other} (service-level to namespace-level is \
         allowed), or label in {other} each Service that must be exposed {g}: \"true\"; making \
         {level} service-level instead needs each Namespace there recreated (EW020).",
        ns = ns.name,
        nl = mode_words(ExposureMode::NamespaceLevel),
        sl = mode_words(ExposureMode::ServiceLevel),
        level = ctx.names(&level),
        other = by_mode(&other),
    );
    let summary = format!(
        "EW053 Namespace {} is namespace-level in {} and service-level in {}",
        ns.name,
        ctx.names(&level),
        ctx.names(&other)
    );
    let places = compared
        .iter()
        .filter(|(i, _)| other.contains(i))
        .map(|(i, n)| Place {
            cluster: *i,
            object: namespace_ref(ns.name),
            field: Field::Annotation(g.to_owned()),
            source: n.source.as_ref(),
        })
        .collect();
    out.push(Finding {
        rule: RuleId::EW053,
        level: ctx.config.level_of(RuleId::EW053),
        object: namespace_ref(ns.name),
        clusters: other,
        detail: Detail::Modes { modes, services },
        places,
        message,
        summary,
        pre_existing: false,
    });
}
