//! Serving certificates. (Placeholder until the deploy work lands.)
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CertsArgs {}

pub fn run(_args: CertsArgs) -> ExitCode {
    eprintln!("certs: not built yet");
    ExitCode::from(2)
}
