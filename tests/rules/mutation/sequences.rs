//! The defaults patch over sequences of writes: whatever a user or a tool writes, in whatever
//! order, the gateway settings the agent derives from the stored Namespace are the same with the
//! mutating webhook (its patch applied to each write, as kube-apiserver applies it) as without
//! it, and the webhook called again on its own output (its reinvocation) has nothing to do.
//!
//! Writes are key-level (`kubectl annotate`, `kubectl label`), whole-object replaces
//! (`kubectl replace`, a PUT from a GitOps tool) and three-way applies (`kubectl apply`, Helm,
//! server-side apply), over the gateway keys, `global`, the cloud annotations, a misspelt key
//! and an unrelated one, with valid and invalid values (see `support::namespace_writes`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use eastwest_guard::rules::{self, Config, Mutation, ObjectView, ResourceKind, Review};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::Value;

use crate::support::namespace_writes::{Ops, Worlds, Write, sequence};

fn view(object: &Value) -> ObjectView {
    serde_json::from_value(object.clone()).expect("a Namespace the engine reads")
}

/// The webhook's answer to a write: CREATE when nothing is stored yet.
fn mutate(old: Option<&Value>, sent: &Value) -> Option<Mutation> {
    let config = Config::default();
    let new = view(sent);
    match old.map(view) {
        None => rules::mutate(&Review::create(ResourceKind::Namespace, &new), &config),
        Some(old) => rules::mutate(
            &Review::update(ResourceKind::Namespace, &old, &new),
            &config,
        ),
    }
}

#[derive(Debug, Default)]
struct Tally {
    writes: usize,
    compared: usize,
    ops: [usize; 3],
}

/// Runs one sequence in both stores; an error names the write and what went wrong.
fn run(
    created: &BTreeMap<String, String>,
    writes: &[Write],
    tally: &mut Tally,
    records_are_the_guards: bool,
) -> Result<(), String> {
    let mut worlds = Worlds::new();
    let mut old: Option<Value> = None;
    let all = std::iter::once(Write::Replace(created.clone())).chain(writes.iter().cloned());
    for (i, w) in all.enumerate() {
        let sent = worlds.with.request(&w);
        let m = mutate(old.as_ref(), &sent);
        let ops: Ops = worlds
            .commit(&w, sent, m.as_ref().map(|m| &m.patch))
            .map_err(|e| format!("write {i} {w:?}: {e}"))?;
        let stored = worlds.with.object.clone();
        // Called again on its own output, with the same old object (reinvocation): nothing to
        // do. Nor as a CREATE of it (a copy of the stored object), while every record is one
        // the guard wrote; an entry a user left behind can hold a key back until the next
        // write (see `would_read_as_written`).
        let again = mutate(old.as_ref(), &stored).or_else(|| {
            records_are_the_guards
                .then(|| mutate(None, &stored))
                .flatten()
        });
        if let Some(again) = again {
            return Err(format!(
                "write {i} {w:?}: a second pass patched {}",
                again.patch
            ));
        }
        tally.writes += 1;
        tally.compared += usize::from(!worlds.unseen_write);
        tally.ops[0] += ops.added;
        tally.ops[1] += ops.replaced;
        tally.ops[2] += ops.removed;
        old = Some(stored);
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    })
}

#[test]
fn the_agent_derives_the_same_gateway_with_and_without_the_webhook() {
    let tally = RefCell::new(Tally::default());
    let result = runner(1500).run(&sequence(false), |(created, writes)| {
        run(&created, &writes, &mut tally.borrow_mut(), true).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let t = tally.into_inner();
    // The sequences reach every path: defaults added, partners re-derived, values withdrawn;
    // and writes the webhook cannot see leave most of them comparable.
    assert!(t.ops.iter().all(|n| *n >= 100), "{t:?}");
    assert!(t.compared * 10 >= t.writes * 7, "{t:?}");
}

/// A record the user writes, removes or garbles: the webhook trusts it only where the values
/// match, so it still never touches a key a write changed (unless that write claims it in the
/// record), its patch applies, and a second pass has nothing to do. The stores are compared
/// until the first write to the record and again after a replace without one.
#[test]
fn a_record_the_user_writes_is_never_trusted_blindly() {
    let tally = RefCell::new(Tally::default());
    let result = runner(800).run(&sequence(true), |(created, writes)| {
        run(&created, &writes, &mut tally.borrow_mut(), false).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let t = tally.into_inner();
    assert!(t.ops.iter().all(|n| *n >= 50), "{t:?}");
}
