//! One object judged by the engine. Every review goes through [`cases::validate`], which
//! keeps it in the corpus of cases (tests/data/rules/cases) that other tests judge another
//! way; a test that builds its own [`Review`] calls [`cases::validate`] itself.

use eastwest_guard::rules::{
    Config, Decision, NoCluster, ObjectView, ResourceKind, Review, RuleId, Violation,
};

use super::cases::{self, Recorded};

/// A Namespace CREATE, with the default configuration and no cluster.
pub fn check_ns(obj: &ObjectView) -> Decision {
    check_ns_with(obj, &Config::default())
}

/// A Namespace CREATE with `config`, and no cluster.
pub fn check_ns_with(obj: &ObjectView, config: &Config) -> Decision {
    cases::validate(
        &Review::create(ResourceKind::Namespace, obj),
        config,
        &NoCluster,
    )
}

/// A Service CREATE, with the default configuration.
pub fn check_svc(obj: &ObjectView, cluster: &dyn Recorded) -> Decision {
    cases::validate(
        &Review::create(ResourceKind::Service, obj),
        &Config::default(),
        cluster,
    )
}

/// A Namespace UPDATE, with the default configuration.
pub fn update_ns(old: &ObjectView, new: &ObjectView, cluster: &dyn Recorded) -> Decision {
    cases::validate(
        &Review::update(ResourceKind::Namespace, old, new),
        &Config::default(),
        cluster,
    )
}

/// A Service UPDATE, with the default configuration.
pub fn svc_update(old: &ObjectView, new: &ObjectView, cluster: &dyn Recorded) -> Decision {
    cases::validate(
        &Review::update(ResourceKind::Service, old, new),
        &Config::default(),
        cluster,
    )
}

/// The rule of each violation, in order.
pub fn ids(d: &Decision) -> Vec<RuleId> {
    d.violations.iter().map(|v| v.rule).collect()
}

/// The violations of `rule`, in order.
pub fn only(d: &Decision, rule: RuleId) -> Vec<&Violation> {
    d.violations.iter().filter(|v| v.rule == rule).collect()
}
