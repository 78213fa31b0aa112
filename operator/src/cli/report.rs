//! `govkh report` and `govkh apis` with their flags: the committee's report from manifests or
//! the live cluster, with its history, and the register of APIs.

use govkh_core::{
    api::Day, evaluate::evaluate_loaded, finding::ActionCounts, loading::manifest::Loader,
};
use k8s_openapi::jiff::Timestamp;
use std::{
    io::{Read, Write},
    process::ExitCode,
};

use super::*;
use clap::ValueEnum;

/// Formats of `govkh report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page (charts, sortable table, printable).
    Html,
    /// Markdown, for pasting into documents.
    Md,
    /// JSON, schema `govkh.digital.gov.kh/report/v1`.
    Json,
    /// CSV, one row per finding.
    Csv,
}

/// Manifests or the live cluster, as `report` and `apis` read them.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Files or directories of manifests, or `-` for standard input (as for `check`).
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    pub paths: Vec<PathBuf>,
    /// Read the live cluster instead of manifests: our kinds, the Namespaces and, in the
    /// ministries' namespaces, the objects the policies judge (Secrets and ConfigMaps by
    /// metadata only). Needs list permission on them.
    #[arg(long)]
    pub cluster: bool,
    /// Kubeconfig file for --cluster (default: $KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --cluster.
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
}

/// Arguments of `govkh report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// What is read: manifests or the live cluster.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The day the report describes (YYYY-MM-DD, Asia/Phnom_Penh) or an RFC 3339 instant.
    /// Defaults to now. `--now` is the same flag (as in `check`).
    #[arg(long, visible_alias = "now", env = "GOVKH_AS_OF", value_name = "DATE")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// The report's language: `en` or `km` (Khmer), in every format. Default: from LC_ALL,
    /// LC_MESSAGES or LANG (`km_KH.UTF-8` is Khmer), else English.
    #[arg(long, value_name = "en|km", value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Write to this file (replaced atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Additional policy directories, as for `check`.
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// A budget for the whole run, as for `check`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// A directory of saved JSON reports of earlier days (`govkh report -f json`): each
    /// ministry's trend, the first day each open breach was seen, and the two-year view
    /// (Art. 34). Reports dated after the report's day are left out.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// With --cluster: the namespace of the operator's daily records (ConfigMaps
    /// `govkh-history-<ministry>-<year>`), drawn as with --history.
    #[arg(
        long,
        value_name = "NAMESPACE",
        default_value = "govkh-system",
        requires = "cluster"
    )]
    pub history_namespace: String,
}

/// Arguments of `govkh apis`.
#[derive(Debug, clap::Args)]
pub struct ApisArgs {
    /// What is read: manifests or the live cluster.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write to this file (replaced atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The manifests, or the live cluster (the cloud catalogue says which cloud APIs to read).
fn load_source(
    source: &SourceArgs,
    catalogue: &govkh_core::clouds::Catalogue,
    stdin: &mut dyn Read,
) -> Result<govkh_core::loading::manifest::LoadResult, String> {
    let loader = Loader::new().compacting();
    if source.cluster {
        read_cluster(
            &loader,
            catalogue,
            source.kubeconfig.as_deref(),
            source.context.as_deref(),
        )
        .map_err(|e| e.to_string())
    } else {
        Ok(loader.load_paths(&source.paths, stdin))
    }
}

pub(crate) fn report(
    args: ReportArgs,
    engine: govkh_core::policy::Mode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Outcome {
    let now = match args.as_of.as_deref().map(parse_now).transpose() {
        Ok(Some(ts)) => ts,
        Ok(None) => Timestamp::now(),
        Err(e) => {
            return Err(Failure::new(named_source(
                &e.replace("--now", "--as-of"),
                "--as-of",
                "GOVKH_AS_OF",
            )));
        }
    };
    // The budget counts from here: reading the cluster or the files is part of the run.
    let deadline = args.timeout.map(|t| std::time::Instant::now() + t);
    let policies = load_policies(&args.policies, false)
        .map_err(Failure::new)?
        .with_mode(engine)
        .with_deadline(deadline);
    let loaded = load_source(&args.source, policies.clouds(), stdin).map_err(Failure::new)?;
    let (inventory, eval, problems) = evaluate_loaded(loaded, &policies, now);
    let mut report = govkh_core::render::report::build_in(
        &inventory,
        &eval,
        &policies,
        lang_or_locale(args.lang),
    );
    if let Some(mut h) = histories(&args, report.as_of, stderr).map_err(Failure::new)? {
        govkh_core::render::report::with_history(&mut report, &mut h);
    }
    let text = match args.format {
        ReportFormat::Html => Ok(govkh_core::render::report::html(&report)),
        ReportFormat::Md => Ok(govkh_core::render::report::markdown(&report)),
        ReportFormat::Json => govkh_core::render::report::json(&report),
        ReportFormat::Csv => Ok(govkh_core::render::report::csv(&report)),
    };
    let text = text.map_err(|e| Failure::new(format_args!("cannot render the report: {e}")))?;
    write_output(args.output.as_deref(), &text, stdout)?;
    // The report is written either way; but one that could not judge everything is not a
    // clean run: a pipeline publishing it must see that (exit 2, as for check).
    let errors = ActionCounts::of(&eval.findings).error;
    if errors > 0 {
        return Err(Failure::new(format_args!(
            "{errors} finding(s) say something could not be evaluated ({problems} manifest problem(s) among them); the report lists them"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// Each ministry's history, by code.
type History = std::collections::BTreeMap<String, govkh_core::audit::history::History>;

/// Saved reports read for a history: at most this many, each at most this large.
pub(crate) const HISTORY_FILES: usize = 5_000;

pub(crate) const HISTORY_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Histories from the saved JSON reports in `dir` dated on or before `as_of`. A file that is not
/// a govkh report is an error naming it: a history with a gap nobody sees is a wrong trend.
pub(crate) fn read_history_dir(dir: &std::path::Path, as_of: Day) -> Result<History, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("--history {}: {e}", dir.display()))?;
    let mut reports = Vec::new();
    for e in entries {
        let path = e
            .map_err(|e| format!("--history {}: {e}", dir.display()))?
            .path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        if reports.len() == HISTORY_FILES {
            return Err(format!(
                "--history {}: more than {HISTORY_FILES} reports",
                dir.display()
            ));
        }
        let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !meta.is_file() || meta.len() > HISTORY_FILE_BYTES {
            return Err(format!(
                "{}: not a regular file of at most {} MiB",
                path.display(),
                HISTORY_FILE_BYTES >> 20
            ));
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let day = value["asOf"].as_str().and_then(|d| d.parse::<Day>().ok());
        if day.is_some_and(|d| d > as_of) {
            continue;
        }
        reports.push((path.display().to_string(), value));
    }
    if reports.is_empty() {
        return Err(format!(
            "--history {}: no saved report (*.json from `govkh report -f json`) dated on or before {as_of}",
            dir.display()
        ));
    }
    govkh_core::render::report::saved::from_reports(&reports)
}

/// The operator's daily records of every ministry, read from `namespace`.
pub(crate) fn read_cluster_history(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    namespace: &str,
) -> Result<History, String> {
    with_client(kubeconfig, context, |client| async move {
        crate::writers::history::read(client, namespace)
            .await
            .map_err(|e| e.to_string())
    })
}

/// The ministries' histories the report draws on: saved reports in `--history`, or the
/// operator's records in the cluster (none, with a warning, when those cannot be read).
fn histories(
    args: &ReportArgs,
    as_of: Day,
    stderr: &mut dyn Write,
) -> Result<Option<History>, String> {
    match (&args.history, args.source.cluster) {
        (Some(dir), _) => read_history_dir(dir, as_of).map(Some),
        // The records are the operator's (kept only with --history-namespace): without them, or
        // without the right to read them, the report is today's alone, and says so.
        (None, true) => match read_cluster_history(
            args.source.kubeconfig.as_deref(),
            args.source.context.as_deref(),
            &args.history_namespace,
        ) {
            Ok(h) => Ok(Some(h)),
            Err(e) => {
                let _ = writeln!(
                    stderr,
                    "warning: no history drawn ({e}); the report shows today only"
                );
                Ok(None)
            }
        },
        (None, false) => Ok(None),
    }
}

/// `govkh apis`: the register of APIs (Art. 27) from manifests or the live cluster, as a table
/// or JSON. A file that cannot be read is named and the exit code is 2 (the register is still
/// printed from the rest).
pub(crate) fn apis(args: ApisArgs, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Outcome {
    let policies = load_policies(&[], false).map_err(Failure::new)?;
    let loaded = load_source(&args.source, policies.clouds(), stdin).map_err(Failure::new)?;
    let mut problems: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    let (inventory, errors) = govkh_core::inventory::Inventory::build(loaded.objects);
    problems.extend(errors.iter().map(|e| e.to_string()));
    let register = govkh_core::apis::register(&inventory);
    let text = match args.format {
        ListFormat::Text => apis_table(&register),
        ListFormat::Json => serde_json::to_string_pretty(&register)
            .map(|j| j + "\n")
            .map_err(|e| Failure::new(format_args!("cannot render the register: {e}")))?,
    };
    write_output(args.output.as_deref(), &text, stdout)?;
    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::Message(problems))
    }
}

/// The register as a table for people, one API a line.
fn apis_table(register: &[govkh_core::apis::ApiEntry]) -> String {
    let w = govkh_core::message::words::words(Lang::En);
    // Annotations are anyone's text: control characters are shown, never sent to a terminal.
    let shown = |s: &str| govkh_core::printable::printable(s).into_owned();
    let rows: Vec<[String; 6]> = register
        .iter()
        .map(|a| {
            [
                shown(&a.api),
                shown(&a.ministry),
                shown(&format!("{}/{}", a.namespace, a.exposed_by)),
                shown(&a.versions.join(",")),
                shown(&a.lifecycle),
                shown(&govkh_core::render::report::specification_words(
                    &a.specification,
                    w,
                )),
            ]
        })
        .collect();
    let header = [
        "API",
        "MINISTRY",
        "EXPOSED-BY",
        "VERSIONS",
        "LIFECYCLE",
        "SPECIFICATION",
    ];
    let columns = govkh_core::render::columns::Columns::fit(&header, &rows);
    let mut out = columns.line(&header) + "\n";
    for r in &rows {
        out += &columns.line(r);
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no API is declared)\n");
    }
    out
}
