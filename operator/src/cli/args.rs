//! The commands' flags as clap reads them (each with its environment variable where it has one),
//! and the value parsers they share: sizes, durations, dates, languages.

use clap::{Subcommand, ValueEnum};
use govkh_core::{api::Day, message::Lang};
use k8s_openapi::jiff::Timestamp;
use std::path::PathBuf;

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
    /// The memory one evaluation — one object under the policies of its kind — may build on
    /// the RVM (bytes, or with Ki, Mi, Gi), counted apart from every other: past it that
    /// evaluation alone stops with an error finding, so one huge request does not make the ones
    /// beside it fail. Below --memory-limit. The interpreter has only --memory-limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_evaluation_size, default_value = "256Mi")]
    pub evaluation_memory_limit: u64,
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
        govkh_core::policy::limit_evaluation_memory(Some(self.evaluation_memory_limit));
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

/// Who the platform, the committee and govkh itself are (the fence, docs/authorization.md):
/// the flags of the commands that judge who writes what (run, check, vap).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthorityArgs {
    /// A group of the platform of the government cloud: it writes the GovernmentCloud,
    /// DataClasses and Ministries, hands existing namespaces over to tenancies, and may write
    /// tenancies and links for any ministry. Repeatable (or comma-separated). Default:
    /// govkh-platform and system:masters.
    #[arg(
        long = "platform-group",
        env = "GOVKH_PLATFORM_GROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub platform_groups: Vec<String>,
    /// A group of the Digital Government Committee: it decides Approvals and may authorise
    /// DataAccessGrants. Repeatable (or comma-separated). Default: digital-government-committee.
    #[arg(
        long = "committee-group",
        env = "GOVKH_COMMITTEE_GROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub committee_groups: Vec<String>,
    /// A user that is govkh itself (its service account): only it writes the `digital.gov.kh/`
    /// labels and annotations of namespaces. Repeatable. `govkh run` adds the user it runs as.
    /// Default: system:serviceaccount:<namespace>:govkh.
    #[arg(
        long = "operator-user",
        env = "GOVKH_OPERATOR_USERS",
        value_name = "USER",
        value_delimiter = ','
    )]
    pub operator_users: Vec<String>,
    /// A namespace no ministry may hold and no generated admission policy judges (beside
    /// kube-*, default and govkh's own). Repeatable (or comma-separated).
    #[arg(
        long = "exempt-namespace",
        visible_alias = "exempt",
        env = "GOVKH_EXEMPT_NAMESPACES",
        value_name = "NAMESPACE",
        value_delimiter = ','
    )]
    pub exempt: Vec<String>,
}

impl AuthorityArgs {
    /// The authority these flags describe, for govkh in `namespace`.
    pub fn authority(&self, namespace: &str) -> govkh_core::fence::Authority {
        use govkh_core::fence::{Authority, service_account_user};
        let or = |given: &[String], default: Vec<String>| {
            if given.is_empty() {
                default
            } else {
                given.to_vec()
            }
        };
        let defaults = Authority::default();
        Authority {
            platform_groups: or(&self.platform_groups, defaults.platform_groups),
            committee_groups: or(&self.committee_groups, defaults.committee_groups),
            operator_users: or(
                &self.operator_users,
                vec![service_account_user(namespace, "govkh")],
            ),
            namespace: namespace.to_string(),
            exempt: self.exempt.clone(),
        }
    }
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
    /// Who the platform, the committee and govkh are.
    #[command(flatten)]
    pub authority: AuthorityArgs,
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
    /// Give this service account the reading of Secrets in each namespace a tenancy
    /// provisions, by a RoleBinding to this ClusterRole there (the chart's
    /// `<release>-secrets-reader`), as `ROLE=NAMESPACE/SERVICEACCOUNT`: the operator's own, so
    /// that it needs no Secret read anywhere else (Art. 25 judges only ministries' data).
    #[arg(
        long,
        env = "GOVKH_SECRETS_READER",
        value_name = "ROLE=NAMESPACE/SERVICEACCOUNT"
    )]
    pub secrets_reader: Option<govkh_core::provision::desired::SecretsReader>,
    /// Let the kernel back this process's memory with transparent huge pages (2 MiB), where
    /// the node's setting allows them. Off by default: a huge page stays resident while any of
    /// its 4 KiB pages is in use, and the kernel fills partly used ranges back into huge pages,
    /// so the resident memory grows past what govkh holds and wanders as objects come and go.
    #[arg(long, env = "GOVKH_TRANSPARENT_HUGE_PAGES")]
    pub transparent_huge_pages: bool,
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
    /// Mutual TLS: serve the webhook only to clients presenting a certificate signed by this CA
    /// (PEM) — the API server's, configured in its AdmissionConfiguration (docs/install.md) —
    /// so that nobody else who can reach the port posts reviews. Re-read when the file changes.
    #[arg(
        long,
        env = "GOVKH_WEBHOOK_CLIENT_CA_FILE",
        value_name = "FILE",
        requires = "webhook_addr"
    )]
    pub webhook_client_ca_file: Option<PathBuf>,
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
    /// Run the operator's clock from this instant (RFC 3339, or a day: its first instant in
    /// Phnom Penh) instead of the wall clock's; it advances with real time. For rehearsing what
    /// happens at a deadline on a test cluster — never with other replicas (their Lease times
    /// would disagree).
    #[arg(long, env = "GOVKH_CLOCK_START", value_name = "INSTANT", value_parser = parse_now, hide = true)]
    pub clock_start: Option<Timestamp>,
    /// Seconds the webhook goes on accepting on SIGTERM after `/readyz` has turned false,
    /// before it drains: long enough for the Service's endpoints (or a balancer) to stop
    /// sending it requests. Keep it below the pod's termination grace period.
    #[arg(long, env = "GOVKH_SHUTDOWN_DELAY", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=120))]
    pub shutdown_delay: u64,
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

/// Arguments of `govkh vap`.
#[derive(Debug, clap::Args)]
pub struct VapArgs {
    /// govkh's own namespace, which the policies leave alone.
    #[arg(long, default_value = "govkh-system")]
    pub namespace: String,
    /// Who the platform, the committee and govkh are, and the namespaces the policies leave
    /// alone (`--exempt-namespace`, or `--exempt`; kube-system, kube-public and kube-node-lease
    /// always are).
    #[command(flatten)]
    pub authority: AuthorityArgs,
    /// Write `files/admission-policies.yaml` into this chart directory instead of printing.
    #[arg(long, value_name = "CHART_DIR")]
    pub chart_dir: Option<PathBuf>,
}

/// Parse `--lang`.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// Parse a `--memory-limit`: a number of bytes, or a number with `Ki`, `Mi`, `Gi` or `Ti` (as
/// Kubernetes writes memory).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bytes = parse_bytes(s)?;
    if bytes < 64 << 20 {
        return Err(format!(
            "{s:?}: less than 64Mi would stop every evaluation (the process itself needs that much)"
        ));
    }
    Ok(bytes)
}

/// Parse an `--evaluation-memory-limit`: a size as `parse_size` reads it, at least 1Mi (what
/// the policies' context of a small object takes).
pub fn parse_evaluation_size(s: &str) -> Result<u64, String> {
    let bytes = parse_bytes(s)?;
    if bytes < 1 << 20 {
        return Err(format!("{s:?}: less than 1Mi would stop every evaluation"));
    }
    Ok(bytes)
}

fn parse_bytes(s: &str) -> Result<u64, String> {
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
    n.checked_shl(shift)
        .filter(|b| b >> shift == n)
        .ok_or_else(bad)
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
