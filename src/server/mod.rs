//! The TLS admission webhook. (Owned by the server work; placeholder until it lands.)
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

pub fn run(_args: ServeArgs) -> ExitCode {
    eprintln!("serve: not built yet");
    ExitCode::from(2)
}
