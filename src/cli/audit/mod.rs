//! `eastwest-guard audit`: the rules of the webhook over the live cluster, read-only, before
//! enforcing: what is already wrong, and which writes the enforcing webhook would refuse.
//!
//! - [`collect`]: list the cluster ([`crate::cluster::read`]), judge each object as a write
//!   touching its keys ([`crate::cluster::existing`]), count for the summary.
//! - One file per output format, each reading only the [`collect::Audit`]: [`text`],
//!   [`json`] (schema in docs/audit-output.md), [`github`], [`markdown`], [`sarif`], [`junit`].

pub mod collect;
mod github;
mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::common::{usage_error, write_out};
use crate::cluster::read::{self, ConnectOptions, ListOptions, ReadError};
use collect::{Audit, Read};

pub use json::JSON_SCHEMA_VERSION;

/// `eastwest-guard audit`: the live cluster judged with the rules of the webhook.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Reads Namespaces (metadata only) and Services at the cluster scope: \
    the credentials need `list` on both, nothing else. Each object is judged as the enforcing \
    webhook judges a write that touches its keys.\n\nExit status: 0 when the webhook would \
    deny nothing (warnings allowed unless --fail-on-warning), 1 when something would be \
    denied, 2 when the cluster cannot be read (the message names the server, and for 401 and \
    403 the permission missing) or a flag is wrong.\n\nExamples:\n  eastwest-guard audit\n  \
    eastwest-guard audit --context prod --output json > audit.json\n  eastwest-guard audit \
    --warn-only --fail-on-warning"
)]
pub struct AuditArgs {
    /// The kubeconfig file. Default: KUBECONFIG, else ~/.kube/config, else (inside a pod) the
    /// in-cluster service account.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use. Default: its current context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = AuditFormat::Text)]
    pub output: AuditFormat,

    /// Exit 1 on warnings too, not only on what would be denied.
    #[arg(long)]
    pub fail_on_warning: bool,

    #[command(flatten)]
    pub listing: super::common::ListFlags,

    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuditFormat {
    /// One finding a line (`error EW013 Service/shop/cart ...`), then the summary.
    #[default]
    Text,
    /// One JSON document (see docs/audit-output.md).
    Json,
    /// GitHub Actions workflow commands (`::error title=...::`), one per finding.
    Github,
    /// Markdown, for a job summary or an issue: the findings, by rule, what is exposed.
    Markdown,
    /// SARIF 2.1.0, each result located at its object (a logical location).
    Sarif,
    /// JUnit XML, a test case per object with problems (GitLab, Jenkins).
    Junit,
}

/// Writes the audit in `format`.
fn write(
    format: AuditFormat,
    audit: &Audit,
    fail_on_warning: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        AuditFormat::Text => text::write(audit, out),
        AuditFormat::Json => json::write(audit, fail_on_warning, out),
        AuditFormat::Github => github::write(audit, out),
        AuditFormat::Markdown => markdown::write(audit, fail_on_warning, out),
        AuditFormat::Sarif => sarif::write(audit, fail_on_warning, out),
        AuditFormat::Junit => junit::write(audit, fail_on_warning, out),
    }
}

pub fn run_audit(args: AuditArgs) -> ExitCode {
    const CMD: &str = "audit";
    let config = match args.rules.to_config() {
        Ok(config) => config,
        Err(why) => return usage_error(CMD, &why),
    };
    // The one crypto provider of the process (kube's TLS asks for the default).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("eastwest-guard {CMD}: starting the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let connect = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        request_timeout: args.listing.timeout(),
    };
    let options = ListOptions {
        chunk_size: args.listing.chunk_size,
        ..ListOptions::default()
    };
    let mut progress = Progress::new(io::stderr().is_terminal(), io::stderr());
    let result = runtime.block_on(async {
        let connection = read::connect(&connect).await?;
        collect::audit(&connection, options, &config, &mut |read| {
            progress.update(read, &connection.server)
        })
        .await
    });
    progress.finish();

    let audit = match result {
        Ok(audit) => audit,
        Err(error) => return read_failed(CMD, args.output, &error),
    };
    for (what, listed) in [
        ("Namespaces", &audit.lists.namespaces),
        ("Services", &audit.lists.services),
    ] {
        if listed.restarts > 0 {
            eprintln!(
                "eastwest-guard {CMD}: note: the list of {what} was started again {}: its \
                 continue token expired (410 Gone) while it was read; the audit is of the \
                 last, complete list",
                if listed.restarts == 1 {
                    "once".to_owned()
                } else {
                    format!("{} times", listed.restarts)
                }
            );
        }
    }
    match write_out(CMD, |out, _| {
        write(args.output, &audit, args.fail_on_warning, out)
    }) {
        Ok(()) => ExitCode::from(audit.exit_code(args.fail_on_warning)),
        Err(code) => code,
    }
}

/// Writes the document of a cluster that could not be read.
type WriteError = fn(&ReadError, &mut dyn Write) -> io::Result<()>;

/// The cluster could not be read: said on standard error, and in the formats that are one
/// document (JSON, Markdown, SARIF, JUnit) as that document, so a pipeline always gets one.
/// Exit status 2.
fn read_failed(command: &str, format: AuditFormat, error: &ReadError) -> ExitCode {
    eprintln!("eastwest-guard {command}: {error}");
    let document: Option<WriteError> = match format {
        AuditFormat::Json => Some(json::write_error),
        AuditFormat::Markdown => Some(markdown::write_error),
        AuditFormat::Sarif => Some(sarif::write_error),
        AuditFormat::Junit => Some(junit::write_error),
        AuditFormat::Text | AuditFormat::Github => None,
    };
    if let Some(write_error) = document {
        let _ = write_out(command, |out, _| write_error(error, out));
    }
    ExitCode::from(2)
}

/// The objects read so far, on one line of standard error that is rewritten in place; only
/// when standard error is a terminal (a log file would get a line per page).
struct Progress<W: Write> {
    on: bool,
    out: W,
    last: Option<Instant>,
    shown: bool,
}

impl<W: Write> Progress<W> {
    /// At most this often: a page of a fast server arrives every few milliseconds.
    const EVERY: Duration = Duration::from_millis(100);

    fn new(on: bool, out: W) -> Self {
        Progress {
            on,
            out,
            last: None,
            shown: false,
        }
    }

    fn update(&mut self, read: Read, server: &str) {
        if !self.on || self.last.is_some_and(|t| t.elapsed() < Self::EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        // `\r` and erase-line: the next update, or `finish`, overwrites it.
        let _ = write!(
            self.out,
            "\r\x1b[2Kreading {server}: {} Namespaces, {} Services",
            read.namespaces, read.services
        );
        let _ = self.out.flush();
    }

    /// Erases the line, so what follows starts on a clean one.
    fn finish(&mut self) {
        if self.shown {
            let _ = write!(self.out, "\r\x1b[2K");
            let _ = self.out.flush();
            self.shown = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_written_only_when_on_and_erased_at_the_end() {
        let mut off = Progress::new(false, Vec::new());
        off.update(
            Read {
                namespaces: 3,
                services: 0,
            },
            "https://k",
        );
        off.finish();
        assert!(off.out.is_empty());

        let mut on = Progress::new(true, Vec::new());
        on.update(
            Read {
                namespaces: 3,
                services: 500,
            },
            "https://k",
        );
        // Within the interval: not redrawn.
        on.update(
            Read {
                namespaces: 3,
                services: 1000,
            },
            "https://k",
        );
        on.finish();
        let text = String::from_utf8(on.out).unwrap();
        assert_eq!(
            text,
            "\r\x1b[2Kreading https://k: 3 Namespaces, 500 Services\r\x1b[2K"
        );
    }
}
