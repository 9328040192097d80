//! The corpus of the rules tests' cases: every review the rules tests (tests/rules) judge
//! goes through [`validate`], which keeps the case (kind, operation, origin, names, the object
//! and the old object as the engine reads them, the configuration, the cluster's contents and
//! the decision's rule IDs with their levels) as a JSON file in tests/data/rules/cases, named
//! by a hash of its input. Like a golden file:
//!
//! - in a normal run, the case's file must exist and hold the same input and the same decision,
//!   so the committed corpus holds every case of the rules tests, each with its decision today;
//! - `EASTWEST_GUARD_RECORD_CASES=1 cargo test --test rules` writes the files (remove the
//!   directory first to drop cases no test makes any more), to review with `git diff`.
//!
//! An input past [`MAX_KEPT_INPUT`] (the tests of bounded answers to megabyte annotations) is
//! kept as its size and decision only, without the input: [`Case::input_kept`] is false.
//!
//! Other tests read the corpus ([`corpus`]) to judge every case another way: `diff` against
//! `check` (tests/cli/diff_agrees_with_check.rs), and, for a later check, a CEL translation of
//! the rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use eastwest_guard::rules::{
    self, ClusterView, Config, Decision, Level, Lookup, NamespaceFacts, NoCluster, ObjectView,
    Operation, Origin, ResourceKind, Review, RuleId, ServicesOf,
};
use serde_json::{Value, json};

/// Where the corpus is.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules/cases")
}

/// A cluster view whose contents a case can keep.
pub trait Recorded: ClusterView {
    /// The contents, as JSON; `null` for no cluster at all.
    fn contents(&self) -> Value;
}

impl Recorded for NoCluster {
    fn contents(&self) -> Value {
        Value::Null
    }
}

/// A cluster view answering from fixed facts: a Namespace it does not hold is `Missing`; the
/// Services of a Namespace it was given none for are `Found` and empty.
#[derive(Clone, Debug, Default)]
pub struct FakeCluster {
    pub namespaces: BTreeMap<String, Arc<NamespaceFacts>>,
    pub services: BTreeMap<String, ServicesOf>,
}

impl FakeCluster {
    pub fn with_namespace(
        mut self,
        name: &str,
        labels: &[(&str, &str)],
        ann: &[(&str, &str)],
    ) -> Self {
        let to_map = |p: &[(&str, &str)]| {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        self.namespaces.insert(
            name.into(),
            Arc::new(NamespaceFacts {
                labels: to_map(labels),
                annotations: to_map(ann),
            }),
        );
        self
    }

    pub fn with_services(mut self, ns: &str, labelled: usize, unlabelled: &[&str]) -> Self {
        self.services.insert(
            ns.into(),
            ServicesOf {
                labelled,
                unlabelled_first: unlabelled.iter().take(10).map(|s| s.to_string()).collect(),
                unlabelled: unlabelled.len(),
            },
        );
        self
    }

    /// The view a case's `cluster` holds: `None` for no cluster at all.
    pub fn from_contents(v: &Value) -> Option<FakeCluster> {
        if v.is_null() {
            return None;
        }
        let str_map = |m: &Value| -> rules::StrMap {
            m.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
                .collect()
        };
        let mut cluster = FakeCluster::default();
        for (name, facts) in v["namespaces"].as_object().into_iter().flatten() {
            cluster.namespaces.insert(
                name.clone(),
                Arc::new(NamespaceFacts {
                    labels: str_map(&facts["labels"]),
                    annotations: str_map(&facts["annotations"]),
                }),
            );
        }
        for (ns, s) in v["services"].as_object().into_iter().flatten() {
            let names = |v: &Value| -> Vec<String> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            };
            cluster.services.insert(
                ns.clone(),
                ServicesOf {
                    labelled: s["labelled"].as_u64().unwrap_or_default() as usize,
                    unlabelled_first: names(&s["unlabelledFirst"]),
                    unlabelled: s["unlabelled"].as_u64().unwrap_or_default() as usize,
                },
            );
        }
        Some(cluster)
    }
}

impl ClusterView for FakeCluster {
    fn namespace(&self, name: &str) -> Lookup<Arc<NamespaceFacts>> {
        match self.namespaces.get(name) {
            Some(f) => Lookup::Found(f.clone()),
            None => Lookup::Missing,
        }
    }
    fn services(&self, namespace: &str) -> Lookup<ServicesOf> {
        match self.services.get(namespace) {
            Some(s) => Lookup::Found(s.clone()),
            None => Lookup::Found(ServicesOf::default()),
        }
    }
}

impl Recorded for FakeCluster {
    fn contents(&self) -> Value {
        let map = |m: &rules::StrMap| -> Value {
            Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect(),
            )
        };
        json!({
            "namespaces": self.namespaces.iter().map(|(name, f)| {
                (name.clone(), json!({"labels": map(&f.labels), "annotations": map(&f.annotations)}))
            }).collect::<serde_json::Map<_, _>>(),
            "services": self.services.iter().map(|(ns, s)| {
                (ns.clone(), json!({
                    "labelled": s.labelled,
                    "unlabelledFirst": s.unlabelled_first,
                    "unlabelled": s.unlabelled,
                }))
            }).collect::<serde_json::Map<_, _>>(),
        })
    }
}

fn operation_text(op: &Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

fn kind_text(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Namespace => "Namespace",
        ResourceKind::Service => "Service",
        ResourceKind::Other => "Other",
    }
}

fn config_json(c: &Config) -> Value {
    let mut v = json!({
        "triggerLabels": c.trigger_labels,
        "cloudAnnotationPrefixes": c.cloud_annotation_prefixes,
        "defaultGatewayName": c.default_gateway_name,
        "defaultGatewayNamespace": c.default_gateway_namespace,
        "warnRules": c.warn_rules.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "warnOnly": c.warn_only,
    });
    // Only when set, so the cases made without it keep their names (a hash of the input).
    if c.deny_existing {
        v["denyExisting"] = json!(true);
    }
    v
}

/// The configuration a case's `config` holds.
pub fn config_from(v: &Value) -> Config {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    Config {
        trigger_labels: v["triggerLabels"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| {
                let kv = strings(pair);
                (kv[0].clone(), kv[1].clone())
            })
            .collect(),
        cloud_annotation_prefixes: strings(&v["cloudAnnotationPrefixes"]),
        default_gateway_name: v["defaultGatewayName"].as_str().unwrap().to_owned(),
        default_gateway_namespace: v["defaultGatewayNamespace"].as_str().unwrap().to_owned(),
        warn_rules: strings(&v["warnRules"])
            .iter()
            .map(|r| r.parse::<RuleId>().unwrap())
            .collect(),
        warn_only: v["warnOnly"].as_bool().unwrap(),
        deny_existing: v["denyExisting"].as_bool().unwrap_or(false),
    }
}

/// The decision as the corpus keeps it: each violation's rule and level, in order.
pub fn decision_json(d: &Decision) -> Value {
    Value::Array(
        d.violations
            .iter()
            .map(|v| json!({"rule": v.rule.as_str(), "level": v.level}))
            .collect(),
    )
}

/// The input of a review, as a case keeps it.
fn input(review: &Review<'_>, config: &Config, cluster: &dyn Recorded) -> Value {
    let object = |o: Option<&ObjectView>| serde_json::to_value(o).unwrap();
    json!({
        "kind": kind_text(review.kind),
        "operation": operation_text(&review.operation),
        "origin": match review.origin {
            Origin::Admission => "admission",
            Origin::Manifests => "manifests",
        },
        "name": review.name,
        "namespace": review.namespace,
        "object": object(review.object),
        "oldObject": object(review.old_object),
        "config": config_json(config),
        "cluster": cluster.contents(),
    })
}

/// FNV-1a, 64 bits: a name for a case that stays the same from run to run and release to
/// release (std's hashers promise neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub fn recording() -> bool {
    std::env::var_os("EASTWEST_GUARD_RECORD_CASES").is_some_and(|v| v == "1")
}

/// Inputs past this many bytes of JSON are kept without the input itself.
pub const MAX_KEPT_INPUT: usize = 64 * 1024;

/// Judges `review` with the engine, and keeps the case (recording) or checks that the corpus
/// holds it with this decision.
pub fn validate(review: &Review<'_>, config: &Config, cluster: &dyn Recorded) -> Decision {
    let decision = rules::validate(review, config, cluster);
    let full = input(review, config, cluster);
    let text = serde_json::to_string(&full).unwrap();
    let path = dir().join(format!("{:016x}.json", fnv1a(text.as_bytes())));
    let input = if text.len() > MAX_KEPT_INPUT {
        json!({"inputOmitted": {"bytes": text.len()}})
    } else {
        full
    };
    let mut case = input.clone();
    case["decision"] = decision_json(&decision);
    if recording() {
        write_atomically(&path, &case);
        return decision;
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: a case of the rules tests that the corpus does not hold; record the \
             corpus with EASTWEST_GUARD_RECORD_CASES=1 cargo test --test rules and review \
             git diff tests/data/rules/cases\ncase: {case:#}",
            path.display()
        )
    });
    let kept: Value = serde_json::from_str(&kept)
        .unwrap_or_else(|e| panic!("{}: not a case: {e}", path.display()));
    let mut kept_input = kept.clone();
    if let Some(o) = kept_input.as_object_mut() {
        o.remove("decision");
    }
    assert_eq!(kept_input, input, "{}: another input", path.display());
    assert_eq!(
        kept["decision"],
        case["decision"],
        "{}: the decision differs from the one recorded (if the change is intended, record \
         the corpus again with EASTWEST_GUARD_RECORD_CASES=1)",
        path.display()
    );
    decision
}

/// Parallel tests can make the same case: each writes a whole file and renames it into place.
fn write_atomically(path: &Path, case: &Value) {
    let dir = dir();
    std::fs::create_dir_all(&dir).unwrap();
    let text = serde_json::to_string_pretty(case).unwrap() + "\n";
    let tmp = dir.join(format!(
        ".{}.{:?}.tmp",
        path.file_name().unwrap().to_string_lossy(),
        std::thread::current().id()
    ));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// One case of the corpus.
#[derive(Clone, Debug)]
pub struct Case {
    pub file: PathBuf,
    pub json: Value,
}

impl Case {
    /// Whether the input is in the corpus (it is unless past [`MAX_KEPT_INPUT`]).
    pub fn input_kept(&self) -> bool {
        self.json.get("inputOmitted").is_none()
    }

    pub fn kind(&self) -> ResourceKind {
        match self.json["kind"].as_str() {
            Some("Namespace") => ResourceKind::Namespace,
            Some("Service") => ResourceKind::Service,
            _ => ResourceKind::Other,
        }
    }

    pub fn operation(&self) -> &str {
        self.json["operation"].as_str().unwrap_or_default()
    }

    pub fn object(&self) -> Option<ObjectView> {
        serde_json::from_value(self.json["object"].clone()).unwrap()
    }

    pub fn old_object(&self) -> Option<ObjectView> {
        serde_json::from_value(self.json["oldObject"].clone()).unwrap()
    }

    pub fn config(&self) -> Config {
        config_from(&self.json["config"])
    }

    pub fn cluster(&self) -> Option<FakeCluster> {
        FakeCluster::from_contents(&self.json["cluster"])
    }

    /// The recorded decision: (rule, level) in order.
    pub fn decision(&self) -> Vec<(RuleId, Level)> {
        self.json["decision"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                let rule = v["rule"].as_str().unwrap().parse::<RuleId>().unwrap();
                let level = match v["level"].as_str() {
                    Some("deny") => Level::Deny,
                    _ => Level::Warn,
                };
                (rule, level)
            })
            .collect()
    }
}

impl Case {
    /// The engine's decision on this case's input now (the input must be kept).
    pub fn judge(&self) -> Decision {
        let (object, old_object) = (self.object(), self.old_object());
        let operation = match self.operation() {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            _ => Operation::Connect,
        };
        let review = Review {
            operation,
            kind: self.kind(),
            name: self.json["name"].as_str().unwrap_or_default(),
            namespace: self.json["namespace"].as_str(),
            object: object.as_ref(),
            old_object: old_object.as_ref(),
            origin: match self.json["origin"].as_str() {
                Some("manifests") => Origin::Manifests,
                _ => Origin::Admission,
            },
        };
        let config = self.config();
        match self.cluster() {
            Some(cluster) => rules::validate(&review, &config, &cluster),
            None => rules::validate(&review, &config, &NoCluster),
        }
    }
}

/// Every case of the corpus, in file-name order.
pub fn corpus() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap_or_else(|e| panic!("{}: {e}", dir().display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let json =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            Case { file, json }
        })
        .collect()
}
