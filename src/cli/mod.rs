//! The GitOps commands over manifest files. (Placeholder until the CLI work lands.)
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub rules: crate::flags::RuleFlags,
}

pub fn run_check(_args: CheckArgs) -> ExitCode {
    eprintln!("check: not built yet");
    ExitCode::from(2)
}
