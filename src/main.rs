//! The `policybot` binary: parse the command line, run it, map errors to exit code 1 (a closed stdout,
//! as in `policybot faq status | head`, is a normal end).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = policybot::cli::Cli::parse();
    match policybot::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if policybot::cli::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
