//! The CLI benchmark's corpus: 10,000 documents (1,000 Namespaces, 5,000 Services, 4,000
//! Deployments with anchors and comments), like a large repository's `kustomize build` output.
//! Shared by `benches/cli.rs` and `examples/cli_corpus.rs` (which writes it to a file, for
//! timing the release binary's `check` on it).

/// The corpus as one YAML stream.
pub fn corpus() -> String {
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
