//! Answers one admission review N times, in process, without TLS or HTTP: a fixed amount of
//! work for `valgrind --tool=callgrind`, whose instruction counts stay the same on a busy or
//! shared machine where timings do not (BENCHMARKS.md, "Where the time goes").
//!
//!   cargo build --release --example answer_loop
//!   valgrind --tool=callgrind target/release/examples/answer_loop validate 2000 [review.json]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::hint::black_box;
use std::process::ExitCode;

use eastwest_guard::rules::{Config, NoCluster};
use eastwest_guard::server::admission::{Endpoint, answer};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let endpoint = match args.get(1).map(String::as_str) {
        Some("validate") => Endpoint::Validate,
        Some("mutate") => Endpoint::Mutate,
        _ => {
            eprintln!("usage: answer_loop validate|mutate COUNT [REVIEW.json]");
            return ExitCode::from(2);
        }
    };
    let Some(count) = args.get(2).and_then(|n| n.parse::<u64>().ok()) else {
        eprintln!("usage: answer_loop validate|mutate COUNT [REVIEW.json]");
        return ExitCode::from(2);
    };
    let path = args.get(3).cloned().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/data/review-namespace-update.json"
        )
        .to_owned()
    });
    let review = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config::default();
    let mut bytes = 0;
    for _ in 0..count {
        let answer = answer(endpoint, black_box(&review), &config, &NoCluster);
        bytes += answer.body.len();
    }
    println!("{count} answers, {bytes} bytes");
    ExitCode::SUCCESS
}
