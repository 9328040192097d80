//! Writes the CLI benchmark's 10,000-document corpus (`benches/support/corpus.rs`) to a file,
//! as one stream or split over several files, for timing the release binary on it:
//!
//! ```text
//! cargo run --release --example cli_corpus -- /tmp/corpus.yaml
//! cargo run --release --example cli_corpus -- /tmp/corpus-dir 100   # 100 files in a directory
//! /usr/bin/time -f "%e s %U user %M KB" target/release/eastwest-guard check /tmp/corpus.yaml
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: cli_corpus OUT.yaml | cli_corpus OUT-DIR FILES");
        return ExitCode::from(2);
    };
    let files = match args.next().map(|n| n.to_string_lossy().parse::<usize>()) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            eprintln!("cli_corpus: FILES must be a positive number");
            return ExitCode::from(2);
        }
    };
    let text = corpus::corpus();
    let written = match files {
        None => std::fs::write(&out, &text),
        Some(n) => split(&text, n, &out),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cli_corpus: writing {}: {e}", out.display());
            ExitCode::from(1)
        }
    }
}

/// Writes the stream's documents to `n` files in `dir`, in order, about as many in each. Every
/// document of the corpus starts with its own `---` line, and no `---` line occurs inside one.
fn split(text: &str, n: usize, dir: &std::path::Path) -> std::io::Result<()> {
    let documents: Vec<&str> = text.split("---\n").filter(|d| !d.is_empty()).collect();
    std::fs::create_dir_all(dir)?;
    let per_file = documents.len().div_ceil(n).max(1);
    for (i, chunk) in documents.chunks(per_file).enumerate() {
        let file: String = chunk.iter().map(|d| format!("---\n{d}")).collect();
        std::fs::write(dir.join(format!("part-{i:03}.yaml")), file)?;
    }
    Ok(())
}
