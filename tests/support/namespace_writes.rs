//! How writes to a Namespace's labels and annotations reach admission and the store, for the
//! defaults patch's sequence tests: the object each kind of write sends to the mutating
//! webhook, given what is stored.
//!
//! - [`Write::Annotate`] and [`Write::Label`]: `kubectl annotate|label ... k=v --overwrite` and
//!   `k-` (a merge patch of those keys onto the stored object). `kubectl edit`, and a `kubectl
//!   get -o yaml` edited and sent back with `kubectl replace`, send the same object: every
//!   other key as stored, the guard's record included.
//! - [`Write::Replace`]: `kubectl replace -f` (or `create` after a delete, or any PUT) of a
//!   manifest: its annotations are exactly the manifest's, so keys the guard wrote and its
//!   record are dropped unless the manifest has them. It also drops kubectl's last-applied
//!   annotation, so a later apply removes nothing.
//! - [`Write::Apply`]: `kubectl apply` (client-side), and Helm's three-way merge: the manifest's
//!   keys are set, the keys of the last applied manifest that this one no longer has are
//!   removed, and every other key (the guard's, and its record) is kept. Server-side apply
//!   is the same for the user's keys: it removes the fields its manager owned and no longer
//!   applies. kube-apiserver's update and patch handlers record ownership before mutating
//!   admission, so the keys the guard adds belong to no manager and stay; where a tool does
//!   drop them with the record, that is a replace of those keys.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::objects::{CLOUD, DEPLOY, GLOBAL, GW_NS, NAME, SELECTOR, fixture};

/// One write, as a user or a tool sends it.
#[derive(Clone, Debug)]
pub enum Write {
    /// `kubectl annotate`: each key set to the value, or removed (`None`).
    Annotate(Vec<(String, Option<String>)>),
    /// `kubectl label`: each key set to the value, or removed (`None`).
    Label(Vec<(String, Option<String>)>),
    /// A whole-object replace whose annotations are these.
    Replace(BTreeMap<String, String>),
    /// `kubectl apply` of a manifest with these annotations.
    Apply(BTreeMap<String, String>),
}

impl Write {
    /// Whether the write sets or removes the annotation `key`.
    pub fn touches(&self, key: &str) -> bool {
        match self {
            Write::Annotate(pairs) => pairs.iter().any(|(k, _)| k == key),
            Write::Label(_) => false,
            Write::Replace(m) | Write::Apply(m) => m.contains_key(key),
        }
    }

    /// The annotation keys this write sets, with their values (not the ones it removes).
    pub fn sets(&self) -> Vec<(&str, &str)> {
        match self {
            Write::Annotate(pairs) => pairs
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_deref()?)))
                .collect(),
            Write::Label(_) => Vec::new(),
            Write::Replace(m) | Write::Apply(m) => {
                m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
            }
        }
    }
}

/// A stored Namespace "payments" and what kubectl apply last applied to it.
#[derive(Clone, Debug)]
pub struct Store {
    /// The object as stored: the fixture's metadata, with its labels and annotations.
    pub object: Value,
    last_applied: Option<BTreeMap<String, String>>,
}

impl Store {
    /// A Namespace with a trigger label and these annotations, as if created by a replace.
    pub fn created(annotations: &BTreeMap<String, String>) -> Store {
        let mut object = fixture("namespace-payments.json");
        object["metadata"]["labels"] = serde_json::json!({
            "kubernetes.io/metadata.name": "payments",
            "tetrate.io/rev": "default",
        });
        object["metadata"]["annotations"] = to_map(annotations);
        Store {
            object,
            last_applied: None,
        }
    }

    /// The object `write` sends to admission, given what is stored.
    pub fn request(&self, write: &Write) -> Value {
        let mut object = self.object.clone();
        match write {
            Write::Annotate(pairs) => merge(&mut object, "annotations", pairs),
            Write::Label(pairs) => merge(&mut object, "labels", pairs),
            Write::Replace(m) => object["metadata"]["annotations"] = to_map(m),
            Write::Apply(m) => {
                let mut pairs: Vec<(String, Option<String>)> = self
                    .last_applied
                    .iter()
                    .flat_map(|last| last.keys())
                    .filter(|k| !m.contains_key(*k))
                    .map(|k| (k.clone(), None))
                    .collect();
                pairs.extend(m.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
                merge(&mut object, "annotations", &pairs);
            }
        }
        object
    }

    /// Stores `object` as the result of `write`.
    pub fn commit(&mut self, write: &Write, object: Value) {
        match write {
            Write::Replace(_) => self.last_applied = None,
            Write::Apply(m) => self.last_applied = Some(m.clone()),
            Write::Annotate(_) | Write::Label(_) => {}
        }
        self.object = object;
    }

    /// The stored annotations.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        string_map(&self.object["metadata"]["annotations"])
    }

    /// The stored labels.
    pub fn labels(&self) -> BTreeMap<String, String> {
        string_map(&self.object["metadata"]["labels"])
    }
}

fn to_map(pairs: &BTreeMap<String, String>) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Sets or removes keys in `metadata.<field>`, as a JSON merge patch does (a map that ends up
/// empty stays, empty; one that was absent is created).
fn merge(object: &mut Value, field: &str, pairs: &[(String, Option<String>)]) {
    let map = &mut object["metadata"][field];
    if !map.is_object() {
        *map = Value::Object(Map::new());
    }
    let Value::Object(map) = map else {
        unreachable!("made an object above")
    };
    for (k, v) in pairs {
        match v {
            Some(v) => {
                map.insert(k.clone(), Value::String(v.clone()));
            }
            None => {
                map.remove(k);
            }
        }
    }
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

// --- writes, generated -----------------------------------------------------------------------

/// The keys written, and the values each may get. Small pools, so that writes meet values the
/// guard derived (`app=east-west-gateway`, `tetrate-system`) as often as new ones.
const POOL: &[(&str, &[&str])] = &[
    (
        NAME,
        &["gw-a", "gw-b", "east-west-gateway", "Bad_Name", "9gw"],
    ),
    (
        SELECTOR,
        &[
            "app=gw-a",
            "app=gw-b",
            "app=east-west-gateway",
            "app=gw-c,tier=edge",
            "tier=edge",
            "app = gw-a",
            "app=9gw",
        ],
    ),
    (GW_NS, &["tetrate-system", "gateways", "Bad_NS"]),
    (DEPLOY, &["true", "false", "yes"]),
    (GLOBAL, &["true", "false", "True"]),
    (
        CLOUD,
        &[
            "service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"",
            "a: [",
        ],
    ),
    ("traffic.tetrate.io/eastwest-gateway-nmae", &["gw-b"]),
    ("example.com/team", &["payments"]),
];

/// The record's values as a user might leave them: garbage, a claim of the wrong value, a
/// claim of a name, an empty record.
const RECORDS: &[&str] = &[
    "garbage",
    "{}",
    r#"{"eastwest-gateway-workload-selector":"app=gw-a"}"#,
    r#"{"eastwest-gateway-name":"gw-a","eastwest-gateway-deploy":"true"}"#,
];

/// One annotation set (with a value) or removed (`None`).
pub fn entry(record: bool) -> impl Strategy<Value = (String, Option<String>)> {
    let keys = POOL.len() + usize::from(record);
    (0..keys, any::<prop::sample::Index>(), 0..5u8).prop_map(move |(k, v, remove)| {
        let (key, values): (&str, &[&str]) = POOL.get(k).copied().unwrap_or((RECORD, RECORDS));
        let value = (remove != 0).then(|| v.get(values).to_string());
        (key.to_owned(), value)
    })
}

/// A manifest's annotations.
pub fn manifest(record: bool) -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::vec(entry(record), 0..6).prop_map(|entries| {
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    })
}

pub fn write(record: bool) -> impl Strategy<Value = Write> {
    prop_oneof![
        6 => prop::collection::vec(entry(record), 1..3).prop_map(Write::Annotate),
        1 => (0..3usize, any::<bool>()).prop_map(|(k, set)| {
            // A traffic.tetrate.io/ key as a label (EW012), and a plain one.
            let key = [GLOBAL, NAME, "team"][k];
            Write::Label(vec![(key.to_owned(), set.then(|| "true".to_owned()))])
        }),
        2 => manifest(record).prop_map(Write::Replace),
        2 => manifest(record).prop_map(Write::Apply),
    ]
}

/// A Namespace created from a manifest, then written to.
pub fn sequence(record: bool) -> impl Strategy<Value = (BTreeMap<String, String>, Vec<Write>)> {
    (
        manifest(record),
        prop::collection::vec(write(record), 1..12),
    )
}

// --- with and without the mutating webhook ----------------------------------------------------

/// The gateway keys the defaults patch writes, spelt out (see `objects`).
pub const DERIVABLE: [&str; 4] = [
    "traffic.tetrate.io/eastwest-gateway-name",
    "traffic.tetrate.io/eastwest-gateway-workload-selector",
    "traffic.tetrate.io/eastwest-gateway-namespace",
    "traffic.tetrate.io/eastwest-gateway-deploy",
];

/// The annotation in which the guard records what it derived.
pub const RECORD: &str = "eastwest-guard.tetrate.io/derived";

/// The gateway settings the agent derives from stored annotations: name, selector, namespace
/// and deploy, or why it cannot derive them.
pub type Settings = Result<[String; 4], String>;

pub fn agent_settings(annotations: &BTreeMap<String, String>) -> Settings {
    let map: eastwest_guard::rules::StrMap = annotations.iter().collect();
    let config = eastwest_guard::rules::Config::default();
    eastwest_guard::rules::gateway::derive(Some(&map), &config)
        .map(|g| {
            [
                g.name.into_owned(),
                g.workload_selector.into_owned(),
                g.namespace.into_owned(),
                g.deploy.into_owned(),
            ]
        })
        .map_err(|e| format!("{e:?}"))
}

/// The record as the guard writes it: short key to value.
pub fn record_of(annotations: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    serde_json::from_str(annotations.get(RECORD)?).ok()
}

/// The same writes stored twice: through the mutating webhook (its patch applied to the object
/// each write sends, as kube-apiserver applies it) and without it (the object as sent).
#[derive(Clone, Debug)]
pub struct Worlds {
    pub with: Store,
    pub without: Store,
    /// A write the webhook cannot see happened: one that sets a key the guard wrote to the
    /// value it already holds (`kubectl annotate ... selector=app=gw-a` where the guard derived
    /// `app=gw-a`). The object is the same before and after, so nothing tells the guard that
    /// the user now means that value; without the webhook the same write adds a key. Or a
    /// write to the record itself, which tells the guard what the user wants it to own. Until
    /// a replace makes every key the user's again, the two stores may differ by that key.
    pub unseen_write: bool,
}

/// What one write did in the store with the webhook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ops {
    pub added: usize,
    pub replaced: usize,
    pub removed: usize,
}

impl Worlds {
    /// No Namespace yet: the first write creates it.
    pub fn new() -> Worlds {
        let store = Store::created(&BTreeMap::new());
        Worlds {
            with: store.clone(),
            without: store,
            unseen_write: false,
        }
    }

    /// Takes one write: `sent` is the object it sends in the store with the webhook (from
    /// [`Store::request`]), `patch` the webhook's answer to it. Checks what must hold of every
    /// answer, stores both, and checks the two stores against each other.
    pub fn commit(
        &mut self,
        write: &Write,
        sent: Value,
        patch: Option<&json_patch::Patch>,
    ) -> Result<Ops, String> {
        let old = string_map(&self.with.object["metadata"]["annotations"]);
        let sent_ann = string_map(&sent["metadata"]["annotations"]);
        let mut ops = Ops::default();
        let mut stored = sent.clone();
        if let Some(patch) = patch {
            if patch.0.is_empty() {
                return Err("an empty patch".into());
            }
            for op in &patch.0 {
                let path = op.path().to_string();
                let key = path
                    .strip_prefix("/metadata/annotations/")
                    .map(|k| k.replace("~1", "/").replace("~0", "~"))
                    .ok_or_else(|| format!("patch outside the annotations: {op}"))?;
                if !DERIVABLE.contains(&key.as_str()) && key != RECORD {
                    return Err(format!("patch of a key the guard does not write: {op}"));
                }
                let changed_by_write = sent_ann.get(&key) != old.get(&key);
                match op {
                    json_patch::PatchOperation::Add(_) => {
                        if sent_ann.contains_key(&key) {
                            return Err(format!("add of a key the object has: {op}"));
                        }
                        ops.added += 1;
                    }
                    json_patch::PatchOperation::Replace(_)
                    | json_patch::PatchOperation::Remove(_) => {
                        if !sent_ann.contains_key(&key) {
                            return Err(format!("{op} of a key the object lacks"));
                        }
                        // Unless the write also claims the key in the record (a record the
                        // user writes is taken as written).
                        if changed_by_write && key != RECORD && !write.touches(RECORD) {
                            return Err(format!("{op}: the write itself set {key}"));
                        }
                        if matches!(op, json_patch::PatchOperation::Replace(_)) {
                            ops.replaced += 1;
                        } else {
                            ops.removed += 1;
                        }
                    }
                    other => return Err(format!("unexpected operation {other}")),
                }
            }
            json_patch::patch(&mut stored, patch)
                .map_err(|e| format!("the patch does not apply to the object sent: {e}"))?;
        }
        match write {
            // What the user writes in the record, the store without the webhook does not have.
            w if w.touches(RECORD) => self.unseen_write = true,
            Write::Replace(_) => self.unseen_write = false,
            _ => {
                let with_before = self.with.annotations();
                let without_before = self.without.annotations();
                for (k, v) in write.sets() {
                    if DERIVABLE[..2].contains(&k)
                        && with_before.get(k).map(String::as_str) == Some(v)
                        && without_before.get(k).map(String::as_str) != Some(v)
                    {
                        self.unseen_write = true;
                    }
                }
            }
        }
        let plain = self.without.request(write);
        self.with.commit(write, stored);
        self.without.commit(write, plain);
        self.check()?;
        Ok(ops)
    }

    /// What must hold between the two stores after every write.
    pub fn check(&self) -> Result<(), String> {
        let with = self.with.annotations();
        let without = self.without.annotations();
        // The record claims only keys that hold the value it records (on a Namespace without
        // a traffic.tetrate.io/ key, which the guard never touches, whatever a user left).
        let record = record_of(&with);
        let guarded = with
            .keys()
            .chain(self.with.labels().keys())
            .any(|k| k.starts_with("traffic.tetrate.io/"));
        if guarded && with.contains_key(RECORD) && record.is_none() {
            return Err(format!("the record does not read: {with:?}"));
        }
        for (short, value) in record.iter().flatten().filter(|_| guarded) {
            let key = format!("traffic.tetrate.io/{short}");
            if !DERIVABLE.contains(&key.as_str()) || with.get(&key) != Some(value) {
                return Err(format!("the record claims {short}={value}: {with:?}"));
            }
        }
        // Everything but the derivable keys and the record is as the user wrote it.
        let others = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.iter()
                .filter(|(k, _)| !DERIVABLE.contains(&k.as_str()) && *k != RECORD)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        if others(&with) != others(&without) || self.with.labels() != self.without.labels() {
            return Err(format!(
                "keys the guard never writes differ: {with:?} vs {without:?}"
            ));
        }
        if self.unseen_write {
            return Ok(());
        }
        // A derivable key is the user's (as without the webhook) or the guard's (recorded).
        for key in DERIVABLE {
            let short = &key["traffic.tetrate.io/".len()..];
            let recorded = record.as_ref().and_then(|r| r.get(short));
            if with.get(key) != without.get(key) && with.get(key) != recorded {
                return Err(format!(
                    "{key} is neither the user's nor recorded: {with:?} vs {without:?}"
                ));
            }
        }
        let (a, b) = (agent_settings(&with), agent_settings(&without));
        if a != b {
            return Err(format!(
                "the agent derives {a:?} with the webhook and {b:?} without\nwith:    {with:?}\nwithout: {without:?}"
            ));
        }
        Ok(())
    }
}
