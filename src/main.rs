//! `eastwest-guard`: command dispatch only; the command line is `eastwest_guard::command`, and
//! each subcommand lives in its own module.

use std::process::ExitCode;

use clap::Parser;
use eastwest_guard::command::{self, Cli, Command};
use eastwest_guard::{certs, cli, server};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve(args) => server::run(args),
        Command::Check(args) => cli::run_check(args),
        Command::Explain(args) => cli::run_explain(args),
        Command::Diff(args) => cli::run_diff(args),
        Command::Audit(args) => cli::run_audit(args),
        Command::Policy(args) => cli::run_policy(args),
        Command::Certs(args) => certs::run(args),
        Command::Completions(args) => command::run_completions(args),
        Command::Man(args) => command::run_man(args),
    }
}
