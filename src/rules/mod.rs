//! The rules engine: objects in, decision out. No I/O, no async, no clock.
//!
//! A rule is one function named after its ID (`grep -rn 'fn ew020' src/rules` finds it), in the
//! module that holds its side:
//! - EW001..EW006, EW011 and EW012 (Namespace side), EW030, EW032: [`namespace`]
//! - EW007..EW010: [`cloud`] (`cloud/checks.rs`; the YAML reader and the agent's fallback beside
//!   it) and [`catalog`] (EW010's data)
//! - EW011 and EW012 (Service side), EW013, EW031, EW040: [`service`]
//! - EW020, EW021, EW022: [`transition`]
//! - EW011's finding itself, shared by both sides: `unknown.rs` (typo suggestions: [`keys`]);
//!   the text of fixes both sides write: `fixes.rs`
//!
//! What the agent does, which the rules, the CLI and the cluster cache all ask: [`model`]
//! (exposure modes, which Services are exposed and why, the mode changes it refuses, the
//! model of a whole input); the gateway settings it derives: [`gateway`] (and [`selector`]).
//! The defaults patch: [`mutation`].

pub mod catalog;
pub mod cloud;
pub mod cluster;
pub mod config;
pub mod decision;
pub mod fixes;
pub mod gateway;
pub mod ids;
pub mod keys;
pub mod meta;
pub mod model;
pub mod mutation;
pub mod names;
pub mod namespace;
pub mod object;
mod report;
pub mod selector;
pub mod service;
pub mod transition;
mod unknown;

pub use cluster::{ClusterView, Lookup, NamespaceFacts, NoCluster, ServicesOf};
pub use config::Config;
pub use decision::{
    Decision, Edit, Field, Fix, Mutation, ObjectRef, Target, TextPosition, Violation,
};
pub use ids::{Level, RuleId};
pub use kube::core::admission::Operation;
pub use meta::{Meta, StrMap};
pub use object::{ObjectView, SpecView};
pub use report::MAX_SUMMARY_WITH_FIX;

/// The kind of object under review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    Namespace,
    Service,
    /// Anything else: always allowed, never patched.
    Other,
}

impl ResourceKind {
    /// From an admission request's `kind` (group and kind): only core v1 Namespace and Service
    /// are ours.
    pub fn from_group_kind(group: &str, kind: &str) -> Self {
        match (group, kind) {
            ("", "Namespace") => ResourceKind::Namespace,
            ("", "Service") => ResourceKind::Service,
            _ => ResourceKind::Other,
        }
    }
}

/// Where a review comes from; only message wording depends on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// A live write, through kube-apiserver.
    #[default]
    Admission,
    /// Manifests in a repository, checked by the CLI (the fix is a commit, not a kubectl call).
    Manifests,
}

/// The facts of one admission request that the rules need.
#[derive(Clone, Debug)]
pub struct Review<'a> {
    pub operation: Operation,
    pub kind: ResourceKind,
    /// The request's name (the object's own name is preferred when it has one).
    pub name: &'a str,
    /// The request's namespace (for Services).
    pub namespace: Option<&'a str>,
    /// The object after the write (absent on DELETE).
    pub object: Option<&'a ObjectView>,
    /// The object before the write (UPDATE and DELETE).
    pub old_object: Option<&'a ObjectView>,
    pub origin: Origin,
}

impl<'a> Review<'a> {
    /// A CREATE of `object`, as the CLI judges a manifest.
    pub fn create(kind: ResourceKind, object: &'a ObjectView) -> Self {
        Review {
            operation: Operation::Create,
            kind,
            name: object.name(),
            namespace: object.metadata.namespace.as_deref(),
            object: Some(object),
            old_object: None,
            origin: Origin::Admission,
        }
    }

    /// An UPDATE from `old` to `new`.
    pub fn update(kind: ResourceKind, old: &'a ObjectView, new: &'a ObjectView) -> Self {
        Review {
            operation: Operation::Update,
            old_object: Some(old),
            ..Review::create(kind, new)
        }
    }

    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    #[must_use]
    pub fn with_namespace(mut self, namespace: Option<&'a str>) -> Self {
        self.namespace = namespace;
        self
    }

    /// The namespace messages and commands name for a Service: its own, or the request's (an
    /// empty one is none: Helm's unset quoted value).
    fn service_namespace(&self) -> Option<&'a str> {
        self.object
            .or(self.old_object)
            .and_then(|o| o.metadata.namespace.as_deref())
            .filter(|n| !n.is_empty())
            .or(self.namespace)
            .filter(|n| !n.is_empty())
    }

    fn object_ref(&self) -> ObjectRef {
        let obj = self.object.or(self.old_object);
        let name = obj
            .map(ObjectView::name)
            .filter(|n| !n.is_empty())
            .unwrap_or(self.name);
        let name = if name.is_empty() {
            obj.and_then(|o| o.metadata.generate_name.as_deref())
                .map(|g| format!("{g}*"))
                .unwrap_or_else(|| "<unnamed>".to_owned())
        } else {
            name.to_owned()
        };
        match self.kind {
            ResourceKind::Namespace => ObjectRef {
                kind: "Namespace".into(),
                namespace: None,
                name,
            },
            ResourceKind::Service | ResourceKind::Other => ObjectRef {
                kind: if self.kind == ResourceKind::Service {
                    "Service".into()
                } else {
                    obj.and_then(|o| o.kind.clone()).unwrap_or_default()
                },
                namespace: self.service_namespace().map(str::to_owned),
                name,
            },
        }
    }
}

/// The validating decision for one request: every problem of the object, in one pass.
pub fn validate(review: &Review<'_>, config: &Config, cluster: &dyn ClusterView) -> Decision {
    let mut decision = judge(review, config, cluster);
    if let (Some(object), Some(old)) = (review.object, review.old_object)
        && review.operation == Operation::Update
    {
        downgrade_what_was_there(&mut decision, old, object, config);
    }
    decision
}

/// An object as it exists, judged as the enforcing webhook judges a write that touches its
/// keys (what `audit` and the count of problems already in a cluster report): an UPDATE from
/// the object to itself, so the rules about what a write changes (EW020-EW022) have nothing
/// to say, at the levels the configuration gives a write that sets each key. Nothing is
/// "already there before this write" (there is no write), except that an object being
/// deleted is not denied, as the webhook lets the removal of its finalizers through.
pub fn validate_existing(
    kind: ResourceKind,
    object: &ObjectView,
    config: &Config,
    cluster: &dyn ClusterView,
) -> Decision {
    let mut decision = judge(&Review::update(kind, object, object), config, cluster);
    if object.is_terminating() {
        downgrade_what_was_there(&mut decision, object, object, config);
    }
    decision
}

/// Every rule over one review, at the configured levels, before anything is held to be
/// pre-existing.
fn judge(review: &Review<'_>, config: &Config, cluster: &dyn ClusterView) -> Decision {
    let Some(object) = review.object else {
        return Decision::default();
    };
    if !matches!(review.operation, Operation::Create | Operation::Update) {
        return Decision::default();
    }
    let old = review
        .old_object
        .filter(|_| review.operation == Operation::Update);
    if review.kind == ResourceKind::Other {
        return Decision::default();
    }
    // Cheapest path first: an object with no traffic.tetrate.io/ key, now or before, is none
    // of the guard's business. The webhook never sees one (its matchConditions send only
    // objects with such a key); in manifests, a known key under a near miss of the prefix
    // (`tetrate.io/global`) is worth a warning, since nothing else would say it is not read.
    let no_key = !keys::has_tetrate_key(object) && !old.is_some_and(keys::has_tetrate_key);
    if no_key && review.origin == Origin::Admission {
        return Decision::default();
    }
    let namespace = match review.kind {
        ResourceKind::Service => review.service_namespace(),
        _ => None,
    };
    // Asked once: EW031 and EW022 both need the Service's Namespace, and a fix on it too.
    let (facts, facts_before) = match (review.kind, namespace) {
        (ResourceKind::Service, Some(ns)) if !no_key => (
            cluster.namespace(ns),
            old.and_then(|_| cluster.namespace_before_write(ns)),
        ),
        _ => (Lookup::Unknown, None),
    };
    let context = fixes::Context {
        kind: match review.kind {
            ResourceKind::Namespace => "namespace",
            _ => "service",
        },
        name: object.name_for_commands(),
        namespace,
        object_live: review.origin == Origin::Admission && old.is_some(),
        namespaces_live: review.origin == Origin::Admission,
        new: Some(object),
        old,
        namespace_labels: match &facts {
            Lookup::Found(f) => Some(&f.labels),
            _ => None,
        },
    };
    let mut out = report::Report::new(review.object_ref(), config, context);
    match review.kind {
        ResourceKind::Namespace if no_key => namespace::check_near_misses(object, config, &mut out),
        ResourceKind::Service if no_key => {
            service::check_near_misses(object, namespace, config, &mut out)
        }
        ResourceKind::Namespace => {
            namespace::check(object, config, cluster, &mut out);
            if let Some(old) = old {
                transition::check_namespace(old, object, config, cluster, review.origin, &mut out);
            }
        }
        ResourceKind::Service => {
            service::check(object, namespace, config, &facts, &mut out);
            transition::check_service(
                old,
                object,
                namespace,
                config,
                &facts,
                facts_before.as_ref(),
                &mut out,
            );
        }
        ResourceKind::Other => {}
    }
    out.into_decision()
}

/// On an UPDATE, what the write did not make is not held against it (SPEC "Pre-existing
/// problems"): a denial whose keys all hold the same value, in the same place, before and
/// after is marked pre-existing and reported as a warning that says so, unless
/// `deny_existing`. EW020 is about the change itself and is never pre-existing.
///
/// An update of an object being deleted that leaves its traffic.tetrate.io/ keys as they were
/// is most often its finalizers being removed: denying it would leave the object stuck
/// terminating (and a Service's load balancer behind), so it goes through even under
/// `deny_existing`.
fn downgrade_what_was_there(
    decision: &mut Decision,
    old: &ObjectView,
    new: &ObjectView,
    config: &Config,
) {
    if decision.allowed() {
        return;
    }
    let terminating =
        (old.is_terminating() || new.is_terminating()) && keys::same_tetrate_keys(old, new);
    for v in &mut decision.violations {
        if v.level != Level::Deny
            || v.rule == RuleId::EW020
            || !v.depends_on.iter().all(|f| same_in_both(f, old, new))
        {
            continue;
        }
        v.pre_existing = true;
        let (note, mark) = if terminating {
            (
                " (Not denied: the object is being deleted.)",
                "not denied, being deleted: ",
            )
        } else if config.deny_existing {
            (
                " (The problem was already there before this write; denied all the same, as \
                 --deny-existing asks.)",
                "",
            )
        } else {
            (
                " (Not denied: the problem was already there before this write, which does \
                 not change it; the guard denies it where a write makes it. Fix it when you \
                 can.)",
                "already there, not denied: ",
            )
        };
        v.message.push_str(note);
        if mark.is_empty() {
            continue;
        }
        v.level = Level::Warn;
        // At the front, after "EWxxx: ", so no truncation of the warning can drop it.
        let at = v.rule.as_str().len() + 2;
        if v.summary.is_char_boundary(at) {
            v.summary.insert_str(at, mark);
        }
    }
}

/// Whether `field` holds the same value, in the same place, in both objects (absent in both
/// is the same).
fn same_in_both(field: &Field, old: &ObjectView, new: &ObjectView) -> bool {
    match field {
        Field::Label(k) => old.label(k) == new.label(k),
        Field::Annotation(k) => old.annotation(k) == new.annotation(k),
        Field::SpecType => old.service_type() == new.service_type(),
    }
}

/// The mutating answer: the patch of missing gateway defaults, or `None`. Never denies.
pub fn mutate(review: &Review<'_>, config: &Config) -> Option<Mutation> {
    if review.kind != ResourceKind::Namespace
        || !matches!(review.operation, Operation::Create | Operation::Update)
    {
        return None;
    }
    let old = review
        .old_object
        .filter(|_| review.operation == Operation::Update);
    mutation::defaults_patch(review.object?, old, config)
}
