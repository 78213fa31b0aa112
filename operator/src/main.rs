//! The `govkh` binary: parses the command line and hands over to the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

// regorus allocates a value per node it evaluates, on every core at once: mimalloc's per-thread
// heaps keep the threads from queueing on one allocator lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
