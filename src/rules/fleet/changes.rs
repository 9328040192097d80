//! What a change does to failover (`fleet --old`): the fleet before and after, judged alike,
//! compared Service by Service and cluster by cluster. Pure.
//!
//! A finding the fleet had before the change too (the same rule, object and clusters) is
//! pre-existing: as with `check --old` (SPEC "Pre-existing problems"), a deny is then reported
//! as a warning unless the configuration asks to deny what exists.

use super::super::config::Config;
use super::super::decision::ObjectRef;
use super::super::ids::{Level, RuleId};
use super::{Fleet, Row, Targets};

/// Where one Service's clients in one cluster fail over to, before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetChange {
    pub namespace: String,
    pub name: String,
    /// The cluster whose clients it is about (it runs there after the change).
    pub cluster: usize,
    /// Its failover targets before (empty when it did not run there, or had none).
    pub before: Vec<usize>,
    pub after: Vec<usize>,
    /// Why it has none after the change ([`Targets::none_code`]).
    pub none_after: Option<&'static str>,
}

impl TargetChange {
    pub fn lost(&self) -> impl Iterator<Item = usize> + '_ {
        self.before
            .iter()
            .copied()
            .filter(|c| !self.after.contains(c))
    }

    pub fn gained(&self) -> impl Iterator<Item = usize> + '_ {
        self.after
            .iter()
            .copied()
            .filter(|c| !self.before.contains(c))
    }
}

/// A finding of the fleet before the change that it no longer has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixed {
    pub rule: RuleId,
    pub object: ObjectRef,
    pub clusters: Vec<usize>,
    pub summary: String,
}

/// What the change does to failover.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// By Service (namespace, then name), then cluster.
    pub targets: Vec<TargetChange>,
    /// Findings the change brings: indices into the new fleet's findings.
    pub new_findings: Vec<usize>,
    /// Findings the change clears.
    pub fixed: Vec<Fixed>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.new_findings.is_empty() && self.fixed.is_empty()
    }

    /// Service-clusters that lose a failover target.
    pub fn losses(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.lost().next().is_some())
            .count()
    }
}

/// Compares the fleet before (`old`) with the fleet after (`new`), whose clusters are the same,
/// in the same order. Marks the findings of `new` that `old` had too as pre-existing (a deny
/// becomes a warning unless `config.deny_existing`).
pub fn compare<S, T>(old: &Fleet<'_, T>, new: &mut Fleet<'_, S>, config: &Config) -> Changes {
    let mut changes = Changes::default();
    for (i, f) in new.findings.iter_mut().enumerate() {
        let before = old
            .findings
            .iter()
            .any(|o| o.rule == f.rule && o.object == f.object && o.clusters == f.clusters);
        if before {
            f.pre_existing = true;
            if f.level == Level::Deny && !config.deny_existing {
                f.level = Level::Warn;
            }
        } else {
            changes.new_findings.push(i);
        }
    }
    for o in &old.findings {
        let still = new
            .findings
            .iter()
            .any(|f| o.rule == f.rule && o.object == f.object && o.clusters == f.clusters);
        if !still {
            changes.fixed.push(Fixed {
                rule: o.rule,
                object: o.object.clone(),
                clusters: o.clusters.clone(),
                summary: o.summary.clone(),
            });
        }
    }

    // Rows are sorted by namespace, then name, on both sides: a merge.
    let (mut a, mut b) = (old.rows.iter().peekable(), new.rows.iter().peekable());
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => (x.namespace, x.name).cmp(&(y.namespace, y.name)),
        };
        match order {
            // Gone everywhere: no clients left to fail over.
            std::cmp::Ordering::Less => {
                a.next();
            }
            std::cmp::Ordering::Greater => {
                if let Some(row) = b.next() {
                    row_changes::<S, T>(None, row, &mut changes.targets);
                }
            }
            std::cmp::Ordering::Equal => {
                if let (Some(x), Some(y)) = (a.next(), b.next()) {
                    row_changes(Some(x), y, &mut changes.targets);
                }
            }
        }
    }
    changes
}

fn targets_of<S>(row: &Row<'_, S>, cluster: usize) -> Option<Targets> {
    row.presence(cluster).map(|p| row.targets(p))
}

fn row_changes<S, T>(old: Option<&Row<'_, T>>, new: &Row<'_, S>, out: &mut Vec<TargetChange>) {
    for p in &new.runs {
        let after = new.targets(p);
        let before = old
            .and_then(|o| targets_of(o, p.cluster))
            .map(|t| t.clusters().to_vec())
            .unwrap_or_default();
        if before.as_slice() != after.clusters() {
            out.push(TargetChange {
                namespace: new.namespace.to_owned(),
                name: new.name.to_owned(),
                cluster: p.cluster,
                before,
                after: after.clusters().to_vec(),
                none_after: after.none_code(),
            });
        }
    }
}
