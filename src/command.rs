//! The top-level command line: the `eastwest-guard` command and its subcommands, in the library
//! so the binary, the tests and the generated flag reference (docs/flags.md) read one
//! definition. Each subcommand's flags live with the subcommand.

use clap::{Parser, Subcommand};

use crate::{certs, cli, server};

#[derive(Parser, Debug)]
#[command(
    name = "eastwest-guard",
    version,
    about = "Admission guard for Tetrate east-west exposure"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the validating and mutating admission webhook over TLS.
    Serve(server::ServeArgs),
    /// Check manifest files with the same rules (for CI on pull requests).
    Check(cli::CheckArgs),
    /// Explain what the agent will do with manifest files: modes, gateways, exposed Services.
    Explain(cli::ExplainArgs),
    /// Show the change in cross-cluster exposure between two sets of manifest files.
    Diff(cli::DiffArgs),
    /// Audit the live cluster with the same rules, read-only: what enforcing would refuse.
    Audit(cli::AuditArgs),
    /// Make a CA and a serving certificate for the in-cluster webhook Service.
    Certs(certs::CertsArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        // clap's own checks: no two flags with one name, every `requires` names a flag, ...
        Cli::command().debug_assert();
    }
}
