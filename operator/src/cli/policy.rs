//! `govkh policy test` and `govkh policy list` with their flags: the library's Rego tests,
//! and its catalogue.

use govkh_core::{policy::Library, render::catalogue};
use std::{io::Write, process::ExitCode};

use super::*;

/// `govkh policy` commands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run every `test_*` rule of the built-in library, or of a directory of policies (with the
    /// built-in helpers in `lib/`). Exit code 1 when a test fails, 2 when the library does not
    /// load.
    Test(PolicyTestArgs),
    /// List the policies with their articles, severity, action and penalty (with the amounts),
    /// as the README's catalogue table; `--format json` for tools.
    List(PolicyListArgs),
}

/// Arguments of `govkh policy list`.
#[derive(Debug, clap::Args)]
pub struct PolicyListArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write to this file (replaced atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `govkh policy test`.
#[derive(Debug, clap::Args)]
pub struct PolicyTestArgs {
    /// A directory of policies and their `*_test.rego` files; default: the built-in library.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub(crate) fn policy_test(args: PolicyTestArgs, stdout: &mut dyn Write) -> Outcome {
    let sources = match &args.dir {
        None => Ok(govkh_core::policy::builtin_sources()),
        Some(dir) => govkh_core::policy::dir_sources(dir).map(|mut own| {
            // A user's policies may import the built-in helpers.
            let mut all: Vec<_> = govkh_core::policy::builtin_sources()
                .into_iter()
                .filter(|s| s.path.starts_with("policies/lib/"))
                .collect();
            all.append(&mut own);
            all
        }),
    };
    let results = sources
        .and_then(|s| govkh_core::policy::run_tests(&s))
        .map_err(Failure::new)?;
    let mut failed = 0;
    for r in &results {
        match &r.outcome {
            Ok(()) => {
                let _ = writeln!(stdout, "PASS  {}  {}", r.policy, r.name);
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(stdout, "FAIL  {}  {}: {e}", r.policy, r.name);
            }
        }
    }
    let _ = writeln!(
        stdout,
        "{} passed, {} failed",
        results.len() - failed,
        failed
    );
    if results.is_empty() {
        return Err(Failure::new("no test_* rules found"));
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn policy_list(args: PolicyListArgs, stdout: &mut dyn Write) -> Outcome {
    let lib = Library::builtin().map_err(Failure::new)?;
    let text = match args.format {
        ListFormat::Text => catalogue::table(&lib),
        ListFormat::Json => catalogue::json(&lib)
            .map_err(|e| Failure::new(format_args!("cannot render the catalogue: {e}")))?,
    };
    write_output(args.output.as_deref(), &text, stdout)?;
    Ok(ExitCode::SUCCESS)
}
