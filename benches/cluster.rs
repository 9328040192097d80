//! Decisions with cluster lookups against a cache of 50,000 Services (issue 6): the decision
//! must stay within 2x of the same decision without lookups. Each review runs three ways:
//! without lookups, with the 50,000-Service cache, and with a cache holding only the one
//! Namespace it touches (the same findings as the big cache: the cost of the cache's size
//! alone). Each is measured twice: `lookups/...` the rules alone on parsed objects, and
//! `answer/...` the whole webhook answer, request body to response body, the decision time a
//! write waits for. Also prints the resident memory the 50,000-Service cache costs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eastwest_guard::cluster::{Change, ClusterCache};
use eastwest_guard::rules::{self, Config, NoCluster, ObjectView, ResourceKind, Review};
use eastwest_guard::server::admission::{Endpoint, answer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

const NAMESPACES: usize = 1_000;
const SERVICES: usize = 50_000;

fn meta(ns: Option<&str>, name: &str, labels: &[(&str, &str)], ann: &[(&str, &str)]) -> ObjectMeta {
    let m = |p: &[(&str, &str)]| {
        Some(
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    ObjectMeta {
        name: Some(name.into()),
        namespace: ns.map(str::to_owned),
        labels: m(labels),
        annotations: m(ann),
        uid: Some(format!("{name}-5b8f4f1e-4c1a-4a8e-9b7a-2f6d3c1e9a10")),
        ..ObjectMeta::default()
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Service number `i` of the big cache: in Namespace `team-{i % 1000}`, one in five labelled.
fn service(i: usize) -> ObjectMeta {
    let ns = format!("team-{:04}", i % NAMESPACES);
    let name = format!("service-{i:05}-api");
    let labels: &[(&str, &str)] = if i.is_multiple_of(5) {
        &[("app", "api"), ("traffic.tetrate.io/global", "true")]
    } else {
        &[("app", "api")]
    };
    meta(Some(&ns), &name, labels, &[])
}

/// 1,000 Namespaces (namespace-level, with trigger labels) and 50,000 Services spread over
/// them, one in five labelled; names like real ones.
fn big_cache() -> ClusterCache {
    let cache = ClusterCache::new();
    cache.namespace_changed(Change::ListStart);
    for i in 0..NAMESPACES {
        let name = format!("team-{i:04}");
        cache.namespace_changed(Change::Listed(&meta(
            None,
            &name,
            &[
                ("tetrate.io/rev", "default"),
                ("kubernetes.io/metadata.name", &name),
            ],
            &[
                ("traffic.tetrate.io/global", "true"),
                (
                    "kubectl.kubernetes.io/last-applied-configuration",
                    &"x".repeat(600),
                ),
            ],
        )));
    }
    cache.namespace_changed(Change::Listed(&meta(None, "tetrate-system", &[], &[])));
    cache.namespace_changed(Change::ListDone);
    cache.service_changed(Change::ListStart);
    for i in 0..SERVICES {
        cache.service_changed(Change::Listed(&service(i)));
    }
    cache.service_changed(Change::ListDone);
    cache
}

/// The same Namespace (and its Services, `service(i)` for every `i` that lands in it) the
/// reviews below touch, and nothing else: with it
/// the engine makes the same findings as with the big cache, so the two differ only by the
/// cache's size.
fn small_cache() -> ClusterCache {
    let cache = ClusterCache::new();
    cache.namespace_changed(Change::ListStart);
    cache.namespace_changed(Change::Listed(&meta(
        None,
        "team-0042",
        &[
            ("tetrate.io/rev", "default"),
            ("kubernetes.io/metadata.name", "team-0042"),
        ],
        &[("traffic.tetrate.io/global", "true")],
    )));
    cache.namespace_changed(Change::Listed(&meta(None, "tetrate-system", &[], &[])));
    cache.namespace_changed(Change::ListDone);
    cache.service_changed(Change::ListStart);
    for i in (42..SERVICES).step_by(NAMESPACES) {
        cache.service_changed(Change::Listed(&service(i)));
    }
    cache.service_changed(Change::ListDone);
    cache
}

fn object(json: serde_json::Value) -> ObjectView {
    serde_json::from_value(json).expect("object")
}

fn lookups(c: &mut Criterion) {
    let before = rss_kib();
    let cache = big_cache();
    let after = rss_kib();
    assert!(cache.is_synced());
    eprintln!(
        "cache of {NAMESPACES} Namespaces and {SERVICES} Services: {:.1} MiB resident ({} KiB before, {} KiB after)",
        (after.saturating_sub(before)) as f64 / 1024.0,
        before,
        after
    );
    let small = small_cache();
    let config = Config::default();
    let ns_level_json = serde_json::json!({"metadata": {"name": "team-0042",
        "labels": {"tetrate.io/rev": "default"},
        "annotations": {"traffic.tetrate.io/global": "true", "traffic.tetrate.io/eastwest-gateway-name": "gw"}}});
    let service_level_json = serde_json::json!({"metadata": {"name": "team-0042",
        "labels": {"tetrate.io/rev": "default"},
        "annotations": {"traffic.tetrate.io/eastwest-gateway-name": "gw"}}});
    let svc_old_json = serde_json::json!({"metadata": {"name": "service-00042-api", "namespace": "team-0042",
        "labels": {"app": "api"}}, "spec": {"type": "ClusterIP"}});
    let svc_new_json = serde_json::json!({"metadata": {"name": "service-00042-api", "namespace": "team-0042",
        "labels": {"app": "api", "traffic.tetrate.io/global": "true"}}, "spec": {"type": "ClusterIP"}});
    // The same outcome with and without the cache (no finding either way): the lookups' own
    // cost, apart from the extra findings they make possible.
    let svc_relabel_json = serde_json::json!({"metadata": {"name": "service-00042-api", "namespace": "team-0042",
        "labels": {"app": "api", "tier": "backend", "traffic.tetrate.io/global": "true"}}, "spec": {"type": "ClusterIP"}});
    let ns_level = object(ns_level_json.clone());
    let service_level = object(service_level_json.clone());
    let svc_old = object(svc_old_json.clone());
    let svc_new = object(svc_new_json.clone());
    let svc_relabel = object(svc_relabel_json.clone());
    let cases: [(&str, Review); 4] = [
        (
            "service_update_same_exposure",
            Review::update(ResourceKind::Service, &svc_new, &svc_relabel),
        ),
        (
            "namespace_switch_off_ew020",
            Review::update(ResourceKind::Namespace, &ns_level, &service_level),
        ),
        (
            "namespace_create_ew032",
            Review::create(ResourceKind::Namespace, &ns_level),
        ),
        (
            "service_label_ew022_ew031",
            Review::update(ResourceKind::Service, &svc_old, &svc_new),
        ),
    ];
    // The same four writes as kube-apiserver sends them: the webhook's whole decision, from
    // the request body to the response body (parse, rules, response).
    let bodies: [(&str, Vec<u8>); 4] = [
        (
            "service_update_same_exposure",
            admission_review(&svc_relabel_json, Some(&svc_new_json)),
        ),
        (
            "namespace_switch_off_ew020",
            admission_review(&service_level_json, Some(&ns_level_json)),
        ),
        (
            "namespace_create_ew032",
            admission_review(&ns_level_json, None),
        ),
        (
            "service_label_ew022_ew031",
            admission_review(&svc_new_json, Some(&svc_old_json)),
        ),
    ];
    // Instruction counts instead of times, for a shared machine where times swing:
    // EASTWEST_BENCH_ITERATIONS=N EASTWEST_BENCH_CASE=name/arm runs that one decision N times
    // and no benchmark; run it under `valgrind --tool=callgrind
    // --toggle-collect=eastwest_guard::rules::validate` and divide the total by N.
    if let (Ok(n), Ok(which)) = (
        std::env::var("EASTWEST_BENCH_ITERATIONS"),
        std::env::var("EASTWEST_BENCH_CASE"),
    ) {
        let n: usize = n.parse().expect("EASTWEST_BENCH_ITERATIONS is a number");
        let arms: [(&str, &dyn rules::ClusterView); 3] = [
            ("no_cluster", &NoCluster),
            ("cache_50k_services", &cache),
            ("cache_one_namespace", &small),
        ];
        for (name, review) in &cases {
            for (arm, view) in arms {
                if which == format!("{name}/{arm}") {
                    for _ in 0..n {
                        black_box(rules::validate(black_box(review), &config, view));
                    }
                    eprintln!("{which}: {n} decisions");
                }
            }
        }
        for (name, body) in &bodies {
            for (arm, view) in arms {
                if which == format!("answer/{name}/{arm}") {
                    for _ in 0..n {
                        black_box(answer(Endpoint::Validate, black_box(body), &config, view));
                    }
                    eprintln!("{which}: {n} answers");
                }
            }
        }
        return;
    }
    for (name, review) in cases {
        c.bench_function(&format!("lookups/{name}/no_cluster"), |b| {
            b.iter(|| rules::validate(black_box(&review), &config, &NoCluster))
        });
        c.bench_function(&format!("lookups/{name}/cache_50k_services"), |b| {
            b.iter(|| rules::validate(black_box(&review), &config, &cache))
        });
        // Same findings as the 50k run: isolates the cost of the cache's size.
        c.bench_function(&format!("lookups/{name}/cache_one_namespace"), |b| {
            b.iter(|| rules::validate(black_box(&review), &config, &small))
        });
        // The decisions must be the same with either cache, or the comparison means nothing.
        assert_eq!(
            rules::validate(&review, &config, &cache),
            rules::validate(&review, &config, &small),
            "{name}: the two caches must give the same decision"
        );
    }
    for (name, body) in &bodies {
        c.bench_function(&format!("answer/{name}/no_cluster"), |b| {
            b.iter(|| answer(Endpoint::Validate, black_box(body), &config, &NoCluster))
        });
        c.bench_function(&format!("answer/{name}/cache_50k_services"), |b| {
            b.iter(|| answer(Endpoint::Validate, black_box(body), &config, &cache))
        });
        let with_cache = answer(Endpoint::Validate, body, &config, &cache);
        assert_eq!(
            with_cache.http_status, 200,
            "{name}: {:?}",
            with_cache.error
        );
        assert_eq!(
            with_cache.body,
            answer(Endpoint::Validate, body, &config, &small).body,
            "{name}: the two caches must give the same answer"
        );
    }
}

/// A validating AdmissionReview for writing `object` (an UPDATE when `old` is given), shaped
/// like kube-apiserver's: request and resource kinds, user, options.
fn admission_review(object: &serde_json::Value, old: Option<&serde_json::Value>) -> Vec<u8> {
    let meta = &object["metadata"];
    let is_service = meta.get("namespace").is_some();
    let (kind, resource) = if is_service {
        ("Service", "services")
    } else {
        ("Namespace", "namespaces")
    };
    let mut obj = object.clone();
    obj["apiVersion"] = "v1".into();
    obj["kind"] = kind.into();
    let mut request = serde_json::json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": resource},
        "requestKind": {"group": "", "version": "v1", "kind": kind},
        "requestResource": {"group": "", "version": "v1", "resource": resource},
        "name": meta["name"],
        "operation": if old.is_some() { "UPDATE" } else { "CREATE" },
        "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
            "groups": ["system:serviceaccounts", "system:authenticated"]},
        "object": obj,
        "dryRun": false,
        "options": {"kind": if old.is_some() { "UpdateOptions" } else { "CreateOptions" },
            "apiVersion": "meta.k8s.io/v1", "fieldManager": "argocd-controller"},
    });
    if let Some(ns) = meta.get("namespace") {
        request["namespace"] = ns.clone();
    }
    if let Some(old) = old {
        let mut old = old.clone();
        old["apiVersion"] = "v1".into();
        old["kind"] = kind.into();
        request["oldObject"] = old;
    }
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    }))
    .expect("review")
}

criterion_group!(benches, lookups);
criterion_main!(benches);
