//! The top-level command line: the `eastwest-guard` command and its subcommands, in the library
//! so the binary, the tests and the generated flag reference (docs/flags.md) read one
//! definition. Each subcommand's flags live with the subcommand; the two subcommands that
//! describe the command line itself (shell completions, man pages) live here, since what they
//! print is generated from this definition.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::{certs, cli, server};

/// The commit the binary was built from (abbreviated), or `unknown` (see build.rs).
pub const BUILD_COMMIT: &str = env!("EASTWEST_GUARD_BUILD_COMMIT");

/// `0.1.0 (abc1234 2026-12-06)`: the version and the commit it was built from.
pub const LONG_VERSION: &str = env!("EASTWEST_GUARD_LONG_VERSION");

#[derive(Parser, Debug)]
#[command(
    name = "eastwest-guard",
    version = LONG_VERSION,
    propagate_version = true,
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
    /// Print the ValidatingAdmissionPolicy backstop: the rules CEL can express, enforced by
    /// kube-apiserver itself.
    Policy(cli::PolicyArgs),
    /// Make a CA and a serving certificate for the in-cluster webhook Service.
    Certs(certs::CertsArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --out-dir.
    Man(ManArgs),
}

/// `eastwest-guard completions SHELL`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  source <(eastwest-guard completions bash)\n  \
    eastwest-guard completions zsh > \"${fpath[1]}/_eastwest-guard\"\n  \
    eastwest-guard completions fish > ~/.config/fish/completions/eastwest-guard.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `eastwest-guard man`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  eastwest-guard man | man -l -\n  \
    eastwest-guard man --out-dir ~/.local/share/man/man1")]
pub struct ManArgs {
    /// Write eastwest-guard.1 and one page per subcommand (eastwest-guard-check.1, ...) into
    /// this directory (made if missing) instead of printing eastwest-guard.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Writes the completion script for `args.shell` to standard output.
pub fn run_completions(args: CompletionsArgs) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "eastwest-guard", &mut out);
    print_or_fail("completions", &out)
}

/// Prints the man page of the whole command, or writes every page into `--out-dir`.
pub fn run_man(args: ManArgs) -> ExitCode {
    match args.out_dir {
        Some(dir) => {
            let written = std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(Cli::command(), &dir));
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!(
                        "eastwest-guard man: cannot write the man pages into {}: {e}",
                        dir.display()
                    );
                    ExitCode::from(2)
                }
            }
        }
        None => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => print_or_fail("man", &out),
                Err(e) => {
                    eprintln!("eastwest-guard man: cannot render the man page: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Standard output, where a closed pipe (`... | head`) is the reader's choice.
fn print_or_fail(command: &str, bytes: &[u8]) -> ExitCode {
    match io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("eastwest-guard {command}: cannot write: {e}");
            ExitCode::from(2)
        }
        _ => ExitCode::SUCCESS,
    }
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
