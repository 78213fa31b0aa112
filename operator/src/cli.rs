//! The `govkh` command line: argument parsing and the commands that need no cluster (`check`,
//! `crds`). The wall clock is read here, at the edge, and only when `--now` is not given.

use std::{
    io::{Read, Write},
    path::PathBuf,
    process::ExitCode,
};

use clap::{Parser, Subcommand, ValueEnum};
use k8s_openapi::jiff::Timestamp;

use govkh_core::{
    api::Day,
    api::crdgen,
    evaluate::evaluate_loaded,
    finding::Lang,
    loading::manifest::Loader,
    policy::Library,
    render::check::{self as output, ActionCounts, Summary},
};

/// govkh: Cambodia's Law on Digital Government on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "govkh", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The memory limit of policy evaluation when none is given: 2 GiB (`--memory-limit`'s default).
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;

/// How policies run: the flags of the commands that evaluate them (check, report, trace, run).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct EngineArgs {
    /// The memory the process may hold while it evaluates policies (bytes, or with Ki, Mi, Gi):
    /// past it an evaluation stops with an error finding instead of the process being killed.
    /// Keep it below the container's memory limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "2Gi")]
    pub memory_limit: u64,
    /// How policies are executed: `rvm`, regorus's compiled virtual machine (govkh's build
    /// reports errors inside policies, which the interpreter then re-runs for their message),
    /// or `interpreter`, regorus's interpreter alone (about half the speed). Both find the
    /// same violations; the choice is an escape hatch, not a setting to tune.
    #[arg(long, value_enum, default_value = "rvm")]
    pub policy_engine: PolicyEngine,
}

impl EngineArgs {
    /// Bound the process's memory as asked, and return the policy library's mode.
    pub fn apply(self) -> govkh_core::policy::Mode {
        govkh_core::policy::limit_memory(Some(self.memory_limit));
        self.policy_engine.mode()
    }
}

/// The engine `--policy-engine` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyEngine {
    /// regorus's RVM (the default), the interpreter for what it reports an error on.
    Rvm,
    /// regorus's interpreter alone.
    Interpreter,
}

impl PolicyEngine {
    /// The policy library's mode for this engine.
    pub fn mode(self) -> govkh_core::policy::Mode {
        match self {
            PolicyEngine::Rvm => govkh_core::policy::Mode::Rvm,
            PolicyEngine::Interpreter => govkh_core::policy::Mode::Interpreter,
        }
    }
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
    /// Print the RBAC rules `govkh run` needs (the ClusterRole's, then the Role's for the
    /// leader Lease), or write them into a chart directory's `files/`.
    Rbac(RbacArgs),
    /// Work with the Rego policy library.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The Digital Government Committee's compliance report: per-ministry scores, the
    /// statutory clock, findings by article with their fines, approvals, grants, deadlines.
    Report(ReportArgs),
    /// Each ministry's compliance from the cluster's Ministry and CloudTenancy statuses (as
    /// `kubectl govkh status`).
    Status(StatusArgs),
    /// How a ministry's objects hang together, with their states and findings, judged live
    /// (as `kubectl govkh trace ministry/mef`).
    Trace(TraceArgs),
    /// The kubectl plugin.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Run the operator: waits for the CRDs, reconciles tenancies (namespaces, quotas, network
    /// policies, role bindings, the statutory clock), links, grants, approvals, ministries and
    /// the government cloud, audits the cluster periodically, serves /healthz, /readyz and
    /// /metrics, stops on SIGTERM. With --leader-elect, replicas share a Lease.
    Run(RunArgs),
}

/// How to reach the cluster: the kubeconfig and its context.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// Arguments of `govkh status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// Output formats of `trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// A tree of objects and states.
    Text,
    /// The tree with each finding's message.
    Wide,
    /// The tree as JSON.
    Json,
}

/// Arguments of `govkh trace`.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// What to trace: `ministry/NAME`, `cloudtenancy/NAME`, `privatenetworklink/NAME` or
    /// `dataaccessgrant/NAME`.
    #[arg(value_name = "KIND/NAME")]
    pub target: String,
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
    /// Judge as of this day (YYYY-MM-DD) or instant; default now.
    #[arg(long, visible_alias = "as-of", env = "GOVKH_NOW", value_name = "DATE")]
    pub now: Option<String>,
}

/// `govkh plugin` commands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Link `kubectl-govkh` to this binary so that `kubectl govkh` runs it.
    Install(PluginInstallArgs),
}

/// Arguments of `govkh plugin install`.
#[derive(Debug, clap::Args)]
pub struct PluginInstallArgs {
    /// Where to put the link (a directory on PATH); default: this binary's directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Log formats of `govkh run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `govkh run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Address of the plain-HTTP /healthz, /readyz and /metrics endpoints.
    #[arg(long, env = "GOVKH_PROBE_ADDR", default_value = "0.0.0.0:8080")]
    pub probe_addr: std::net::SocketAddr,
    /// Seconds to wait for the CRDs to be established before giving up.
    #[arg(long, env = "GOVKH_CRD_TIMEOUT", default_value_t = 120)]
    pub crd_timeout: u64,
    /// Kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Log format.
    #[arg(long, env = "GOVKH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `govkh=debug,kube=info`.
    #[arg(long, env = "GOVKH_LOG", default_value = "info")]
    pub log_level: String,
    /// Reconciles each controller runs at once (at least 1).
    #[arg(long, env = "GOVKH_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Seconds after which the audit (Ministry and GovernmentCloud status, the findings and
    /// deadline metrics) looks again when nothing woke it sooner: it runs when the index
    /// changed, the day turned, or its last writes failed — never on an unchanged cluster.
    #[arg(long, env = "GOVKH_AUDIT_INTERVAL", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..))]
    pub audit_interval: u64,
    /// Take a Lease before writing, so that of several replicas exactly one writes.
    #[arg(long, env = "GOVKH_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Namespace of the leader Lease (the operator's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "govkh-system")]
    pub leader_election_namespace: String,
    /// Name of the leader Lease.
    #[arg(
        long,
        env = "GOVKH_LEADER_ELECTION_NAME",
        default_value = "govkh-leader"
    )]
    pub leader_election_name: String,
    /// Serve the validating admission webhook (HTTPS, `POST /validate`) on this address; needs
    /// --tls-cert-file and --tls-key-file.
    #[arg(long, env = "GOVKH_WEBHOOK_ADDR", requires_all = ["tls_cert_file", "tls_key_file"])]
    pub webhook_addr: Option<std::net::SocketAddr>,
    /// PEM certificate (chain) of the webhook; re-read when the file changes.
    #[arg(long, env = "GOVKH_TLS_CERT_FILE", value_name = "FILE")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of the webhook; re-read when the file changes.
    #[arg(long, env = "GOVKH_TLS_KEY_FILE", value_name = "FILE")]
    pub tls_key_file: Option<PathBuf>,
    /// Register this process's webhook with the cluster at this HTTPS URL (a
    /// ValidatingWebhookConfiguration `govkh-<identity>`, failurePolicy Fail), for an operator
    /// running outside the cluster; removed on shutdown. In a cluster the chart registers it.
    #[arg(
        long,
        env = "GOVKH_WEBHOOK_URL",
        requires = "webhook_addr",
        value_name = "URL"
    )]
    pub webhook_url: Option<String>,
    /// The CA (PEM) the API server trusts for --webhook-url; default: the certificate itself
    /// (a self-signed one).
    #[arg(
        long,
        env = "GOVKH_WEBHOOK_CA_FILE",
        requires = "webhook_url",
        value_name = "FILE"
    )]
    pub webhook_ca_file: Option<PathBuf>,
    /// This replica's identity in the Lease and in Events (the pod's name).
    #[arg(long, env = "POD_NAME", default_value = "govkh")]
    pub identity: String,
    /// Keep each ministry's daily compliance record (score, findings by action and article,
    /// tenancies by state, when each open breach began) in ConfigMaps of this namespace, for
    /// `govkh report --cluster`'s trends. The chart sets it to its own namespace. Not set: no
    /// history is kept.
    #[arg(long, env = "GOVKH_HISTORY_NAMESPACE", value_name = "NAMESPACE")]
    pub history_namespace: Option<String>,
    /// The reports the leader writes after each audit, for Policy Reporter and other readers:
    /// OpenReports `Report`/`ClusterReport`, the older `wgpolicyk8s.io` `PolicyReport`/
    /// `ClusterPolicyReport`, or none. Skipped, with one log line, while the API server does
    /// not serve them.
    #[arg(long, env = "GOVKH_REPORTS", value_enum, default_value_t = ReportsArg::Openreports)]
    pub reports: ReportsArg,
    /// List `pass` results in the reports too (each policy that judged an object and found
    /// nothing); `--report-pass=false` keeps only fail, warn and error.
    #[arg(long, env = "GOVKH_REPORT_PASS", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub report_pass: bool,
    /// The most results one report holds (the most serious kept; its summary counts all).
    #[arg(long, env = "GOVKH_REPORT_MAX_RESULTS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub report_max_results: u32,
}

/// The reports `govkh run --reports` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportsArg {
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport`.
    Openreports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`.
    Wgpolicyk8s,
    /// No reports.
    None,
}

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

/// Arguments of `govkh report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
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

/// Output formats of `policy list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Text,
    /// A JSON array, one object per policy.
    Json,
}

/// Arguments of `govkh policy test`.
#[derive(Debug, clap::Args)]
pub struct PolicyTestArgs {
    /// A directory of policies and their `*_test.rego` files; default: the built-in library.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

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

/// The built-in library (unless refused) plus users' directories.
pub fn load_policies(
    dirs: &[PathBuf],
    no_builtin: bool,
) -> Result<Library, govkh_core::policy::Error> {
    let mut sources = if no_builtin {
        Vec::new()
    } else {
        govkh_core::policy::builtin_sources()
    };
    for d in dirs {
        sources.extend(govkh_core::policy::dir_sources(d)?);
    }
    Library::load(&sources)
}

/// Arguments of `govkh crds`.
#[derive(Debug, clap::Args)]
pub struct CrdsArgs {
    /// Write one file per CRD into this directory instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// The OpenReports CRDs (`reports.openreports.io`, `clusterreports.openreports.io`) instead,
    /// generated from the report types govkh writes: for a cluster where no other tool
    /// installed them (the chart's `openreports.installCRDs`).
    #[arg(long)]
    pub openreports: bool,
}

/// Arguments of `govkh rbac`.
#[derive(Debug, clap::Args)]
pub struct RbacArgs {
    /// Write `files/clusterrole-rules.yaml` and `files/role-rules.yaml` into this chart
    /// directory instead of printing them.
    #[arg(long, value_name = "CHART_DIR")]
    pub chart_dir: Option<PathBuf>,
}

/// Parse `--lang`.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// The language asked for, else the locale's (LC_ALL, then LC_MESSAGES, then LANG, as POSIX
/// orders them), else English. The environment is read here, at the edge.
pub fn lang_or_locale(asked: Option<Lang>) -> Lang {
    asked.unwrap_or_else(|| {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    })
}

/// Parse a `--memory-limit`: a number of bytes, or a number with `Ki`, `Mi`, `Gi` or `Ti` (as
/// Kubernetes writes memory).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?}: expected a size like 512Mi or 2Gi");
    let (number, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let shift = match unit {
        "" => 0,
        "Ki" => 10,
        "Mi" => 20,
        "Gi" => 30,
        "Ti" => 40,
        _ => return Err(bad()),
    };
    let bytes = n
        .checked_shl(shift)
        .filter(|b| b >> shift == n)
        .ok_or_else(bad)?;
    if bytes < 64 << 20 {
        return Err(format!(
            "{s:?}: less than 64Mi would stop every evaluation (the process itself needs that much)"
        ));
    }
    Ok(bytes)
}

/// Parse a `--timeout`: a number of seconds, or a number with `s`, `m` or `h`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration like 90s, 10m or 1h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{s:?}: expected a duration like 90s, 10m or 1h")),
    };
    if seconds == 0 {
        return Err(format!("{s:?}: a budget of no time would judge nothing"));
    }
    Ok(std::time::Duration::from_secs(seconds))
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
        Command::Check(args) => {
            let engine = args.engine.apply();
            check(args, engine, stdin, stdout, stderr)
        }
        Command::Crds(args) => crds(args, stdout, stderr),
        Command::Rbac(args) => rbac(args, stdout, stderr),
        Command::Policy(PolicyCommand::Test(args)) => {
            // The Rego tests run policies too: bounded as `check` is by default.
            govkh_core::policy::limit_memory(Some(DEFAULT_MEMORY_LIMIT));
            policy_test(args, stdout, stderr)
        }
        Command::Policy(PolicyCommand::List(args)) => policy_list(args, stdout, stderr),
        Command::Report(args) => {
            let engine = args.engine.apply();
            report(args, engine, stdin, stdout, stderr)
        }
        Command::Run(args) => {
            let engine = args.engine.apply();
            run_operator(args, engine, stderr)
        }
        Command::Status(args) => status(args, stdout, stderr),
        Command::Trace(args) => {
            let engine = args.engine.apply();
            trace(args, engine, stdout, stderr)
        }
        Command::Plugin(PluginCommand::Install(args)) => plugin_install(args, stdout, stderr),
    }
}

fn check(
    args: CheckArgs,
    engine: govkh_core::policy::Mode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let now = match args.now.as_deref().map(parse_now).transpose() {
        Ok(Some(ts)) => ts,
        Ok(None) => Timestamp::now(),
        Err(e) => {
            let _ = writeln!(stderr, "error: {}", named_source(&e, "--now", "GOVKH_NOW"));
            return ExitCode::from(2);
        }
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
    let policies = match load_policies(&args.policies, args.no_builtin_policies) {
        Ok(p) => p
            .with_mode(engine)
            .with_deadline(args.timeout.map(|t| started + t))
            .as_user(user),
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let unjudged_kinds = govkh_core::evaluate::unjudged_kinds(&loaded.objects, &policies);
    // Context (the national manifests, or the live cluster): it tells whose each namespace
    // is; only the files checked are judged.
    let context = if args.cluster {
        match read_cluster(&loader, args.kubeconfig.as_deref(), args.context.as_deref()) {
            Ok(c) => Some(c),
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                return ExitCode::from(2);
            }
        }
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
        CheckOutput::Sarif => output::sarif(&eval, &sarif_rules(&policies)).map(|j| j + "\n"),
    };
    match rendered {
        Ok(s) => {
            if !write_output(file.as_deref(), &s, stdout, stderr) {
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

/// `message` about the option `flag`, naming the environment variable `env` instead when the
/// value came from it (the command line did not give the flag): the user fixes what they set.
fn named_source(message: &str, flag: &str, env: &str) -> String {
    let on_command_line = std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    if on_command_line || std::env::var_os(env).is_none() {
        message.to_string()
    } else {
        message.replacen(flag, env, 1)
    }
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
    let result = match (&args.out_dir, args.openreports) {
        (None, false) => crdgen::all_yaml()
            .map_err(|e| e.to_string())
            .and_then(|y| stdout.write_all(y.as_bytes()).map_err(|e| e.to_string())),
        (Some(dir), false) => write_crds(dir),
        (dir, true) => write_openreports_crds(dir.as_deref(), stdout),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            ExitCode::from(2)
        }
    }
}

fn rbac(args: RbacArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> ExitCode {
    let result = govkh_core::provision::rbac::chart_files()
        .map_err(|e| e.to_string())
        .and_then(|files| {
            for (path, text) in files {
                match &args.chart_dir {
                    None => writeln!(stdout, "---\n# {path}\n{text}").map_err(|e| e.to_string())?,
                    Some(dir) => {
                        let p = dir.join(path);
                        if let Some(parent) = p.parent() {
                            std::fs::create_dir_all(parent)
                                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                        }
                        std::fs::write(&p, text)
                            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
                    }
                }
            }
            Ok(())
        });
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

fn write_openreports_crds(
    dir: Option<&std::path::Path>,
    stdout: &mut dyn Write,
) -> Result<(), String> {
    let crds = govkh_core::render::openreports::crds().map_err(|e| e.to_string())?;
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    for (file, crd) in crds {
        let yaml = crdgen::to_yaml_with(&crd, govkh_core::render::openreports::HEADER)
            .map_err(|e| e.to_string())?;
        match dir {
            None => write!(stdout, "---\n{yaml}").map_err(|e| e.to_string())?,
            Some(dir) => {
                let path = dir.join(file);
                std::fs::write(&path, yaml)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn policy_test(args: PolicyTestArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> ExitCode {
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
    let results = match sources.and_then(|s| govkh_core::policy::run_tests(&s)) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
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
        let _ = writeln!(stderr, "error: no test_* rules found");
        return ExitCode::from(2);
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn policy_list(args: PolicyListArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> ExitCode {
    let lib = match Library::builtin() {
        Ok(lib) => lib,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match args.format {
        ListFormat::Text => catalogue_table(&lib),
        ListFormat::Json => match catalogue_json(&lib) {
            Ok(j) => j,
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot render the catalogue: {e}");
                return ExitCode::from(2);
            }
        },
    };
    if write_output(args.output.as_deref(), &text, stdout, stderr) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// The catalogue as a table: one row per policy, its penalty (with the amounts) on the line
/// below where the law names one, then the checks that are not policies.
fn catalogue_table(lib: &Library) -> String {
    let header = ["ID", "ARTICLES", "SEVERITY", "ACTION", "TITLE"];
    let rows: Vec<([String; 5], Option<String>)> = lib
        .policies()
        .iter()
        .map(|p| {
            let m = &p.meta;
            (
                [
                    m.id.clone(),
                    m.articles.join(", "),
                    m.severity.as_str().to_string(),
                    m.action.as_str().to_string(),
                    m.title.clone(),
                ],
                m.penalty.as_ref().map(|p| p.describe()),
            )
        })
        .collect();
    let mut widths = header.map(str::len);
    for (r, _) in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths.iter())
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let indent = widths[..4].iter().map(|w| w + 2).sum::<usize>();
    let mut out = line(&header) + "\n";
    for (r, penalty) in &rows {
        out += &line(&r.each_ref().map(String::as_str));
        out.push('\n');
        if let Some(p) = penalty {
            out += &format!("{:indent$}penalty: {p}\n", "");
        }
    }
    out += "\nAlso reported: statutory-clock (Art. 10, the tenancies' deadlines), references (names that resolve; one domain per ministry, Art. 20, 21), manifest (files that load and validate).\n";
    out
}

/// The catalogue as JSON: each policy's metadata, its penalty with a sentence for people.
fn catalogue_json(lib: &Library) -> Result<String, serde_json::Error> {
    let policies: Vec<serde_json::Value> = lib
        .policies()
        .iter()
        .map(|p| {
            let m = &p.meta;
            serde_json::json!({
                "id": m.id,
                "title": m.title,
                "fix": m.fix,
                "articles": m.articles,
                "severity": m.severity.as_str(),
                "action": m.action.as_str(),
                "kinds": m.kinds,
                "operations": m.operations,
                "penalty": m.penalty.as_ref().map(|pen| serde_json::json!({
                    "article": pen.article,
                    "naturalPerson": pen.natural_person,
                    "legalPerson": pen.legal_person,
                    "description": pen.describe(),
                })),
            })
        })
        .collect();
    serde_json::to_string_pretty(&policies).map(|s| s + "\n")
}

/// The rules a SARIF log declares: every policy, and the built-in checks.
fn sarif_rules(policies: &Library) -> Vec<output::SarifRule> {
    use govkh_core::finding::Action;
    let mut rules = vec![
        output::SarifRule {
            id: govkh_core::evaluate::POLICY_CLOCK.into(),
            title: "The statutory clock: apply within 90 days or migrate within a year".into(),
            articles: vec!["10".into()],
            action: Action::Deny,
        },
        output::SarifRule {
            id: govkh_core::evaluate::POLICY_REFERENCES.into(),
            title: "References name objects that exist".into(),
            articles: vec![],
            action: Action::Error,
        },
        output::SarifRule {
            id: govkh_core::evaluate::POLICY_MANIFEST.into(),
            title: "Manifests load and validate against the CRDs".into(),
            articles: vec![],
            action: Action::Error,
        },
    ];
    rules.extend(policies.policies().iter().map(|p| output::SarifRule {
        id: p.meta.id.clone(),
        title: p.meta.title.clone(),
        articles: p.meta.articles.clone(),
        action: p.meta.action,
    }));
    rules
}

fn report(
    args: ReportArgs,
    engine: govkh_core::policy::Mode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let now = match args.as_of.as_deref().map(parse_now).transpose() {
        Ok(Some(ts)) => ts,
        Ok(None) => Timestamp::now(),
        Err(e) => {
            let _ = writeln!(
                stderr,
                "error: {}",
                named_source(&e.replace("--now", "--as-of"), "--as-of", "GOVKH_AS_OF")
            );
            return ExitCode::from(2);
        }
    };
    // The budget counts from here: reading the cluster or the files is part of the run.
    let deadline = args.timeout.map(|t| std::time::Instant::now() + t);
    let policies = match load_policies(&args.policies, false) {
        Ok(p) => p.with_mode(engine).with_deadline(deadline),
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let loader = Loader::new().compacting();
    let loaded = if args.cluster {
        match read_cluster(&loader, args.kubeconfig.as_deref(), args.context.as_deref()) {
            Ok(l) => l,
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        loader.load_paths(&args.paths, stdin)
    };
    let (inventory, eval, problems) = evaluate_loaded(loaded, &policies, now);
    let mut report = govkh_core::render::report::build_in(
        &inventory,
        &eval,
        &policies,
        lang_or_locale(args.lang),
    );
    let histories = match (&args.history, args.cluster) {
        (Some(dir), _) => read_history_dir(dir, report.as_of).map(Some),
        // The records are the operator's (kept only with --history-namespace): without them, or
        // without the right to read them, the report is today's alone, and says so.
        (None, true) => match read_cluster_history(
            args.kubeconfig.as_deref(),
            args.context.as_deref(),
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
    };
    match histories {
        Ok(Some(mut h)) => govkh_core::render::report::with_history(&mut report, &mut h),
        Ok(None) => {}
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    }
    let text = match args.format {
        ReportFormat::Html => Ok(govkh_core::render::report::html(&report)),
        ReportFormat::Md => Ok(govkh_core::render::report::markdown(&report)),
        ReportFormat::Json => govkh_core::render::report::json(&report),
        ReportFormat::Csv => Ok(govkh_core::render::report::csv(&report)),
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot render the report: {e}");
            return ExitCode::from(2);
        }
    };
    if !write_output(args.output.as_deref(), &text, stdout, stderr) {
        return ExitCode::from(2);
    }
    // The report is written either way; but one that could not judge everything is not a
    // clean run: a pipeline publishing it must see that (exit 2, as for check).
    let errors = ActionCounts::of(&eval.findings).error;
    if errors > 0 {
        let _ = writeln!(
            stderr,
            "error: {errors} finding(s) say something could not be evaluated ({problems} manifest problem(s) among them); the report lists them"
        );
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// `check`'s format and file. `--output` took the format until 0.2: a value that is a format's
/// name and no `--format` keeps that meaning for one more release, with a warning.
fn check_format(
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

/// Write `text` to `file` (atomically) or to standard output; false (said on stderr) if not.
fn write_output(
    file: Option<&std::path::Path>,
    text: &str,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> bool {
    match file {
        None => stdout.write_all(text.as_bytes()).is_ok(),
        Some(path) => match write_atomically(path, text.as_bytes()) {
            Ok(()) => true,
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot write {}: {e}", path.display());
                false
            }
        },
    }
}

/// Saved reports read for a history: at most this many, each at most this large.
const HISTORY_FILES: usize = 5_000;
const HISTORY_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Histories from the saved JSON reports in `dir` dated on or before `as_of`. A file that is not
/// a govkh report is an error naming it: a history with a gap nobody sees is a wrong trend.
fn read_history_dir(
    dir: &std::path::Path,
    as_of: Day,
) -> Result<std::collections::BTreeMap<String, govkh_core::render::report::history::History>, String>
{
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
    govkh_core::render::report::history::from_reports(&reports)
}

/// Write a file so that readers see the old content or the new, never a half-written one.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.govkh-{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn status(args: StatusArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> ExitCode {
    let rows = with_client(
        args.cluster.kubeconfig.as_deref(),
        args.cluster.context.as_deref(),
        |client| async move {
            crate::plugin::status(client)
                .await
                .map_err(|e| format!("cannot read the Ministries and CloudTenancies: {e}"))
        },
    );
    let text = match rows {
        Ok(rows) => match args.format {
            ListFormat::Text => {
                use std::io::IsTerminal;
                Ok(crate::plugin::status_text(
                    &rows,
                    std::io::stdout().is_terminal(),
                ))
            }
            ListFormat::Json => serde_json::to_string_pretty(&rows)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string()),
        },
        Err(e) => Err(e),
    };
    print_or_fail(text, stdout, stderr)
}

fn trace(
    args: TraceArgs,
    engine: govkh_core::policy::Mode,
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
    let policies = match Library::builtin() {
        Ok(p) => p.with_mode(engine),
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let loader = Loader::new().compacting();
    let loaded = match read_cluster(
        &loader,
        args.cluster.kubeconfig.as_deref(),
        args.cluster.context.as_deref(),
    ) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let (inventory, eval, _) = evaluate_loaded(loaded, &policies, now);
    let text =
        govkh_core::trace::trace(&inventory, &eval, &args.target).and_then(|node| {
            match args.format {
                TraceFormat::Text => Ok(govkh_core::trace::trace_text(&node, false)),
                TraceFormat::Wide => Ok(govkh_core::trace::trace_text(&node, true)),
                TraceFormat::Json => serde_json::to_string_pretty(&node)
                    .map(|s| s + "\n")
                    .map_err(|e| e.to_string()),
            }
        });
    print_or_fail(text, stdout, stderr)
}

/// Print `text`, or its error on stderr (exit 2).
fn print_or_fail(
    text: Result<String, String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    match text {
        Ok(t) if stdout.write_all(t.as_bytes()).is_ok() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(2),
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            ExitCode::from(2)
        }
    }
}

fn plugin_install(
    args: PluginInstallArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot find this binary: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = match args
        .dir
        .or_else(|| exe.parent().map(std::path::Path::to_path_buf))
    {
        Some(d) => d,
        None => {
            let _ = writeln!(stderr, "error: give --dir: this binary has no directory");
            return ExitCode::from(2);
        }
    };
    match crate::plugin::install(&dir, &exe) {
        Ok(link) => {
            let _ = writeln!(
                stdout,
                "{} -> {}: `kubectl govkh` runs govkh when {} is on PATH",
                link.display(),
                exe.display(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(
                stderr,
                "error: cannot link {}/kubectl-govkh: {e}",
                dir.display()
            );
            ExitCode::from(2)
        }
    }
}

/// Connect (kubeconfig, else in-cluster) and read the inventory; the runtime lives only here.
fn read_cluster(
    loader: &Loader,
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
) -> Result<govkh_core::loading::manifest::LoadResult, String> {
    with_client(kubeconfig, context, |client| async move {
        crate::cluster::read(client, loader)
            .await
            .map_err(|e| e.to_string())
    })
}

/// The operator's daily records of every ministry, read from `namespace`.
fn read_cluster_history(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    namespace: &str,
) -> Result<std::collections::BTreeMap<String, govkh_core::render::report::history::History>, String>
{
    with_client(kubeconfig, context, |client| async move {
        crate::writers::history::read(client, namespace)
            .await
            .map_err(|e| e.to_string())
    })
}

/// Run `work` with a client of the cluster (kubeconfig, else in-cluster) on a runtime that
/// lives only for it.
fn with_client<T, F, Fut>(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    work: F,
) -> Result<T, String>
where
    F: FnOnce(kube::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let options = kube::config::KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let config = match kubeconfig {
            Some(path) => {
                let kc = kube::config::Kubeconfig::read_from(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            None if context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| e.to_string())?,
            None => kube::Config::infer()
                .await
                .map_err(|e| format!("no cluster configuration found: {e}"))?,
        };
        let client = kube::Client::try_from(config).map_err(|e| e.to_string())?;
        work(client).await
    })
}

fn run_operator(
    args: RunArgs,
    engine: govkh_core::policy::Mode,
    stderr: &mut dyn Write,
) -> ExitCode {
    let filter = match tracing_subscriber::EnvFilter::try_new(&args.log_level) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(stderr, "error: --log-level {:?}: {e}", args.log_level);
            return ExitCode::from(2);
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log piped to a file or a collector stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let installed = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(e) = installed {
        let _ = writeln!(stderr, "error: cannot set up logging: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let options = crate::run::RunOptions {
        engine,
        probe_addr: args.probe_addr,
        crd_timeout: std::time::Duration::from_secs(args.crd_timeout),
        kubeconfig: args.kubeconfig,
        concurrency: args.concurrency,
        audit_interval: std::time::Duration::from_secs(args.audit_interval),
        identity: args.identity,
        webhook: match (args.webhook_addr, args.tls_cert_file, args.tls_key_file) {
            (Some(addr), Some(cert), Some(key)) => Some(crate::run::WebhookOptions {
                addr,
                register: args.webhook_url.map(|url| crate::run::Registration {
                    url,
                    ca_file: args.webhook_ca_file.unwrap_or_else(|| cert.clone()),
                }),
                tls: crate::webhook::TlsFiles { cert, key },
            }),
            _ => None,
        },
        history_namespace: args.history_namespace,
        reports: match args.reports {
            ReportsArg::Openreports => Some(govkh_core::render::openreports::Flavour::Openreports),
            ReportsArg::Wgpolicyk8s => Some(govkh_core::render::openreports::Flavour::Wgpolicyk8s),
            ReportsArg::None => None,
        }
        .map(|flavour| govkh_core::render::openreports::Options {
            flavour,
            pass: args.report_pass,
            max_results: args.report_max_results as usize,
        }),
        leader_election: args.leader_elect.then_some(crate::run::LeaderElection {
            namespace: args.leader_election_namespace,
            name: args.leader_election_name,
        }),
    };
    match runtime.block_on(crate::run::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "govkh run failed");
            let _ = writeln!(stderr, "error: {e}");
            ExitCode::from(1)
        }
    }
}
