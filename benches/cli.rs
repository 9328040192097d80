//! The CLI's read and check of a 10,000-document manifest stream (1,000 Namespaces, 5,000
//! Services, 4,000 Deployments, like a large repository's `kustomize build` output).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use eastwest_guard::cli::{check, manifests};
use eastwest_guard::rules::Config;

fn corpus() -> String {
    let mut out = String::with_capacity(3 << 20);
    for i in 0..1_000 {
        let annotations = if i % 2 == 0 {
            "  annotations:\n    traffic.tetrate.io/global: \"true\"\n    traffic.tetrate.io/eastwest-gateway-name: team-gw\n    traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n      service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n      service.beta.kubernetes.io/aws-load-balancer-scheme: \"internal\"\n"
        } else {
            ""
        };
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{i:04}\n  labels:\n    tetrate.io/rev: default\n{annotations}"
        ));
        for j in 0..5 {
            let label = if j == 0 {
                "    traffic.tetrate.io/global: \"true\"\n"
            } else {
                ""
            };
            out.push_str(&format!(
                "---\n# service {j} of team {i}\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{j}\n  namespace: team-{i:04}\n  labels:\n    app: svc-{j}\n{label}spec:\n  selector:\n    app: svc-{j}\n  ports:\n  - name: http\n    port: 8080\n    targetPort: 8080\n"
            ));
        }
        for j in 0..4 {
            out.push_str(&format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{j}\n  namespace: team-{i:04}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: &labels\n      app: app-{j}\n  template:\n    metadata:\n      labels: *labels\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:{j}\n        ports:\n        - containerPort: 8080\n"
            ));
        }
    }
    out
}

fn cli(c: &mut Criterion) {
    let text = corpus();
    let file: Arc<str> = Arc::from("corpus.yaml");
    let options = manifests::ReadOptions::default();
    let parsed = manifests::parse(&file, 0, &text, &options).expect("corpus parses");
    assert_eq!(parsed.documents, 10_000);
    eprintln!(
        "corpus: {} documents, {} bytes, {} Namespaces and Services",
        parsed.documents,
        text.len(),
        parsed.manifests.len()
    );

    let mut group = c.benchmark_group("cli");
    group.sample_size(10);
    group.bench_function("parse_10k_documents", |b| {
        b.iter(|| manifests::parse(&file, 0, black_box(&text), &options))
    });
    let inputs = manifests::Inputs {
        files: vec![file.clone()],
        documents: parsed.documents,
        manifests: parsed.manifests,
        ..manifests::Inputs::default()
    };
    let config = Config::default();
    group.bench_function("check_10k_documents_after_parse", |b| {
        b.iter(|| check::check(black_box(&inputs), None, &config))
    });
    group.finish();
}

criterion_group!(benches, cli);
criterion_main!(benches);
