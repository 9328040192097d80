//! Failover readiness across clusters (EW050-EW053): the rules no single-cluster check can see,
//! judged over the engine's [`Model`] of each cluster. Pure: models in, [`Fleet`] out.
//!
//! East-west exposure exists so that an application deployed to several clusters keeps
//! working when one instance fails. For that, each cluster where a Service runs needs a
//! workspace for its Namespace, and the Service has to be exposed where other clusters' clients
//! need a backup, through gateways set up "exactly as before" everywhere. Terms, as SPEC.md
//! defines them:
//!
//! - a Service *runs* in a cluster when that cluster's input has it ([`Row::runs`]);
//! - it is *exposed* there when the agent exposes it: the model's [`Reason`] says so and its
//!   Namespace's gateway can be set up ([`Exposure`]);
//! - its *failover targets* from a cluster are the other clusters where it is exposed
//!   ([`Row::targets`]); clients in a cluster whose Namespace has no workspace never fail over,
//!   so that cluster has none (EW050's point).
//!
//! One row per Service name (`namespace/name`) across the clusters, built by walking the
//! models' sorted Namespaces and Services side by side: the cost is linear in Services (plus
//! sorting the Namespace names). The rules, one function each, are in `rules.rs`; what a change
//! does to failover (`fleet --old`) is in `changes.rs`.

mod changes;
mod rules;

pub use changes::{Changes, Fixed, TargetChange, compare};
pub use rules::trigger_labels;

use super::config::Config;
use super::decision::{Field, ObjectRef};
use super::gateway::GatewaySettings;
use super::ids::{Level, RuleId};
use super::model::{
    ExposureMode, GatewayProblem, Model, NamespaceModel, Reason, ServiceModel, Trigger,
};

/// One cluster of the fleet: its name (as the user gave it) and the model of its input.
#[derive(Debug)]
pub struct Cluster<'a, S> {
    pub name: &'a str,
    pub model: &'a Model<S>,
}

impl<S> Clone for Cluster<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Cluster<'_, S> {}

/// Whether a Service is exposed in one cluster, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Exposed: the model's reason (namespace-level or labelled).
    Exposed(Reason),
    /// Not exposed: the model's reason.
    NotExposed(Reason),
    /// Selected for exposure, but the agent cannot set up its Namespace's gateway (EW003 to
    /// EW006): nothing reaches it from other clusters.
    GatewayUnusable(GatewayProblem),
}

impl Exposure {
    /// The exposure of a Service of `namespace`, whose gateway has `gateway_problem`.
    pub fn of<S>(service: &ServiceModel<S>, gateway_problem: Option<&GatewayProblem>) -> Self {
        match (service.exposed, gateway_problem) {
            (false, _) => Exposure::NotExposed(service.reason),
            (true, Some(p)) => Exposure::GatewayUnusable(p.clone()),
            (true, None) => Exposure::Exposed(service.reason),
        }
    }

    pub fn is_exposed(&self) -> bool {
        matches!(self, Exposure::Exposed(_))
    }

    /// The model's reason code ([`Reason::code`]), or `gateway-unusable`: the words of the
    /// matrix and of the JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            Exposure::Exposed(r) | Exposure::NotExposed(r) => r.code(),
            Exposure::GatewayUnusable(_) => "gateway-unusable",
        }
    }
}

/// A Service in one cluster where it runs.
#[derive(Debug)]
pub struct Presence<'a, S> {
    /// Index of the cluster in the fleet.
    pub cluster: usize,
    pub namespace: &'a NamespaceModel<S>,
    pub service: &'a ServiceModel<S>,
    pub exposure: Exposure,
}

/// One Service (a namespace and a name) across the fleet.
#[derive(Debug)]
pub struct Row<'a, S> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// The clusters where it runs, in the fleet's order.
    pub runs: Vec<Presence<'a, S>>,
}

/// Where a Service's clients in one cluster fail over to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Targets {
    /// The other clusters where it is exposed, in the fleet's order.
    To(Vec<usize>),
    /// None: its Namespace here has no trigger label, so no workspace, and clients here never
    /// fail over (EW050).
    NoWorkspace,
    /// None: it is exposed in no other cluster where it runs.
    ExposedNowhereElse,
}

impl Targets {
    /// The clusters, empty when there are none.
    pub fn clusters(&self) -> &[usize] {
        match self {
            Targets::To(c) => c,
            Targets::NoWorkspace | Targets::ExposedNowhereElse => &[],
        }
    }

    /// Why there are none, as the JSON output and the matrix write it; `None` when there are.
    pub fn none_code(&self) -> Option<&'static str> {
        match self {
            Targets::To(_) => None,
            Targets::NoWorkspace => Some("no-workspace"),
            Targets::ExposedNowhereElse => Some("exposed-nowhere-else"),
        }
    }

    /// Why there are none, in words.
    pub fn none_why(&self) -> Option<&'static str> {
        match self {
            Targets::To(_) => None,
            Targets::NoWorkspace => Some(
                "its Namespace has no trigger label here, so no workspace: clients here never fail over",
            ),
            Targets::ExposedNowhereElse => Some("it is exposed in no other cluster where it runs"),
        }
    }
}

impl<S> Row<'_, S> {
    /// Runs in two or more clusters: a failover case, in the matrix.
    pub fn multi_cluster(&self) -> bool {
        self.runs.len() >= 2
    }

    /// The clusters where it is exposed.
    pub fn exposed_in(&self) -> impl Iterator<Item = usize> + '_ {
        self.runs
            .iter()
            .filter(|p| p.exposure.is_exposed())
            .map(|p| p.cluster)
    }

    pub fn presence(&self, cluster: usize) -> Option<&Presence<'_, S>> {
        self.runs.iter().find(|p| p.cluster == cluster)
    }

    /// Where its clients in `from` fail over to.
    pub fn targets(&self, from: &Presence<'_, S>) -> Targets {
        if from.namespace.trigger == Trigger::Missing {
            return Targets::NoWorkspace;
        }
        let to: Vec<usize> = self
            .runs
            .iter()
            .filter(|p| p.cluster != from.cluster && p.exposure.is_exposed())
            .map(|p| p.cluster)
            .collect();
        if to.is_empty() {
            Targets::ExposedNowhereElse
        } else {
            Targets::To(to)
        }
    }

    /// Whether `cluster` is a failover target of this Service: it is exposed there and runs
    /// somewhere else too.
    pub fn is_target(&self, cluster: usize) -> bool {
        self.multi_cluster()
            && self
                .presence(cluster)
                .is_some_and(|p| p.exposure.is_exposed())
    }
}

/// A gateway setting the clusters of EW052 disagree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Name,
    WorkloadSelector,
    Namespace,
    Deploy,
}

impl Setting {
    /// The camelCase name of the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Name => "name",
            Setting::WorkloadSelector => "workloadSelector",
            Setting::Namespace => "namespace",
            Setting::Deploy => "deploy",
        }
    }

    /// In words, for messages.
    pub fn words(self) -> &'static str {
        match self {
            Setting::Name => "name",
            Setting::WorkloadSelector => "workload selector",
            Setting::Namespace => "namespace",
            Setting::Deploy => "deploy",
        }
    }

    /// The Namespace annotation that sets it.
    pub fn key(self) -> &'static str {
        use super::keys;
        match self {
            Setting::Name => keys::GATEWAY_NAME,
            Setting::WorkloadSelector => keys::GATEWAY_SELECTOR,
            Setting::Namespace => keys::GATEWAY_NAMESPACE,
            Setting::Deploy => keys::GATEWAY_DEPLOY,
        }
    }
}

/// Clusters whose Namespace has the same gateway settings (EW052).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayGroup {
    pub clusters: Vec<usize>,
    pub name: String,
    pub namespace: String,
    pub workload_selector: String,
    pub deploy: String,
    /// What differs from the first group (the one most clusters share); empty for it.
    pub differs: Vec<Setting>,
}

/// A Service exposed in some clusters of a Namespace and not in others, where the Namespace's
/// mode differs (EW053).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeDifference {
    pub name: String,
    pub exposed_in: Vec<usize>,
    pub not_exposed_in: Vec<usize>,
}

/// What a finding is about, beyond its message: the facts the outputs show as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// EW050, EW051: where the Service runs and where it is exposed.
    Service {
        runs_in: Vec<usize>,
        exposed_in: Vec<usize>,
    },
    /// EW052: the clusters grouped by their gateway settings, the most common first.
    Gateways(Vec<GatewayGroup>),
    /// EW053: the mode in each cluster whose input has the Namespace, and the Services whose
    /// exposure differs with it.
    Modes {
        modes: Vec<(usize, ExposureMode)>,
        services: Vec<ModeDifference>,
    },
}

/// Where a finding's fix is: the key to change on one object of one cluster.
#[derive(Debug)]
pub struct Place<'a, S> {
    pub cluster: usize,
    pub object: ObjectRef,
    pub field: Field,
    /// The object's source in that cluster's input (`None`: not in the input).
    pub source: Option<&'a S>,
}

/// One finding of a cross-cluster rule.
#[derive(Debug)]
pub struct Finding<'a, S> {
    pub rule: RuleId,
    pub level: Level,
    /// The Service or Namespace, by name: the same object in every cluster.
    pub object: ObjectRef,
    /// The clusters where the key to change is, in the fleet's order.
    pub clusters: Vec<usize>,
    pub detail: Detail,
    pub places: Vec<Place<'a, S>>,
    /// The whole message: object, clusters, why it matters, the fix.
    pub message: String,
    /// One short line, starting with the rule ID.
    pub summary: String,
    /// With a base to compare with (`fleet --old`): the same finding was there before the
    /// change, so a deny is reported as a warning.
    pub pre_existing: bool,
}

/// The fleet judged: every Service's row (sorted by namespace, then name) and the findings
/// (by Namespace; on one Namespace its own findings, then its Services').
#[derive(Debug)]
pub struct Fleet<'a, S> {
    /// The clusters' names, in the order given.
    pub clusters: Vec<&'a str>,
    pub rows: Vec<Row<'a, S>>,
    pub findings: Vec<Finding<'a, S>>,
}

impl<'a, S> Fleet<'a, S> {
    /// The failover matrix: the Services that run in two or more clusters.
    pub fn matrix(&self) -> impl Iterator<Item = &Row<'a, S>> {
        self.rows.iter().filter(|r| r.multi_cluster())
    }

    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Deny)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// A Namespace in the clusters whose input has it or one of its Services, with what the rules
/// ask of it once per cluster.
pub(crate) struct NamespaceAcross<'a, S> {
    pub name: &'a str,
    /// (cluster, model, why its gateway cannot be set up), in the fleet's order.
    pub present: Vec<(usize, &'a NamespaceModel<S>, Option<GatewayProblem>)>,
}

/// Judges the fleet: the failover matrix and the findings of EW050 to EW053, at the levels
/// `config` gives them. Pure.
pub fn judge<'a, S: Clone>(clusters: &[Cluster<'a, S>], config: &Config) -> Fleet<'a, S> {
    let mut fleet = Fleet {
        clusters: clusters.iter().map(|c| c.name).collect(),
        rows: Vec::new(),
        findings: Vec::new(),
    };
    let ctx = rules::Context {
        clusters: &fleet.clusters,
        config,
    };
    let mut names: Vec<&'a str> = clusters
        .iter()
        .flat_map(|c| c.model.namespaces.iter().map(|n| n.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    // A model's Namespaces are sorted by name, so one cursor per cluster walks them all once.
    let mut cursors = vec![0usize; clusters.len()];
    let mut findings = Vec::new();
    for name in names {
        let mut present = Vec::new();
        for (i, c) in clusters.iter().enumerate() {
            if let Some(ns) = c.model.namespaces.get(cursors[i])
                && ns.name == name
            {
                cursors[i] += 1;
                present.push((i, ns, ns.gateway.problem()));
            }
        }
        let ns = NamespaceAcross { name, present };
        let start = fleet.rows.len();
        rows_of(&ns, &mut fleet.rows);
        let rows = &fleet.rows[start..];
        rules::ew052(&ctx, &ns, &mut findings);
        rules::ew053(&ctx, &ns, rows, &mut findings);
        for row in rows.iter().filter(|r| r.multi_cluster()) {
            rules::ew050(&ctx, row, &mut findings);
            rules::ew051(&ctx, row, &mut findings);
        }
    }
    fleet.findings = findings;
    fleet
}

/// The rows of one Namespace's Services, by name: its Services are sorted by name in each
/// model, so this is a merge of sorted lists.
fn rows_of<'a, S: Clone>(ns: &NamespaceAcross<'a, S>, out: &mut Vec<Row<'a, S>>) {
    let mut names: Vec<&'a str> = ns
        .present
        .iter()
        .flat_map(|(_, n, _)| n.services.iter().map(|s| s.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut cursors = vec![0usize; ns.present.len()];
    for name in names {
        let mut runs = Vec::with_capacity(ns.present.len());
        for (j, (cluster, namespace, problem)) in ns.present.iter().enumerate() {
            if let Some(service) = namespace.services.get(cursors[j])
                && service.name == name
            {
                cursors[j] += 1;
                runs.push(Presence {
                    cluster: *cluster,
                    namespace,
                    service,
                    exposure: Exposure::of(service, problem.as_ref()),
                });
            }
        }
        out.push(Row {
            namespace: ns.name,
            name,
            runs,
        });
    }
}

#[cfg(test)]
mod tests;
