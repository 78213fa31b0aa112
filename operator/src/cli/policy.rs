//! `govkh policy test` and `govkh policy list`: the library's Rego tests, and its catalogue.

use govkh_core::{policy::Library, render::catalogue};
use std::{io::Write, process::ExitCode};

use super::*;

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
