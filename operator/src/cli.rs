//! The `govkh` command line: argument parsing and the commands that need no cluster (`check`,
//! `crds`). The wall clock is read here, at the edge, and only when `--now` is not given.

use std::{
    io::{Read, Write},
    path::PathBuf,
    process::ExitCode,
};

use clap::{Parser, Subcommand, ValueEnum};
use k8s_openapi::jiff::Timestamp;

use crate::{
    api::Day,
    crdgen,
    evaluate::{evaluate, load_error_findings, sort},
    inventory::Inventory,
    manifest::Loader,
    output::{self, ActionCounts, Summary},
};

/// govkh: Cambodia's Law on Digital Government on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "govkh", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests against the law, offline: load them, evaluate, print findings. Exit code
    /// 0 when nothing is denied, 1 when something is, 2 on usage or load errors.
    Check(CheckArgs),
    /// Print the CustomResourceDefinitions of the digital.gov.kh API (or write them, one file
    /// per kind, into a directory).
    Crds(CrdsArgs),
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    /// Readable in a terminal, grouped by ministry.
    Text,
    /// A stable JSON document (see the README).
    Json,
}

/// Arguments of `govkh check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories of manifests (.yaml, .yml, .json; directories recursively), or `-`
    /// for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Evaluate as of this day (YYYY-MM-DD, in Asia/Phnom_Penh) or instant (RFC 3339).
    /// Defaults to now.
    #[arg(long, env = "GOVKH_NOW", value_name = "DATE")]
    pub now: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = CheckOutput::Text)]
    pub output: CheckOutput,
}

/// Arguments of `govkh crds`.
#[derive(Debug, clap::Args)]
pub struct CrdsArgs {
    /// Write one file per CRD into this directory instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Parse `--now`: a calendar day (its first instant in Phnom Penh) or an RFC 3339 instant.
pub fn parse_now(s: &str) -> Result<Timestamp, String> {
    if let Ok(day) = s.parse::<Day>() {
        return Ok(day.start());
    }
    s.parse::<Timestamp>().map_err(|_| {
        format!("--now {s:?}: expected a date like 2026-11-26 or an instant like 2026-11-26T09:00:00+07:00")
    })
}

/// Run the command line; returns the process exit code.
pub fn run(
    cli: Cli,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    match cli.command {
        Command::Check(args) => check(args, stdin, stdout, stderr),
        Command::Crds(args) => crds(args, stdout, stderr),
    }
}

fn check(
    args: CheckArgs,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let now = match args.now.as_deref().map(parse_now).transpose() {
        Ok(Some(ts)) => ts,
        Ok(None) => Timestamp::now(),
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let loader = Loader::new();
    let loaded = loader.load_paths(&args.paths, stdin);
    let objects = loaded.objects.len();
    let (inventory, mut errors) = Inventory::build(loaded.objects);
    let mut all_errors = loaded.errors;
    all_errors.append(&mut errors);
    let mut eval = evaluate(&inventory, now);
    eval.findings.extend(load_error_findings(&all_errors));
    sort(&mut eval.findings);
    let summary = Summary {
        objects,
        findings: ActionCounts::of(&eval.findings),
    };
    let rendered = match args.output {
        CheckOutput::Text => Ok(output::text(&eval, &summary)),
        CheckOutput::Json => output::json(&eval, &now.to_string(), &summary).map(|j| j + "\n"),
    };
    match rendered {
        Ok(s) => {
            if stdout.write_all(s.as_bytes()).is_err() {
                return ExitCode::from(2);
            }
        }
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot render the findings: {e}");
            return ExitCode::from(2);
        }
    }
    exit_code(&summary.findings)
}

/// 2 when anything could not be evaluated, 1 when something is denied, 0 otherwise.
pub fn exit_code(c: &ActionCounts) -> ExitCode {
    if c.error > 0 {
        ExitCode::from(2)
    } else if c.deny > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn crds(args: CrdsArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> ExitCode {
    let result = match &args.out_dir {
        None => crdgen::all_yaml()
            .map_err(|e| e.to_string())
            .and_then(|y| stdout.write_all(y.as_bytes()).map_err(|e| e.to_string())),
        Some(dir) => write_crds(dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            ExitCode::from(2)
        }
    }
}

fn write_crds(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (file, crd) in crdgen::all() {
        let yaml = crdgen::to_yaml(&crd).map_err(|e| e.to_string())?;
        let path = dir.join(file);
        std::fs::write(&path, yaml).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
