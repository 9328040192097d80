use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::rules::ObjectView;
use crate::rules::ResourceKind;
use crate::rules::model::Object;

const G: &str = "traffic.tetrate.io/global";

fn view(v: Value) -> ObjectView {
    serde_json::from_value(v).expect("an object")
}

fn ns(name: &str, labels: Value, annotations: Value) -> (ResourceKind, ObjectView) {
    (
        ResourceKind::Namespace,
        view(json!({"kind": "Namespace", "metadata": {
            "name": name, "labels": labels, "annotations": annotations}})),
    )
}

/// A Namespace with a workspace (the first trigger label).
fn ns_ws(name: &str, annotations: Value) -> (ResourceKind, ObjectView) {
    ns(name, json!({"tetrate.io/rev": "default"}), annotations)
}

fn svc(namespace: &str, name: &str, labels: Value) -> (ResourceKind, ObjectView) {
    (
        ResourceKind::Service,
        view(json!({"kind": "Service", "metadata": {
            "name": name, "namespace": namespace, "labels": labels}})),
    )
}

/// The model of one cluster's objects; each object's source is its index.
fn model(objects: &[(ResourceKind, ObjectView)], config: &Config) -> Model<usize> {
    Model::of(
        objects.iter().enumerate().map(|(i, (kind, o))| Object {
            kind: *kind,
            object: o,
            namespace: o.metadata.namespace.as_deref(),
            source: i,
        }),
        config,
    )
}

struct Setup {
    names: Vec<&'static str>,
    models: Vec<Model<usize>>,
    config: Config,
}

impl Setup {
    fn new(clusters: Vec<(&'static str, Vec<(ResourceKind, ObjectView)>)>) -> Self {
        Self::with(clusters, Config::default())
    }

    fn with(
        clusters: Vec<(&'static str, Vec<(ResourceKind, ObjectView)>)>,
        config: Config,
    ) -> Self {
        Setup {
            names: clusters.iter().map(|(n, _)| *n).collect(),
            models: clusters.iter().map(|(_, o)| model(o, &config)).collect(),
            config,
        }
    }

    fn judge(&self) -> Fleet<'_, usize> {
        let clusters: Vec<Cluster<'_, usize>> = self
            .names
            .iter()
            .zip(&self.models)
            .map(|(name, model)| Cluster { name, model })
            .collect();
        judge(&clusters, &self.config)
    }
}

fn rules_of<S>(fleet: &Fleet<'_, S>) -> Vec<(RuleId, String)> {
    fleet
        .findings
        .iter()
        .map(|f| (f.rule, f.object.to_string()))
        .collect()
}

fn only<'f, S>(fleet: &'f Fleet<'_, S>, rule: RuleId) -> &'f Finding<'f, S> {
    let of: Vec<&Finding<'_, S>> = fleet.findings.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(of.len(), 1, "one {rule}: {:#?}", rules_of(fleet));
    of[0]
}

#[test]
fn a_service_in_one_cluster_only_gets_nothing() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        // West has the Namespace without workspace, and another Service.
        (
            "west",
            vec![
                ns("pay", json!({}), json!({})),
                svc("pay", "other", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    assert_eq!(fleet.matrix().count(), 0);
    assert!(fleet.findings.is_empty(), "{:#?}", rules_of(&fleet));
}

#[test]
fn exposed_in_every_cluster_gets_no_finding_and_fails_over_both_ways() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    assert!(fleet.findings.is_empty(), "{:#?}", rules_of(&fleet));
    let row = fleet.matrix().next().expect("ledger runs in both");
    assert_eq!(row.targets(&row.runs[0]), Targets::To(vec![1]));
    assert_eq!(row.targets(&row.runs[1]), Targets::To(vec![0]));
}

#[test]
fn exposed_in_some_clusters_only_is_one_way_failover() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({})),
                svc("pay", "ledger", json!({G: "true"})),
            ],
        ),
        (
            "west",
            vec![ns_ws("pay", json!({})), svc("pay", "ledger", json!({}))],
        ),
        (
            "south",
            vec![
                ns_ws("pay", json!({})),
                svc("pay", "ledger", json!({G: "false"})),
            ],
        ),
    ]);
    let fleet = s.judge();
    assert_eq!(
        rules_of(&fleet),
        vec![(RuleId::EW051, "Service \"pay/ledger\"".into())]
    );
    let f = only(&fleet, RuleId::EW051);
    assert_eq!(f.level, Level::Warn);
    assert_eq!(f.clusters, vec![1, 2]);
    assert!(
        f.message
            .contains("exposed only in east, not in west, south"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("clients in east have no other cluster"),
        "{}",
        f.message
    );
    // The label to change, on the Service, in each cluster where it is not exposed.
    let places: Vec<(usize, &Field, Option<&usize>)> = f
        .places
        .iter()
        .map(|p| (p.cluster, &p.field, p.source))
        .collect();
    assert_eq!(
        places,
        vec![
            (1, &Field::Label(G.into()), Some(&1)),
            (2, &Field::Label(G.into()), Some(&1)),
        ]
    );
    let row = fleet.matrix().next().expect("a row");
    assert_eq!(row.targets(&row.runs[0]), Targets::ExposedNowhereElse);
    assert_eq!(row.targets(&row.runs[1]), Targets::To(vec![0]));
}

#[test]
fn no_trigger_label_where_it_runs_is_ew050() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns("pay", json!({}), json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    let f = only(&fleet, RuleId::EW050);
    assert_eq!(f.level, Level::Deny);
    assert_eq!(f.clusters, vec![1]);
    assert_eq!(f.places.len(), 1);
    assert_eq!(f.places[0].field, Field::Label("tetrate.io/rev".into()));
    assert_eq!(f.places[0].object.kind, "Namespace");
    assert_eq!(f.places[0].source, Some(&0));
    assert!(
        f.message.contains("no trigger label in west"),
        "{}",
        f.message
    );
    // West is not exposed either: one-way failover too.
    only(&fleet, RuleId::EW051);
    assert_eq!(fleet.errors(), 1);
    let row = fleet.matrix().next().expect("a row");
    assert_eq!(row.targets(&row.runs[1]), Targets::NoWorkspace);
    assert_eq!(row.targets(&row.runs[0]), Targets::ExposedNowhereElse);

    // Configured down to a warning.
    let mut config = Config::default();
    config.warn_rules.insert(RuleId::EW050);
    let s = Setup::with(
        vec![
            (
                "east",
                vec![
                    ns_ws("pay", json!({G: "true"})),
                    svc("pay", "ledger", json!({})),
                ],
            ),
            (
                "west",
                vec![
                    ns("pay", json!({}), json!({})),
                    svc("pay", "ledger", json!({})),
                ],
            ),
        ],
        config,
    );
    let fleet = s.judge();
    assert_eq!(only(&fleet, RuleId::EW050).level, Level::Warn);
    assert_eq!(fleet.errors(), 0);
}

#[test]
fn ew050_needs_exposure_somewhere_and_a_namespace_known_to_lack_the_label() {
    // Exposed nowhere: no failover to miss.
    let s = Setup::new(vec![
        (
            "east",
            vec![ns_ws("pay", json!({})), svc("pay", "ledger", json!({}))],
        ),
        (
            "west",
            vec![
                ns("pay", json!({}), json!({})),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    assert!(s.judge().findings.is_empty());
    // West's manifests do not hold the Namespace: unknown there, not judged.
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        ("west", vec![svc("pay", "ledger", json!({G: "true"}))]),
    ]);
    let fleet = s.judge();
    assert!(fleet.findings.is_empty(), "{:#?}", rules_of(&fleet));
}

#[test]
fn gateway_settings_that_differ_are_ew052() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "south",
            vec![
                ns_ws(
                    "pay",
                    json!({G: "true", "traffic.tetrate.io/eastwest-gateway-name": "gw-b"}),
                ),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    assert_eq!(
        rules_of(&fleet),
        vec![(RuleId::EW052, "Namespace \"pay\"".into())]
    );
    let f = only(&fleet, RuleId::EW052);
    assert_eq!(f.clusters, vec![2]);
    let Detail::Gateways(groups) = &f.detail else {
        panic!("{:?}", f.detail)
    };
    assert_eq!(groups[0].clusters, vec![0, 1]);
    assert_eq!(
        groups[1].differs,
        vec![Setting::Name, Setting::WorkloadSelector]
    );
    let fields: Vec<&Field> = f.places.iter().map(|p| &p.field).collect();
    assert_eq!(
        fields,
        vec![
            &Field::Annotation("traffic.tetrate.io/eastwest-gateway-name".into()),
            &Field::Annotation("traffic.tetrate.io/eastwest-gateway-workload-selector".into()),
        ]
    );
    assert!(f.message.contains("name \"gw-b\""), "{}", f.message);
}

#[test]
fn the_same_gateway_written_differently_or_off_in_one_cluster_is_no_ew052() {
    let sel = "traffic.tetrate.io/eastwest-gateway-workload-selector";
    let name = "traffic.tetrate.io/eastwest-gateway-name";
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws(
                    "pay",
                    json!({G: "true", name: "gw", sel: "app=gw,tier=edge"}),
                ),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns_ws(
                    "pay",
                    json!({G: "true", name: "gw", sel: "tier=edge,app=gw"}),
                ),
                svc("pay", "ledger", json!({})),
            ],
        ),
        // East-west off here (nothing labelled): its gateway is not in use.
        (
            "south",
            vec![
                ns_ws("pay", json!({name: "other"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    assert!(
        !fleet.findings.iter().any(|f| f.rule == RuleId::EW052),
        "{:#?}",
        rules_of(&fleet)
    );
}

#[test]
fn namespace_level_here_service_level_there_is_ew053_listing_the_difference() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "api", json!({})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns_ws("pay", json!({})),
                svc("pay", "api", json!({})),
                svc("pay", "ledger", json!({G: "true"})),
            ],
        ),
    ]);
    let fleet = s.judge();
    let f = only(&fleet, RuleId::EW053);
    assert_eq!(f.level, Level::Warn);
    assert_eq!(f.clusters, vec![1]);
    let Detail::Modes { modes, services } = &f.detail else {
        panic!("{:?}", f.detail)
    };
    assert_eq!(
        modes,
        &vec![
            (0, ExposureMode::NamespaceLevel),
            (1, ExposureMode::ServiceLevel)
        ]
    );
    assert_eq!(
        services,
        &vec![ModeDifference {
            name: "api".into(),
            exposed_in: vec![0],
            not_exposed_in: vec![1],
        }]
    );
    assert!(
        f.message
            .contains("namespace-level in east and service-level in west"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("api is exposed in east and not in west"),
        "{}",
        f.message
    );
    assert_eq!(f.places[0].field, Field::Annotation(G.into()));
    // api is exposed in east only: EW051 too; ledger is exposed in both.
    assert_eq!(
        rules_of(&fleet),
        vec![
            (RuleId::EW053, "Namespace \"pay\"".into()),
            (RuleId::EW051, "Service \"pay/api\"".into()),
        ]
    );
}

#[test]
fn modes_and_gateways_are_compared_without_trigger_labels_too() {
    // No trigger label anywhere: nothing is exposed, but the Namespaces are still written
    // differently, which matters the day they get their workspace.
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns("pay", json!({}), json!({G: "true"})),
                svc("pay", "api", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns(
                    "pay",
                    json!({}),
                    json!({"traffic.tetrate.io/eastwest-gateway-name": "other"}),
                ),
                svc("pay", "api", json!({})),
                svc("pay", "ledger", json!({G: "true"})),
            ],
        ),
    ]);
    let fleet = s.judge();
    assert_eq!(
        rules_of(&fleet),
        vec![
            (RuleId::EW052, "Namespace \"pay\"".into()),
            (RuleId::EW053, "Namespace \"pay\"".into()),
        ]
    );
    let f = only(&fleet, RuleId::EW053);
    assert!(
        f.message.contains("api is exposed in east and not in west"),
        "{}",
        f.message
    );
}

#[test]
fn the_same_mode_everywhere_is_no_ew053() {
    for annotations in [json!({G: "true"}), json!({})] {
        let s = Setup::new(vec![
            (
                "east",
                vec![
                    ns_ws("pay", annotations.clone()),
                    svc("pay", "api", json!({G: "true"})),
                ],
            ),
            (
                "west",
                vec![
                    ns_ws("pay", annotations.clone()),
                    svc("pay", "api", json!({G: "true"})),
                ],
            ),
        ]);
        let fleet = s.judge();
        assert!(fleet.findings.is_empty(), "{:#?}", rules_of(&fleet));
    }
}

#[test]
fn an_unusable_gateway_is_no_failover_target() {
    let s = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns_ws(
                    "pay",
                    json!({G: "true", "traffic.tetrate.io/eastwest-gateway-name": "1gw"}),
                ),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    let row = fleet.matrix().next().expect("a row");
    assert_eq!(row.runs[1].exposure.code(), "gateway-unusable");
    let f = only(&fleet, RuleId::EW051);
    assert_eq!(
        f.places[0].field,
        Field::Annotation("traffic.tetrate.io/eastwest-gateway-name".into())
    );
    assert!(f.message.contains("DNS-1035"), "{}", f.message);
}

#[test]
fn a_change_that_removes_exposure_loses_a_failover_target() {
    let before = Setup::new(vec![
        (
            "east",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
        (
            "west",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let after = Setup::new(vec![
        (
            "east",
            vec![ns_ws("pay", json!({})), svc("pay", "ledger", json!({}))],
        ),
        (
            "west",
            vec![
                ns_ws("pay", json!({G: "true"})),
                svc("pay", "ledger", json!({})),
            ],
        ),
    ]);
    let old = before.judge();
    let mut new = after.judge();
    let changes = compare(&old, &mut new, &after.config);
    assert_eq!(
        changes.targets,
        vec![TargetChange {
            namespace: "pay".into(),
            name: "ledger".into(),
            cluster: 1,
            before: vec![0],
            after: vec![],
            none_after: Some("exposed-nowhere-else"),
        },]
    );
    assert_eq!(changes.losses(), 1);
    // EW051 and EW053 are new.
    assert_eq!(changes.new_findings.len(), 2, "{:#?}", rules_of(&new));
    assert!(changes.fixed.is_empty());

    // The same fleet on both sides: nothing changes, and a deny already there is a warning.
    let broken = || {
        Setup::new(vec![
            (
                "east",
                vec![
                    ns_ws("pay", json!({G: "true"})),
                    svc("pay", "ledger", json!({})),
                ],
            ),
            (
                "west",
                vec![
                    ns("pay", json!({}), json!({})),
                    svc("pay", "ledger", json!({})),
                ],
            ),
        ])
    };
    let (a, b) = (broken(), broken());
    let old = a.judge();
    let mut new = b.judge();
    let changes = compare(&old, &mut new, &b.config);
    assert!(changes.is_empty(), "{changes:#?}");
    let f = only(&new, RuleId::EW050);
    assert!(f.pre_existing);
    assert_eq!(f.level, Level::Warn);
}

#[test]
fn rows_merge_namespaces_and_services_across_clusters() {
    let s = Setup::new(vec![
        (
            "a",
            vec![
                ns_ws("x", json!({G: "true"})),
                svc("x", "s1", json!({})),
                svc("x", "s3", json!({})),
                svc("z", "s1", json!({})),
            ],
        ),
        (
            "b",
            vec![
                ns_ws("w", json!({})),
                ns_ws("x", json!({G: "true"})),
                svc("x", "s2", json!({})),
                svc("x", "s3", json!({})),
            ],
        ),
    ]);
    let fleet = s.judge();
    let rows: Vec<(&str, &str, Vec<usize>)> = fleet
        .rows
        .iter()
        .map(|r| {
            (
                r.namespace,
                r.name,
                r.runs.iter().map(|p| p.cluster).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("x", "s1", vec![0]),
            ("x", "s2", vec![1]),
            ("x", "s3", vec![0, 1]),
            ("z", "s1", vec![0]),
        ]
    );
}

/// One Namespace's objects, the same in every cluster.
fn namespace_strategy() -> impl Strategy<Value = (bool, u8, Vec<(u8, u8)>)> {
    // (namespace-level, gateway variant, services: (label variant, type variant))
    (
        any::<bool>(),
        0u8..3,
        prop::collection::vec((0u8..4, 0u8..3), 1..5),
    )
}

/// A generated Namespace: namespace-level or not, a gateway variant, and its Services.
type GenNamespace<S> = (bool, u8, Vec<S>);
type Objects = Vec<(ResourceKind, ObjectView)>;

fn objects_of(namespaces: &[GenNamespace<(u8, u8)>]) -> Objects {
    let mut out = Vec::new();
    for (i, (level, gateway, services)) in namespaces.iter().enumerate() {
        let name = format!("ns{i}");
        let mut annotations = serde_json::Map::new();
        if *level {
            annotations.insert(G.into(), json!("true"));
        }
        match gateway {
            1 => {
                annotations.insert(
                    "traffic.tetrate.io/eastwest-gateway-name".into(),
                    json!("gw"),
                );
            }
            2 => {
                annotations.insert(
                    "traffic.tetrate.io/eastwest-gateway-workload-selector".into(),
                    json!("app=g2,tier=x"),
                );
            }
            _ => {}
        }
        out.push(ns_ws(&name, Value::Object(annotations)));
        for (j, (label, kind)) in services.iter().enumerate() {
            let labels = match label {
                0 => json!({}),
                1 => json!({G: "true"}),
                2 => json!({G: "false"}),
                _ => json!({G: "True"}),
            };
            let ty = ["ClusterIP", "LoadBalancer", "ExternalName"][usize::from(*kind)];
            out.push((
                ResourceKind::Service,
                view(json!({"kind": "Service", "metadata": {
                    "name": format!("s{j}"), "namespace": name, "labels": labels},
                    "spec": {"type": ty}})),
            ));
        }
    }
    out
}

proptest! {
    /// A Service exposed in every cluster where it runs, with identical Namespaces everywhere,
    /// gets no finding: whatever the Namespaces and Services, when every cluster holds the same
    /// objects the exposed Services are exposed everywhere they run, and nothing else differs.
    #[test]
    fn identical_clusters_get_no_finding(
        namespaces in prop::collection::vec(namespace_strategy(), 1..4),
        clusters in 2usize..5,
    ) {
        let objects = objects_of(&namespaces);
        let names = ["a", "b", "c", "d", "e"];
        let s = Setup::new(names[..clusters].iter().map(|n| (*n, objects.clone())).collect());
        let fleet = s.judge();
        prop_assert!(fleet.findings.is_empty(), "{:#?}", rules_of(&fleet));
        for row in fleet.matrix() {
            prop_assert_eq!(row.runs.len(), clusters);
            let exposed = row.runs[0].exposure.is_exposed();
            for p in &row.runs {
                prop_assert_eq!(p.exposure.is_exposed(), exposed);
                let targets = row.targets(p);
                if exposed {
                    prop_assert_eq!(targets.clusters().len(), clusters - 1);
                } else {
                    prop_assert_eq!(targets, Targets::ExposedNowhereElse);
                }
            }
        }
    }
}

/// A fleet whose Namespaces are the same in every cluster, whose Services each run in some of
/// the clusters (a bit per cluster) and are exposed everywhere they run or nowhere.
fn varied_fleet(namespaces: &[GenNamespace<(bool, u8)>], clusters: usize) -> Vec<Objects> {
    (0..clusters)
        .map(|c| {
            let mut out = Vec::new();
            for (i, (level, gateway, services)) in namespaces.iter().enumerate() {
                let name = format!("ns{i}");
                let mut annotations = serde_json::Map::new();
                if *level {
                    annotations.insert(G.into(), json!("true"));
                }
                if *gateway == 1 {
                    annotations.insert(
                        "traffic.tetrate.io/eastwest-gateway-namespace".into(),
                        json!("gateways"),
                    );
                }
                out.push(ns_ws(&name, Value::Object(annotations)));
                for (j, (exposed, runs)) in services.iter().enumerate() {
                    // At least one cluster: the lowest bit stands in for an empty mask.
                    let mask = if *runs == 0 { 1 } else { *runs };
                    if mask & (1 << c) == 0 {
                        continue;
                    }
                    let label = if *exposed {
                        json!({G: "true"})
                    } else {
                        json!({G: "false"})
                    };
                    out.push(svc(&name, &format!("s{j}"), label));
                }
            }
            out
        })
        .collect()
}

proptest! {
    /// Namespaces identical everywhere, and each Service exposed in every cluster where it runs
    /// (or in none), whichever clusters it runs in: no finding, and its failover targets from
    /// each cluster are the other clusters where it runs.
    #[test]
    fn exposed_wherever_it_runs_gets_no_finding(
        namespaces in prop::collection::vec(
            (any::<bool>(), 0u8..2, prop::collection::vec((any::<bool>(), any::<u8>()), 1..6)),
            1..4,
        ),
        clusters in 2usize..6,
    ) {
        let objects = varied_fleet(&namespaces, clusters);
        let names = ["a", "b", "c", "d", "e", "f"];
        let s = Setup::new(
            names[..clusters].iter().copied().zip(objects).collect(),
        );
        let fleet = s.judge();
        prop_assert!(fleet.findings.is_empty(), "{:#?}", rules_of(&fleet));
        for row in fleet.matrix() {
            for p in &row.runs {
                if p.exposure.is_exposed() {
                    prop_assert_eq!(row.targets(p).clusters().len(), row.runs.len() - 1);
                }
            }
        }
    }
}
