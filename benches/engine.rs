//! The rules engine's decision and patch for typical requests. Target for a typical east-west
//! Namespace (all keys set, three cloud annotations): under 10 microseconds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eastwest_guard::rules::{self, Config, NoCluster, ObjectView, ResourceKind, Review};
use eastwest_guard::server::admission::{self, Endpoint};

fn load(name: &str) -> ObjectView {
    let path = format!("{}/tests/data/objects/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_json::from_str(&text).expect("fixture parses")
}

fn engine(c: &mut Criterion) {
    let config = Config::default();
    let ns = load("namespace-payments.json");
    let svc = load("service-payment-api.json");
    let mut plain = ns.clone();
    plain.metadata.annotations = None;
    let mut needs_patch = ns.clone();
    if let Some(a) = needs_patch.metadata.annotations.as_mut() {
        *a = a
            .iter()
            .filter(|(k, _)| {
                !k.ends_with("eastwest-gateway-name")
                    && !k.ends_with("eastwest-gateway-workload-selector")
                    && !k.ends_with("eastwest-gateway-deploy")
            })
            .collect();
    }
    let mut old = ns.clone();
    if let Some(a) = old.metadata.annotations.as_mut() {
        a.insert("traffic.tetrate.io/eastwest-gateway-name", "old-gateway");
    }

    c.bench_function("validate/namespace_create_all_keys", |b| {
        b.iter(|| {
            rules::validate(
                black_box(&Review::create(ResourceKind::Namespace, &ns)),
                &config,
                &NoCluster,
            )
        })
    });
    c.bench_function("validate/namespace_update_all_keys", |b| {
        b.iter(|| {
            rules::validate(
                black_box(&Review::update(ResourceKind::Namespace, &old, &ns)),
                &config,
                &NoCluster,
            )
        })
    });
    c.bench_function("validate+mutate/namespace_create_all_keys", |b| {
        b.iter(|| {
            let review = Review::create(ResourceKind::Namespace, black_box(&ns));
            (
                rules::validate(&review, &config, &NoCluster),
                rules::mutate(&review, &config),
            )
        })
    });
    c.bench_function("mutate/namespace_missing_three_defaults", |b| {
        b.iter(|| {
            rules::mutate(
                black_box(&Review::create(ResourceKind::Namespace, &needs_patch)),
                &config,
            )
        })
    });
    // A Namespace the patch completed: it carries the record, and a later write (here one that
    // changes nothing the guard wrote) reads it; then a rename, which re-derives the selector.
    let completed = {
        let review = Review::create(ResourceKind::Namespace, &needs_patch);
        let m = rules::mutate(&review, &config).expect("the fixture needs defaults");
        let mut json = serde_json::to_value(&needs_patch).expect("serialises");
        json_patch::patch(&mut json, &m.patch).expect("the patch applies");
        serde_json::from_value::<ObjectView>(json).expect("reads back")
    };
    let mut renamed = completed.clone();
    if let Some(a) = renamed.metadata.annotations.as_mut() {
        a.insert(
            "traffic.tetrate.io/eastwest-gateway-workload-selector",
            "app=gw-b",
        );
    }
    c.bench_function("mutate/namespace_update_with_record_nothing_to_do", |b| {
        b.iter(|| {
            rules::mutate(
                black_box(&Review::update(
                    ResourceKind::Namespace,
                    &completed,
                    &completed,
                )),
                &config,
            )
        })
    });
    c.bench_function(
        "mutate/namespace_update_new_selector_re_derives_name",
        |b| {
            b.iter(|| {
                rules::mutate(
                    black_box(&Review::update(
                        ResourceKind::Namespace,
                        &completed,
                        &renamed,
                    )),
                    &config,
                )
            })
        },
    );
    c.bench_function("validate/service_labelled", |b| {
        b.iter(|| {
            rules::validate(
                black_box(&Review::create(ResourceKind::Service, &svc)),
                &config,
                &NoCluster,
            )
        })
    });
    c.bench_function("validate/plain_namespace_no_tetrate_key", |b| {
        b.iter(|| {
            rules::validate(
                black_box(&Review::create(ResourceKind::Namespace, &plain)),
                &config,
                &NoCluster,
            )
        })
    });
    let raw = std::fs::read_to_string(format!(
        "{}/tests/data/objects/namespace-payments.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let cloud = ns
        .annotation("traffic.tetrate.io/eastwest-gateway-cloud-annotations")
        .unwrap_or_default()
        .to_owned();
    c.bench_function("parse/cloud_annotations_three_entries", |b| {
        b.iter(|| rules::cloud::parse_yaml(black_box(&cloud)))
    });
    c.bench_function("parse/namespace_object_json", |b| {
        b.iter(|| serde_json::from_str::<ObjectView>(black_box(&raw)))
    });

    // The whole review as the server answers it, bytes in and bytes out (no TLS or HTTP):
    // the same 4 KB review scripts/loadtest.sh sends.
    let review = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/review-namespace-update.json"
    ))
    .expect("benches/data/review-namespace-update.json");
    for endpoint in [Endpoint::Validate, Endpoint::Mutate] {
        c.bench_function(&format!("answer/{}_review_4kb", endpoint.as_str()), |b| {
            b.iter(|| admission::answer(endpoint, black_box(&review), &config, &NoCluster))
        });
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
