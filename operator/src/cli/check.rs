//! `govkh check` and its flags: manifests judged before they are applied, as text, JSON or
//! SARIF.

use clap::ValueEnum;
use govkh_core::{
    finding::ActionCounts,
    loading::manifest::Loader,
    render::check::{self as output, Summary},
};
use k8s_openapi::jiff::Timestamp;
use std::{
    io::{Read, Write},
    path::PathBuf,
    process::ExitCode,
};

use super::*;

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    /// Readable in a terminal, grouped by ministry.
    Text,
    /// A stable JSON document (see the README).
    Json,
    /// SARIF 2.1.0, for CI systems and editors.
    Sarif,
}

/// Arguments of `govkh check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Who the platform, the committee and govkh are (with --as-user).
    #[command(flatten)]
    pub authority: AuthorityArgs,
    /// govkh's own namespace, which no ministry may hold.
    #[arg(
        long = "govkh-namespace",
        default_value = "govkh-system",
        value_name = "NAMESPACE"
    )]
    pub govkh_namespace: String,
    /// Files or directories of manifests (.yaml, .yml, .json; directories recursively), or `-`
    /// for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Evaluate as of this day (YYYY-MM-DD, in Asia/Phnom_Penh) or instant (RFC 3339).
    /// Defaults to now. `--as-of` is the same flag (as in `report`).
    #[arg(long, visible_alias = "as-of", env = "GOVKH_NOW", value_name = "DATE")]
    pub now: Option<String>,
    /// Output format (default: text).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<CheckOutput>,
    /// The language of the text output: `en` or `km` (Khmer). Default: from LC_ALL,
    /// LC_MESSAGES or LANG (`km_KH.UTF-8` is Khmer), else English. JSON and SARIF carry both.
    #[arg(long, value_name = "en|km", value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Write to this file (replaced atomically) instead of standard output. (Until 0.2,
    /// `--output` named the format: `--output json` still means `--format json`, with a
    /// warning; write `./json` for a file of that name.)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A directory of Rego policies (policy.rego with metadata, as in policies/) to use in
    /// addition to the built-in library. Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Do not use the built-in library (only the --policies directories).
    #[arg(long)]
    pub no_builtin_policies: bool,
    /// Take the context from the live cluster instead (what `report --cluster` reads): judge
    /// local files against the cluster's ministries, tenancies, classes, grants and
    /// namespaces. Needs list permission on them.
    #[arg(long, conflicts_with = "inventory")]
    pub cluster: bool,
    /// Kubeconfig file for --cluster (default: $KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --cluster.
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
    /// A budget for the whole run (`90s`, `10m`, `1h`, or seconds): objects not judged when it
    /// runs out get an error finding each (exit 2). Default: no budget.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Judge the files as if this user had submitted them (what admission sees): the
    /// policies that judge who writes an object (approval-authority) judge them too.
    #[arg(long, value_name = "NAME")]
    pub as_user: Option<String>,
    /// A group of the --as-user user. Repeatable.
    #[arg(long, value_name = "GROUP", requires = "as_user")]
    pub as_group: Vec<String>,
    /// Manifests read for context only (the national set: the GovernmentCloud, Ministries,
    /// tenancies, classes, grants, approvals): they tell whose each namespace is, but their
    /// own findings are not reported. Repeatable. How a ministry checks its own repository:
    /// `govkh check ./ --inventory national-manifests/`.
    #[arg(long = "inventory", value_name = "PATH")]
    pub inventory: Vec<PathBuf>,
}

pub(crate) fn check(
    args: CheckArgs,
    engine: govkh_core::policy::Mode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Outcome {
    let now = match args.now.as_deref().map(parse_now).transpose() {
        Ok(Some(ts)) => ts,
        Ok(None) => Timestamp::now(),
        Err(e) => return Err(Failure::new(named_source(&e, "--now", "GOVKH_NOW"))),
    };
    let (format, file) = check_format(args.format, args.output, stderr);
    // Elapsed time is reported, never used to decide anything.
    let started = std::time::Instant::now();
    let loader = Loader::new().compacting();
    let loaded = loader.load_paths(&args.paths, stdin);
    let objects = loaded.objects.len();
    let user = args
        .as_user
        .as_ref()
        .map(|name| serde_json::json!({"username": name, "groups": args.as_group}));
    let policies = load_policies(&args.policies, args.no_builtin_policies)
        .map_err(Failure::new)?
        .with_mode(engine)
        .with_deadline(args.timeout.map(|t| started + t))
        .as_user(user)
        .with_authority(args.authority.authority(&args.govkh_namespace));
    let unjudged_kinds = govkh_core::evaluate::unjudged_kinds(&loaded.objects, &policies);
    // Context (the national manifests, or the live cluster): it tells whose each namespace
    // is; only the files checked are judged.
    let context = if args.cluster {
        Some(
            read_cluster(
                &loader,
                policies.clouds(),
                args.kubeconfig.as_deref(),
                args.context.as_deref(),
            )
            .map_err(Failure::new)?,
        )
    } else if !args.inventory.is_empty() {
        Some(loader.load_paths(&args.inventory, &mut std::io::empty()))
    } else {
        None
    };
    if let Some(c) = &context
        && !c.errors.is_empty()
    {
        let _ = writeln!(
            stderr,
            "warning: {} problem(s) in the context ({}); those objects give no context",
            c.errors.len(),
            if args.cluster {
                "the cluster"
            } else {
                "the --inventory manifests"
            }
        );
    }
    let eval = govkh_core::evaluate::evaluate_in_context(loaded, context, &policies, now);
    let summary = Summary {
        objects,
        findings: ActionCounts::of(&eval.findings),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        unjudged_kinds,
    };
    let rendered = match format {
        CheckOutput::Text => Ok(output::text(&eval, &summary, lang_or_locale(args.lang))),
        CheckOutput::Json => output::json(&eval, &now.to_string(), &summary).map(|j| j + "\n"),
        CheckOutput::Sarif => {
            output::sarif(&eval, &output::sarif_rules(&policies)).map(|j| j + "\n")
        }
    };
    let rendered =
        rendered.map_err(|e| Failure::new(format_args!("cannot render the findings: {e}")))?;
    write_output(file.as_deref(), &rendered, stdout)?;
    Ok(exit_code(&summary.findings))
}

/// 2 when anything could not be evaluated (the findings say what), 1 when something is
/// denied, 0 otherwise.
pub fn exit_code(c: &ActionCounts) -> ExitCode {
    if c.error > 0 {
        ExitCode::from(2)
    } else if c.deny > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `check`'s format and file. `--output` took the format until 0.2: a value that is a format's
/// name and no `--format` keeps that meaning for one more release, with a warning.
pub(crate) fn check_format(
    format: Option<CheckOutput>,
    output: Option<PathBuf>,
    stderr: &mut dyn Write,
) -> (CheckOutput, Option<PathBuf>) {
    if format.is_none()
        && let Some(old) = output
            .as_deref()
            .and_then(|p| p.to_str())
            .and_then(|s| CheckOutput::from_str(s, false).ok())
    {
        let name = old.to_possible_value().map(|v| v.get_name().to_string());
        let name = name.unwrap_or_default();
        let _ = writeln!(
            stderr,
            "warning: `--output {name}` names a format; use `--format {name}` (`-o/--output` now names the file to write, as in `report`; write `./{name}` for a file of that name)"
        );
        return (old, None);
    }
    (format.unwrap_or(CheckOutput::Text), output)
}
