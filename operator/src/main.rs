//! The `govkh` binary: parses the command line and hands over to the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

// The allocator is mimalloc, installed by regorus (its `allocator-memory-limits` feature): its
// per-thread heaps keep the threads that evaluate from queueing on one allocator lock, and it
// counts what the process holds for the policies' memory limit (`--memory-limit`).

fn main() -> ExitCode {
    // Invoked as `kubectl-govkh`, kubectl's spelling of files (`-f`) and formats (`-o`) is
    // translated to govkh's.
    let cli =
        govkh::cli::Cli::parse_from(govkh::plugin::plugin_args(std::env::args_os().collect()));
    govkh::cli::run(
        cli,
        &mut std::io::stdin(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
}
