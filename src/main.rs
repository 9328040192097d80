//! `eastwest-guard`: command dispatch only; each subcommand lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eastwest_guard::{certs, cli, server};

#[derive(Parser, Debug)]
#[command(
    name = "eastwest-guard",
    version,
    about = "Admission guard for Tetrate east-west exposure"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the validating and mutating admission webhook over TLS.
    Serve(server::ServeArgs),
    /// Check manifest files with the same rules (for CI on pull requests).
    Check(cli::CheckArgs),
    /// Explain what the agent will do with manifest files: modes, gateways, exposed Services.
    Explain(cli::ExplainArgs),
    /// Show the change in cross-cluster exposure between two sets of manifest files.
    Diff(cli::DiffArgs),
    /// Make a CA and a serving certificate for the in-cluster webhook Service.
    Certs(certs::CertsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => server::run(args),
        Command::Check(args) => cli::run_check(args),
        Command::Explain(args) => cli::run_explain(args),
        Command::Diff(args) => cli::run_diff(args),
        Command::Certs(args) => certs::run(args),
    }
}
