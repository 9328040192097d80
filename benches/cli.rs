//! The CLI's read and check of a 10,000-document manifest stream (1,000 Namespaces, 5,000
//! Services, 4,000 Deployments, like a large repository's `kustomize build` output).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use eastwest_guard::cli::{check, manifests};
use eastwest_guard::rules::Config;

#[path = "support/corpus.rs"]
mod corpus;

fn cli(c: &mut Criterion) {
    let text = corpus::corpus();
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
